"""Bus, archive, rules -> queues -> workers and schedules, all from the catalogue."""

from nova_bridge import catalogue


def props(synth, construct):
    return synth.json["Resources"][synth.logical_id(construct)]["Properties"]


def arn(synth, construct):
    return {"Fn::GetAtt": [synth.logical_id(construct), "Arn"]}


def test_custom_bus_with_an_archive_of_all_bridge_events(dev):
    bus = props(dev, dev.stack.events.bus)
    assert bus["Name"] == "nova-bridge-dev"
    (archive,) = dev.resources("AWS::Events::Archive").values()
    assert archive["Properties"]["SourceArn"] == arn(dev, dev.stack.events.bus)
    assert archive["Properties"]["EventPattern"] == {"source": [catalogue.EVENT_SOURCE]}
    assert archive["Properties"]["RetentionDays"] == 7


def test_one_rule_per_event_route_targets_its_queue(dev):
    assert [r.route for r in dev.stack.events.routed] == list(catalogue.EVENT_ROUTES)
    for routed in dev.stack.events.routed:
        rule = props(dev, routed.rule)
        assert rule["EventBusName"] == {"Ref": dev.logical_id(dev.stack.events.bus)}
        assert rule["EventPattern"] == {"source": [catalogue.EVENT_SOURCE], "detail-type": list(routed.route.detail_types)}
        (target,) = rule["Targets"]
        assert target["Arn"] == arn(dev, routed.queue)
        assert target["DeadLetterConfig"]["Arn"] == arn(dev, dev.stack.events.undeliverable)


def test_every_detail_type_has_exactly_one_rule(dev):
    routed_types = [t for r in dev.resources("AWS::Events::Rule").values()
                    for t in r["Properties"].get("EventPattern", {}).get("detail-type", [])]
    expected = [t for route in catalogue.EVENT_ROUTES for t in route.detail_types]
    assert sorted(routed_types) == sorted(expected) and len(set(routed_types)) == len(routed_types)


def test_queues_redrive_to_their_dlq_encrypted_and_named_per_environment(dev):
    for routed in dev.stack.events.routed:
        queue = props(dev, routed.queue)
        assert queue["QueueName"] == f"nova-bridge-dev-{routed.route.queue}"
        assert queue["RedrivePolicy"] == {"deadLetterTargetArn": arn(dev, routed.dlq),
                                          "maxReceiveCount": routed.route.max_receive_count}
        assert queue["SqsManagedSseEnabled"] is True
        assert props(dev, routed.dlq)["QueueName"] == f"nova-bridge-dev-{routed.route.queue}-dlq"


def test_queues_only_accept_tls_and_the_bus_rule(dev):
    for routed in dev.stack.events.routed:
        policies = [p["Properties"]["PolicyDocument"]["Statement"] for p in dev.resources("AWS::SQS::QueuePolicy").values()
                    if {"Ref": dev.logical_id(routed.queue)} in p["Properties"]["Queues"]]
        statements = [s for group in policies for s in group]
        denies = [s for s in statements if s["Effect"] == "Deny"]
        assert any(s["Condition"] == {"Bool": {"aws:SecureTransport": "false"}} for s in denies)
        sends = [s for s in statements if s["Effect"] == "Allow"]
        assert all(s["Principal"] == {"Service": "events.amazonaws.com"} for s in sends)
        assert any(s["Condition"]["ArnEquals"]["aws:SourceArn"] == arn(dev, routed.rule) for s in sends)


def test_workers_consume_with_partial_batch_failures(dev):
    mappings = list(dev.resources("AWS::Lambda::EventSourceMapping").values())
    assert len(mappings) == len(catalogue.EVENT_ROUTES)
    by_queue = {str(m["Properties"]["EventSourceArn"]): m["Properties"] for m in mappings}
    for routed in dev.stack.events.routed:
        mapping = by_queue[str(arn(dev, routed.queue))]
        assert mapping["FunctionName"] == {"Ref": dev.logical_id(dev.stack.functions[routed.route.worker])}
        assert mapping["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
        assert mapping["BatchSize"] == routed.route.batch_size


def test_reconciler_and_outbox_relay_run_on_their_schedules(dev):
    scheduled = {r["Properties"]["ScheduleExpression"]: r["Properties"]["Targets"][0]["Arn"]
                 for r in dev.resources("AWS::Events::Rule").values() if "ScheduleExpression" in r["Properties"]}
    assert scheduled == {expression: arn(dev, dev.stack.functions[name])
                         for name, expression in catalogue.SCHEDULES.items()}
