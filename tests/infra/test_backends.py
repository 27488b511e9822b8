"""GoAlert and Uptime Kuma on Fargate: pinned images, secrets from Secrets Manager, internal
load balancers with health checks, Kuma on MariaDB (no EFS)."""


def container(synth, service):
    task = synth.json["Resources"][synth.logical_id(service.task_definition)]["Properties"]
    (definition,) = task["ContainerDefinitions"]
    return definition


def secret_names(definition):
    return {s["Name"] for s in definition.get("Secrets", [])}


def env(definition):
    return {e["Name"]: e["Value"] for e in definition.get("Environment", [])}


def test_goalert_image_database_and_encryption_key_from_secrets(dev):
    goalert = container(dev, dev.stack.backends.goalert)
    assert goalert["Image"] == "goalert/goalert:v0.34.1"
    assert secret_names(goalert) == {"DB_HOST", "DB_USER", "DB_PASSWORD", "GOALERT_DATA_ENCRYPTION_KEY"}
    key = next(s for s in goalert["Secrets"] if s["Name"] == "GOALERT_DATA_ENCRYPTION_KEY")
    assert key["ValueFrom"] == {"Ref": dev.logical_id(dev.stack.secrets.goalert_encryption_key)}
    assert "/goalert?sslmode=require" in goalert["Command"][0] and goalert["EntryPoint"] == ["/bin/sh", "-c"]
    assert env(goalert)["GOALERT_LISTEN"] == ":8081"
    assert "GOALERT_PUBLIC_URL" in env(goalert)
    assert not any("PASSWORD" in name for name in env(goalert))


def test_kuma_2_uses_mariadb_on_rds_not_sqlite_on_efs(dev):
    kuma = container(dev, dev.stack.backends.kuma)
    assert kuma["Image"] == "louislam/uptime-kuma:2"
    settings = env(kuma)
    assert settings["UPTIME_KUMA_DB_TYPE"] == "mariadb"
    assert settings["UPTIME_KUMA_DB_HOSTNAME"] == {
        "Fn::GetAtt": [dev.logical_id(dev.stack.backends.kuma_db), "Endpoint.Address"]}
    assert secret_names(kuma) == {"UPTIME_KUMA_DB_USERNAME", "UPTIME_KUMA_DB_PASSWORD"}
    assert not dev.resources("AWS::EFS::FileSystem")
    assert "Volumes" not in dev.json["Resources"][dev.logical_id(dev.stack.backends.kuma.task_definition)]["Properties"]


def test_kuma_database_is_encrypted_backed_up_and_multi_az_in_prod(dev, prod):
    for synth, multi_az, protected in ((dev, False, False), (prod, True, True)):
        db = synth.json["Resources"][synth.logical_id(synth.stack.backends.kuma_db)]["Properties"]
        assert db["Engine"] == "mariadb" and db["StorageEncrypted"] is True
        assert db["MultiAZ"] is multi_az and db["DeletionProtection"] is protected
        assert int(db["BackupRetentionPeriod"]) >= 7 and db["DBName"] == "kuma"


def test_load_balancers_are_internal_logged_and_reachable_only_from_the_functions(dev):
    balancers = dev.resources("AWS::ElasticLoadBalancingV2::LoadBalancer")
    assert len(balancers) == 2
    functions_sg = {"Fn::GetAtt": [dev.logical_id(dev.stack.network.functions_sg), "GroupId"]}
    for logical_id, balancer in balancers.items():
        props = balancer["Properties"]
        assert props["Scheme"] == "internal"
        attributes = {a["Key"]: a["Value"] for a in props["LoadBalancerAttributes"]}
        assert attributes["access_logs.s3.enabled"] == "true"
        sg_id = props["SecurityGroups"][0]["Fn::GetAtt"][0]
        sources = [i["Properties"].get("SourceSecurityGroupId") or i["Properties"].get("CidrIp")
                   for i in dev.resources("AWS::EC2::SecurityGroupIngress").values()
                   if i["Properties"]["GroupId"] == {"Fn::GetAtt": [sg_id, "GroupId"]}]
        inline = dev.json["Resources"][sg_id]["Properties"].get("SecurityGroupIngress", [])
        assert sources == [functions_sg] and inline == [], logical_id


def test_health_checks_and_container_logs(dev):
    paths = sorted(t["Properties"]["HealthCheckPath"] for t in dev.resources("AWS::ElasticLoadBalancingV2::TargetGroup").values())
    assert paths == ["/api/entry-page", "/health"]
    for service in (dev.stack.backends.goalert, dev.stack.backends.kuma):
        assert container(dev, service)["LogConfiguration"]["LogDriver"] == "awslogs"


def test_services_run_in_private_subnets_without_public_ips(prod):
    for service in prod.resources("AWS::ECS::Service").values():
        network = service["Properties"]["NetworkConfiguration"]["AwsvpcConfiguration"]
        assert network["AssignPublicIp"] == "DISABLED"
        assert all("app" in s["Ref"] for s in network["Subnets"])
    desired = sorted(s["Properties"]["DesiredCount"] for s in prod.resources("AWS::ECS::Service").values())
    assert desired == [1, 2]  # Kuma stays single (it runs the checks), GoAlert scales


def test_cluster_has_container_insights(dev):
    (cluster,) = dev.resources("AWS::ECS::Cluster").values()
    assert {"Name": "containerInsights", "Value": "enhanced"} in cluster["Properties"]["ClusterSettings"] or \
        {"Name": "containerInsights", "Value": "enabled"} in cluster["Properties"]["ClusterSettings"]
