"""The deployed routes and event routing are derived from nova_bridge.catalogue, not from a
second list: a Route and an EventRoute added to the catalogue appear in the synthesized stack.
(The local runner imports the same catalogue tuples.)"""

import pytest
from nova_bridge import catalogue

from tests.infra.conftest import synthesize
from tests.infra.test_api import integration_function

EXTRA_ROUTE = catalogue.Route("GET", "/api/v2/alerts/{alert_id}/timeline", "alerts", "alertTimeline",
                              "Timeline of an alert", "alert.view")
EXTRA_PUBLIC_ROUTE = catalogue.Route("GET", "/api/v2/status/public/{tenant_id}/badge", "status", "statusBadge",
                                     "Status badge", auth=catalogue.PUBLIC)
EXTRA_EVENT_ROUTE = catalogue.EventRoute("incident-updates", ("incident.created", "incident.updated"), "notifier",
                                         batch_size=5, max_receive_count=3)


@pytest.fixture(scope="module")
def extended(tmp_path_factory):
    # Patched only while synthesizing, so other tests (and the session's `dev`) see the real catalogue.
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(catalogue, "ROUTES", catalogue.ROUTES + (EXTRA_ROUTE, EXTRA_PUBLIC_ROUTE))
        patch.setattr(catalogue, "EVENT_ROUTES", catalogue.EVENT_ROUTES + (EXTRA_EVENT_ROUTE,))
        return synthesize("dev", tmp_path_factory.mktemp("cdk-extended"))


def test_added_routes_are_deployed_on_their_function_with_their_auth(extended):
    routes = {r["Properties"]["RouteKey"]: r["Properties"] for r in extended.resources("AWS::ApiGatewayV2::Route").values()}
    assert len(routes) == len(catalogue.ROUTES) + 2
    jwt_route, public_route = routes[EXTRA_ROUTE.route_key], routes[EXTRA_PUBLIC_ROUTE.route_key]
    assert jwt_route["AuthorizationType"] == "JWT" and public_route["AuthorizationType"] == "NONE"
    for route, props in ((EXTRA_ROUTE, jwt_route), (EXTRA_PUBLIC_ROUTE, public_route)):
        assert integration_function(extended, props) == extended.logical_id(extended.stack.functions[route.function])


def test_added_event_route_gets_rule_queue_dlq_and_mapping(extended):
    routed = next(r for r in extended.stack.events.routed if r.route == EXTRA_EVENT_ROUTE)
    queue_arn = {"Fn::GetAtt": [extended.logical_id(routed.queue), "Arn"]}
    rule = extended.json["Resources"][extended.logical_id(routed.rule)]["Properties"]
    assert rule["EventPattern"]["detail-type"] == ["incident.created", "incident.updated"]
    assert rule["Targets"][0]["Arn"] == queue_arn
    queue = extended.json["Resources"][extended.logical_id(routed.queue)]["Properties"]
    assert queue["QueueName"] == "nova-bridge-dev-incident-updates"
    assert queue["RedrivePolicy"]["maxReceiveCount"] == 3
    (mapping,) = [m["Properties"] for m in extended.resources("AWS::Lambda::EventSourceMapping").values()
                  if m["Properties"]["EventSourceArn"] == queue_arn]
    assert mapping["FunctionName"] == {"Ref": extended.logical_id(extended.stack.functions["notifier"])}
    assert mapping["BatchSize"] == 5 and mapping["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    alarm_names = {a["Properties"]["AlarmName"] for a in extended.resources("AWS::CloudWatch::Alarm").values()}
    assert "nova-bridge-dev-incident-updates-dlq-depth" in alarm_names


def test_the_unpatched_stack_does_not_have_them(dev):
    keys = {r["Properties"]["RouteKey"] for r in dev.resources("AWS::ApiGatewayV2::Route").values()}
    assert EXTRA_ROUTE.route_key not in keys
    assert all(r.route.queue != EXTRA_EVENT_ROUTE.queue for r in dev.stack.events.routed)


def test_added_public_route_is_acknowledged_for_cdk_nag_from_the_catalogue(extended):
    from cdk_nag import AwsSolutionsChecks

    report = AwsSolutionsChecks().validate_scope(extended.stack)
    assert [v.rule_name for v in report.violations] == []
