"""Every catalogue function is deployed as Python 3.12 arm64 with both layers, its own role and
the settings the bridge reads."""

import pytest
from nova_bridge import catalogue

from infra.functions import PROFILES
from tests.infra.conftest import statements_of


def function_props(synth, name):
    return synth.json["Resources"][synth.logical_id(synth.stack.functions[name])]["Properties"]


@pytest.mark.parametrize("name", catalogue.ALL_FUNCTIONS)
def test_function_runtime_handler_and_layers(dev, name):
    props = function_props(dev, name)
    assert props["Runtime"] == "python3.12"
    assert props["Architectures"] == ["arm64"]
    assert props["Handler"] == "handler.lambda_handler"
    assert props["FunctionName"] == f"nova-bridge-dev-{name.replace('_', '-')}"
    layer_ids = {dev.logical_id(dev.stack.functions.core_layer), dev.logical_id(dev.stack.functions.deps_layer)}
    assert {layer["Ref"] for layer in props["Layers"]} == layer_ids
    assert props["TracingConfig"] == {"Mode": "Active"}
    assert props["LoggingConfig"]["LogFormat"] == "JSON"


def test_only_catalogue_functions_exist_besides_cdk_helpers(dev):
    names = {p["Properties"].get("FunctionName") for p in dev.resources("AWS::Lambda::Function").values()}
    ours = {n for n in names if n and n.startswith("nova-bridge-dev-")}
    assert ours == {f"nova-bridge-dev-{n.replace('_', '-')}" for n in catalogue.ALL_FUNCTIONS}


def test_function_settings_match_the_settings_model(dev):
    env = function_props(dev, "sync_worker")["Environment"]["Variables"]
    assert env["NOVA_ENV"] == "dev"
    assert env["NOVA_DB_IAM_AUTH"] == "true"
    assert env["NOVA_DB_USER"] == "nova_app" and env["NOVA_DB_NAME"] == "nova_bridge"
    assert env["NOVA_DB_HOST"] == {"Fn::GetAtt": [dev.logical_id(dev.stack.database.proxy), "Endpoint"]}
    assert env["NOVA_EVENT_BUS_NAME"] == {"Ref": dev.logical_id(dev.stack.events.bus)}
    for key, secret in (("KUMA_SECRET_ARN", "kuma"), ("GOALERT_SECRET_ARN", "goalert"),
                        ("NOVA_COMMS_SECRET_ARN", "comms"), ("NOVA_WEBHOOK_SECRET_ARN", "webhooks")):
        assert env[key] == {"Ref": dev.logical_id(getattr(dev.stack.secrets, secret))}
    assert "Fn::Join" in env["KUMA_URL"] and "Fn::Join" in env["GOALERT_URL"]
    assert env["NOVA_COMMS_URL"] == "https://comms.dev.nova.example"
    assert env["NOVA_JWT_CLAIM_TENANT_ID"] == "tenant_id"
    assert env["POWERTOOLS_SERVICE_NAME"] == "sync_worker"


def test_public_url_is_the_custom_domain_when_one_is_configured(prod, dev):
    assert function_props(prod, "notifier")["Environment"]["Variables"]["NOVA_PUBLIC_URL"] == "https://bridge.nova.example"
    assert "Fn::Join" in function_props(dev, "notifier")["Environment"]["Variables"]["NOVA_PUBLIC_URL"]


def test_vpc_placement_follows_the_profiles(dev):
    for name in catalogue.ALL_FUNCTIONS:
        assert ("VpcConfig" in function_props(dev, name)) == PROFILES[name].in_vpc, name
    assert "VpcConfig" not in function_props(dev, "webhooks")


def test_roles_carry_no_managed_policies_and_log_only_to_their_own_group(dev):
    for name, role in dev.stack.functions.roles.items():
        role_props = dev.json["Resources"][dev.logical_id(role)]["Properties"]
        assert "ManagedPolicyArns" not in role_props, name
        log_statements = [s for s in statements_of(dev, role) if "logs:PutLogEvents" in s["Action"]]
        assert len(log_statements) == 1
        resource = log_statements[0]["Resource"]
        assert resource["Fn::GetAtt"][1] == "Arn" and "Logs" in resource["Fn::GetAtt"][0], name


def test_worker_timeout_fits_the_queue_visibility(dev):
    for routed in dev.stack.events.routed:
        queue = dev.json["Resources"][dev.logical_id(routed.queue)]["Properties"]
        timeout = function_props(dev, routed.route.worker)["Timeout"]
        assert queue["VisibilityTimeout"] >= 6 * timeout
