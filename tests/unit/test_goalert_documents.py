"""The GraphQL the bridge sends to GoAlert is valid against the v0.34.1 contract schema."""

import hashlib
from importlib import resources
from pathlib import Path

import pytest
from graphql import OperationDefinitionNode, build_schema, parse, validate

from nova_bridge.adapters.goalert import client as goalert_client
from nova_bridge.adapters.goalert.client import GoAlertClient, GoAlertCredentials, _is_idempotent
from nova_bridge.adapters.goalert.documents import api_key_name, operations_document
from tests.contracts import GOALERT_SCHEMA

SCHEMA = GOALERT_SCHEMA


@pytest.fixture(scope="module")
def schema():
    return build_schema(SCHEMA.read_text(encoding="utf-8"))


def test_every_operation_validates_against_the_contract_schema(schema):
    document = parse(operations_document().text)
    assert validate(schema, document) == []


def test_document_changes_are_caught_by_validation(schema):
    broken = operations_document().text.replace("onCallUsers { userID userName stepNumber }",
                                                "onCallUsers { userID whoIsIt }")
    errors = validate(schema, parse(broken))
    assert errors and "whoIsIt" in errors[0].message


def test_operation_names_are_unique_and_complete():
    document = parse(operations_document().text)
    names = [d.name.value for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    assert all(names) and len(names) == len(set(names))
    assert set(names) == operations_document().operation_names


def test_every_operation_the_client_sends_is_in_the_document():
    source = Path(goalert_client.__file__).read_text()
    sent = {part.split('"')[1] for part in source.split("self.execute(")[1:]}
    assert sent <= operations_document().operation_names
    assert {"CreateAlert", "CreateGQLAPIKey", "GetService", "UpdateAlerts", "SetConfig"} <= sent


def test_document_hash_names_the_api_key():
    raw = resources.files("nova_bridge.adapters.goalert").joinpath("operations.graphql").read_bytes()
    document = operations_document()
    assert document.sha256 == hashlib.sha256(raw).hexdigest()
    assert api_key_name(document) == f"nova-bridge-{document.sha256[:12]}"


def test_unknown_operation_is_refused_before_any_request():
    client = GoAlertClient("http://127.0.0.1:9", credentials=GoAlertCredentials(api_key="eyX"))
    with pytest.raises(ValueError, match="not an operation"):
        client.execute("DropEverything")


def test_credentials_need_a_key_or_a_login_and_never_show_secrets():
    with pytest.raises(ValueError):
        GoAlertCredentials(username="admin")
    creds = GoAlertCredentials(username="admin", password="hunter2hunter2")
    assert "hunter2" not in repr(creds) and "hunter2" not in str(creds)
    assert "eySecret" not in repr(GoAlertCredentials(api_key="eySecret"))


@pytest.mark.parametrize(("operation", "variables", "idempotent"), [
    ("GetService", None, True),
    ("ListAlerts", None, True),
    ("UpdateAlerts", None, True),
    ("CloseMatchingAlert", None, True),
    ("CreateService", None, False),
    ("EscalateAlerts", None, False),
    ("CreateAlert", {"input": {"dedup": "kuma-1"}}, True),
    ("CreateAlert", {"input": {}}, False),
])
def test_only_repeat_safe_operations_retry_after_a_lost_answer(operation, variables, idempotent):
    assert _is_idempotent(operation, variables) is idempotent
