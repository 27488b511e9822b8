"""Session fixtures: each environment is synthesized at most once (jsii synthesis is slow), with
the dependency layer as a placeholder (`bundle=false`: nothing is downloaded)."""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path

import pytest

# jsii warns on every start that Node 20 is past its end of life; CI's Node is what the machine has.
os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")

import aws_cdk as cdk
from aws_cdk.assertions import Template

import app as cdk_app
from infra.stack import NovaBridgeStack

REPO_ROOT = Path(__file__).resolve().parents[2]


def cdk_context(env_name: str) -> dict:
    context = json.loads((REPO_ROOT / "cdk.json").read_text())["context"]
    return {**context, "env": env_name, "bundle": "false", "nag": "false"}


class Synthesized:
    def __init__(self, stack: NovaBridgeStack) -> None:
        self.stack = stack
        self.template = Template.from_stack(stack)
        self.json = self.template.to_json()

    def resources(self, cfn_type: str) -> dict[str, dict]:
        return {k: v for k, v in self.json["Resources"].items() if v["Type"] == cfn_type}

    def logical_id(self, construct) -> str:
        return self.stack.get_logical_id(construct.node.default_child)


def synthesize(env_name: str, tmp_dir: Path) -> Synthesized:
    app = cdk.App(context=cdk_context(env_name), outdir=str(tmp_dir))
    stage = cdk_app.build(app)
    return Synthesized(stage.stack)


@pytest.fixture(scope="session")
def synth(tmp_path_factory) -> Callable[[str], Synthesized]:
    cache: dict[str, Synthesized] = {}

    def get(env_name: str) -> Synthesized:
        if env_name not in cache:
            cache[env_name] = synthesize(env_name, tmp_path_factory.mktemp(f"cdk-{env_name}"))
        return cache[env_name]

    return get


@pytest.fixture(scope="session")
def dev(synth) -> Synthesized:
    return synth("dev")


@pytest.fixture(scope="session")
def prod(synth) -> Synthesized:
    return synth("prod")


def statements_of(synth: Synthesized, role_construct) -> list[dict]:
    """Every statement of the IAM policies attached to a role (by logical id)."""
    role_id = synth.logical_id(role_construct)
    statements = []
    for policy in synth.resources("AWS::IAM::Policy").values():
        if {"Ref": role_id} in policy["Properties"].get("Roles", []):
            statements.extend(policy["Properties"]["PolicyDocument"]["Statement"])
    return statements


def actions_of(statements: list[dict]) -> set[str]:
    actions: set[str] = set()
    for statement in statements:
        value = statement["Action"]
        actions.update([value] if isinstance(value, str) else value)
    return actions
