"""Fallback channels (SNS, SES) and the integration secrets."""


def test_fallback_topic_is_encrypted_and_tls_only(dev):
    topic = dev.json["Resources"][dev.logical_id(dev.stack.notifications.fallback_topic)]["Properties"]
    assert topic["TopicName"] == "nova-bridge-dev-notify-fallback"
    assert topic["KmsMasterKeyId"] == {"Fn::GetAtt": [dev.logical_id(dev.stack.notifications.key), "Arn"]}
    policies = [p["Properties"]["PolicyDocument"]["Statement"] for p in dev.resources("AWS::SNS::TopicPolicy").values()
                if {"Ref": dev.logical_id(dev.stack.notifications.fallback_topic)} in p["Properties"]["Topics"]]
    assert any(s["Effect"] == "Deny" and s["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
               for group in policies for s in group)


def test_ses_identity_uses_the_configuration_set(prod):
    (identity,) = prod.resources("AWS::SES::EmailIdentity").values()
    (config_set_id, config_set), = prod.resources("AWS::SES::ConfigurationSet").items()
    assert identity["Properties"]["EmailIdentity"] == "nova.example"
    assert identity["Properties"]["ConfigurationSetAttributes"] == {"ConfigurationSetName": {"Ref": config_set_id}}
    assert config_set["Properties"]["Name"] == "nova-bridge-prod-alerts"
    assert config_set["Properties"]["SuppressionOptions"]["SuppressedReasons"] == ["BOUNCE", "COMPLAINT"]


def test_integration_secrets_exist_per_environment(dev):
    names = {s["Properties"].get("Name") for s in dev.resources("AWS::SecretsManager::Secret").values()}
    assert {"nova-bridge-dev/comms", "nova-bridge-dev/goalert", "nova-bridge-dev/goalert/data-encryption-key",
            "nova-bridge-dev/kuma", "nova-bridge-dev/webhooks", "nova-bridge-dev/db/admin",
            "nova-bridge-dev/db/goalert", "nova-bridge-dev/db/kuma"} <= names


def test_generated_secrets_have_no_url_breaking_characters(dev):
    for secret in (dev.stack.secrets.kuma, dev.stack.secrets.webhooks, dev.stack.secrets.goalert_encryption_key):
        generate = dev.json["Resources"][dev.logical_id(secret)]["Properties"]["GenerateSecretString"]
        assert generate["ExcludePunctuation"] is True and generate["PasswordLength"] >= 32
