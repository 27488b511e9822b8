"""Least privilege: each function can do what FUNCTION_ACCESS says and nothing else; '*' only
where AWS offers no resource ARN."""

from nova_bridge import catalogue

from infra.functions import VPC_NETWORK_INTERFACE_ACTIONS
from infra.stack import FUNCTION_ACCESS
from tests.infra.conftest import actions_of, statements_of

# Actions without resource-level permissions (X-Ray, Lambda's VPC ENIs).
NO_RESOURCE_ARN = {"xray:PutTraceSegments", "xray:PutTelemetryRecords", *VPC_NETWORK_INTERFACE_ACTIONS}


def function_statements(synth, name):
    return statements_of(synth, synth.stack.functions.roles[name])


def resources_of(statement):
    value = statement["Resource"]
    return value if isinstance(value, list) else [value]


def statements_with(statements, action):
    return [s for s in statements if action in ([s["Action"]] if isinstance(s["Action"], str) else s["Action"])]


def test_every_function_has_an_access_entry():
    assert set(FUNCTION_ACCESS) == set(catalogue.ALL_FUNCTIONS)


def test_no_policy_in_the_stack_has_a_wildcard_action(dev):
    for policy in dev.resources("AWS::IAM::Policy").values():
        for action in actions_of(policy["Properties"]["PolicyDocument"]["Statement"]):
            assert action != "*" and not action.endswith(":*"), action


def test_wildcard_resources_only_for_actions_without_resource_arns(dev):
    for name in catalogue.ALL_FUNCTIONS:
        for statement in function_statements(dev, name):
            if "*" in resources_of(statement):
                assert actions_of([statement]) <= NO_RESOURCE_ARN, (name, statement)


def test_put_events_only_for_webhooks_and_outbox_relay_and_only_on_the_bus(dev):
    bus_arn = {"Fn::GetAtt": [dev.logical_id(dev.stack.events.bus), "Arn"]}
    for name in catalogue.ALL_FUNCTIONS:
        put = statements_with(function_statements(dev, name), "events:PutEvents")
        if name in ("webhooks", "outbox_relay"):
            assert [resources_of(s) for s in put] == [[bus_arn]], name
        else:
            assert put == [], name


def test_database_login_through_the_proxy_only_for_db_functions(dev):
    for name in catalogue.ALL_FUNCTIONS:
        connect = statements_with(function_statements(dev, name), "rds-db:connect")
        assert bool(connect) == ("db" in FUNCTION_ACCESS[name]), name
        for statement in connect:
            joined = str(statement["Resource"])
            assert "dbuser:" in joined and "/nova_app" in joined


def test_secrets_are_readable_only_by_the_functions_that_use_them(dev):
    secrets = {"goalert": dev.stack.secrets.goalert, "kuma": dev.stack.secrets.kuma,
               "comms": dev.stack.secrets.comms, "webhook-secrets": dev.stack.secrets.webhooks}
    for name in catalogue.ALL_FUNCTIONS:
        readable = [r for s in statements_with(function_statements(dev, name), "secretsmanager:GetSecretValue")
                    for r in resources_of(s)]
        expected = [{"Ref": dev.logical_id(secret)} for key, secret in secrets.items() if key in FUNCTION_ACCESS[name]]
        if name == "migrations":
            expected = [{"Ref": dev.logical_id(dev.stack.database.admin_secret)},
                        {"Ref": dev.logical_id(dev.stack.database.goalert_secret)}]
        assert sorted(map(str, readable)) == sorted(map(str, expected)), name


def test_workers_consume_only_their_own_queues(dev):
    for worker in catalogue.WORKER_FUNCTIONS:
        consumed = [r for s in statements_with(function_statements(dev, worker), "sqs:ReceiveMessage")
                    for r in resources_of(s)]
        expected = [{"Fn::GetAtt": [dev.logical_id(routed.queue), "Arn"]}
                    for routed in dev.stack.events.routed if routed.route.worker == worker]
        assert sorted(map(str, consumed)) == sorted(map(str, expected)), worker
    for name in set(catalogue.ALL_FUNCTIONS) - set(catalogue.WORKER_FUNCTIONS):
        assert not statements_with(function_statements(dev, name), "sqs:ReceiveMessage"), name


def test_only_the_notifier_sends_email_and_fallback_messages(dev):
    for name in catalogue.ALL_FUNCTIONS:
        statements = function_statements(dev, name)
        ses = statements_with(statements, "ses:SendEmail")
        sns = statements_with(statements, "sns:Publish")
        if name == "notifier":
            (statement,) = ses
            assert "*" not in resources_of(statement) and len(resources_of(statement)) == 2
            assert statement["Condition"] == {"StringEquals": {"ses:FromAddress": "alerts@dev.nova.example"}}
            assert [resources_of(s) for s in sns] == [[{"Ref": dev.logical_id(dev.stack.notifications.fallback_topic)}]]
        else:
            assert ses == [] and sns == [], name


def test_integration_may_start_the_reconciler_and_nothing_else(dev):
    reconciler_arn = {"Fn::GetAtt": [dev.logical_id(dev.stack.functions["reconciler"]), "Arn"]}
    for name in catalogue.ALL_FUNCTIONS:
        invoke = statements_with(function_statements(dev, name), "lambda:InvokeFunction")
        assert [resources_of(s) for s in invoke] == ([[reconciler_arn]] if name == "integration" else []), name


def test_workers_may_postpone_their_own_messages(dev):
    """RetryLater(delay_seconds=...) looks up the queue and changes the message's visibility."""
    for worker in catalogue.WORKER_FUNCTIONS:
        statements = function_statements(dev, worker)
        for action in ("sqs:ChangeMessageVisibility", "sqs:GetQueueUrl"):
            resources = [r for s in statements_with(statements, action) for r in resources_of(s)]
            expected = [{"Fn::GetAtt": [dev.logical_id(routed.queue), "Arn"]}
                        for routed in dev.stack.events.routed if routed.route.worker == worker]
            assert sorted(map(str, resources)) == sorted(map(str, expected)), (worker, action)
