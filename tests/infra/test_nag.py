"""cdk-nag AwsSolutions: no unacknowledged finding, and every acknowledgement gives a reason."""

import pytest
from aws_cdk import Validations
from cdk_nag import AwsSolutionsChecks


@pytest.mark.parametrize("env_name", ["dev", "prod"])
def test_no_unacknowledged_aws_solutions_findings(synth, env_name):
    report = AwsSolutionsChecks().validate_scope(synth(env_name).stack)
    findings = [f"{v.rule_name} at {r.construct_path}" for v in report.violations for r in v.violating_resources]
    assert findings == []


def acknowledgements(stack):
    found = []
    for construct in stack.node.find_all():
        for entry in construct.node.metadata:
            if entry.type == Validations.ACKNOWLEDGED_RULES_METADATA_KEY:
                # data: {"Annotation::<finding id>": reason}
                found.extend((construct.node.path, {"id": key.removeprefix("Annotation::"), "reason": reason})
                             for key, reason in entry.data.items())
    return found


def test_every_acknowledgement_is_specific_and_explained(dev):
    acks = [(path, ack) for path, ack in acknowledgements(dev.stack) if not ack["id"].startswith("CloudFormation-")]
    assert len(acks) > 20, "expected the acknowledgements of infra.compliance"
    for path, ack in acks:
        assert ack["id"].startswith("AwsSolutions-"), path
        assert len(ack["reason"]) >= 40, (path, ack)
        # Narrowest construct: a resource (or policy) leaf, never the stack or a whole concern.
        assert path.count("/") >= 3, (path, ack)


def test_prod_needs_no_acknowledgement_for_deletion_protection_or_multi_az(prod):
    ids = {ack["id"] for _, ack in acknowledgements(prod.stack)}
    assert "AwsSolutions-RDS10" not in ids and "AwsSolutions-RDS3" not in ids
