"""Alarms for DLQs, function errors, API 5xx and p95 latency, queue age; all to the alarm topic."""

from nova_bridge import catalogue


def alarms(synth):
    return {a["Properties"]["AlarmName"]: a["Properties"] for a in synth.resources("AWS::CloudWatch::Alarm").values()}


def test_expected_alarms_exist(dev):
    names = set(alarms(dev))
    expected = {"nova-bridge-dev-api-5xx", "nova-bridge-dev-api-p95-latency", "nova-bridge-dev-undeliverable-events"}
    expected |= {f"nova-bridge-dev-{n.replace('_', '-')}-errors" for n in catalogue.ALL_FUNCTIONS}
    expected |= {f"nova-bridge-dev-{r.queue}-dlq-depth" for r in catalogue.EVENT_ROUTES}
    expected |= {f"nova-bridge-dev-{r.queue}-message-age" for r in catalogue.EVENT_ROUTES}
    assert names == expected


def test_api_latency_alarm_is_p95_over_200_ms(dev):
    latency = alarms(dev)["nova-bridge-dev-api-p95-latency"]
    assert latency["ExtendedStatistic"] == "p95" and latency["Threshold"] == 200
    assert latency["MetricName"] == "Latency" and latency["Namespace"] == "AWS/ApiGateway"
    five_xx = alarms(dev)["nova-bridge-dev-api-5xx"]
    assert five_xx["MetricName"] == "5xx" and five_xx["Threshold"] == 0


def test_queue_alarms_watch_the_right_queues(prod):
    for routed in prod.stack.events.routed:
        depth = alarms(prod)[f"nova-bridge-prod-{routed.route.queue}-dlq-depth"]
        assert depth["Dimensions"] == [{"Name": "QueueName", "Value": {
            "Fn::GetAtt": [prod.logical_id(routed.dlq), "QueueName"]}}]
        age = alarms(prod)[f"nova-bridge-prod-{routed.route.queue}-message-age"]
        assert age["MetricName"] == "ApproximateAgeOfOldestMessage" and age["Threshold"] == 120


def test_every_alarm_notifies_the_alarm_topic_which_mails_the_environment_address(dev):
    topic = {"Ref": dev.logical_id(dev.stack.observability.alarm_topic)}
    for name, alarm in alarms(dev).items():
        assert alarm["AlarmActions"] == [topic] and alarm["OKActions"] == [topic], name
    (subscription,) = dev.resources("AWS::SNS::Subscription").values()
    assert subscription["Properties"]["Protocol"] == "email"
    assert subscription["Properties"]["Endpoint"] == "alerts-dev@nova.example"
    assert subscription["Properties"]["TopicArn"] == topic


def test_alarm_topic_key_lets_cloudwatch_publish(dev):
    key_id = dev.json["Resources"][dev.logical_id(dev.stack.observability.alarm_topic)]["Properties"]["KmsMasterKeyId"]
    key = dev.json["Resources"][key_id["Fn::GetAtt"][0]]["Properties"]
    assert key["EnableKeyRotation"] is True
    assert any(s.get("Principal") == {"Service": "cloudwatch.amazonaws.com"} for s in key["KeyPolicy"]["Statement"])


def test_dashboard_exists(dev):
    (dashboard,) = dev.resources("AWS::CloudWatch::Dashboard").values()
    assert dashboard["Properties"]["DashboardName"] == "nova-bridge-dev"
