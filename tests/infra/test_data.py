"""Aurora Serverless v2 behind an IAM-auth RDS Proxy, rotated secrets, migrations on deploy."""

from infra.data import migrations_fingerprint


def only(synth, cfn_type):
    (resource,) = synth.resources(cfn_type).values()
    return resource


def test_cluster_is_encrypted_backed_up_and_iam_enabled(dev, prod):
    for synth, retention, protected in ((dev, 7, False), (prod, 30, True)):
        cluster = only(synth, "AWS::RDS::DBCluster")["Properties"]
        assert cluster["Engine"] == "aurora-postgresql"
        assert cluster["StorageEncrypted"] is True and "KmsKeyId" in cluster
        assert cluster["EnableIAMDatabaseAuthentication"] is True
        assert cluster["BackupRetentionPeriod"] == retention
        assert cluster["DeletionProtection"] is protected
        assert cluster["DatabaseName"] == "nova_bridge"


def test_serverless_v2_writer_and_a_reader_only_in_prod(dev, prod):
    dev_cluster = only(dev, "AWS::RDS::DBCluster")["Properties"]
    assert dev_cluster["ServerlessV2ScalingConfiguration"] == {"MinCapacity": 0.5, "MaxCapacity": 2}
    for synth, count in ((dev, 1), (prod, 2)):
        instances = [r for r in synth.resources("AWS::RDS::DBInstance").values()
                     if r["Properties"].get("Engine") == "aurora-postgresql"]
        assert len(instances) == count
        assert all(i["Properties"]["DBInstanceClass"] == "db.serverless" for i in instances)


def test_prod_keeps_a_snapshot_when_the_cluster_is_removed(prod, dev):
    assert only(prod, "AWS::RDS::DBCluster")["DeletionPolicy"] == "Snapshot"
    assert only(dev, "AWS::RDS::DBCluster")["DeletionPolicy"] == "Delete"


def test_proxy_requires_iam_and_tls_end_to_end(dev):
    proxy = only(dev, "AWS::RDS::DBProxy")["Properties"]
    assert proxy["DefaultAuthScheme"] == "IAM_AUTH" and proxy["RequireTLS"] is True
    assert "Auth" not in proxy  # no database password behind the proxy


def test_database_secrets_rotate(dev):
    rotated = {str(r["Properties"]["SecretId"]) for r in dev.resources("AWS::SecretsManager::RotationSchedule").values()}
    expected = {dev.stack.database.admin_secret, dev.stack.database.goalert_secret, dev.stack.backends.kuma_db.secret}
    assert len(rotated) == 3 == len(expected)
    for schedule in dev.resources("AWS::SecretsManager::RotationSchedule").values():
        assert schedule["Properties"]["RotationRules"]["ScheduleExpression"] == "rate(30 days)"


def test_migrations_custom_resource_runs_the_migrations_function(dev):
    resource = only(dev, "Custom::NovaMigrations")["Properties"]
    assert resource["MigrationsHash"] == migrations_fingerprint()
    assert resource["AppUser"] == "nova_app" and resource["GoalertDatabase"] == "goalert"
    provider = dev.stack.database.node.find_child("MigrationsProvider").node.find_child("framework-onEvent")
    assert resource["ServiceToken"] == {"Fn::GetAtt": [dev.logical_id(provider), "Arn"]}
    provider_env = dev.json["Resources"][dev.logical_id(provider)]["Properties"]["Environment"]["Variables"]
    assert provider_env["USER_ON_EVENT_FUNCTION_ARN"] == {
        "Fn::GetAtt": [dev.logical_id(dev.stack.functions["migrations"]), "Arn"]}


def test_migrations_fingerprint_changes_with_the_sql(tmp_path, monkeypatch):
    import infra.data as data

    monkeypatch.setattr(data, "MIGRATIONS_DIR", tmp_path)
    (tmp_path / "0001_init.sql").write_text("create table a (id int);")
    first = data.migrations_fingerprint()
    (tmp_path / "0001_init.sql").write_text("create table a (id bigint);")
    assert data.migrations_fingerprint() != first
