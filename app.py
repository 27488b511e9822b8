#!/usr/bin/env python3
"""CDK app: `cdk synth -c env=dev|staging|prod` (default dev). `-c bundle=false` skips building the
dependency layer (placeholder asset). `-c nag=false` skips the cdk-nag AwsSolutions checks."""

from __future__ import annotations

import aws_cdk as cdk
from cdk_nag import AwsSolutionsChecks

from infra.config import CONTEXT_KEY, EnvironmentConfig  # also puts layers/core/python on sys.path
from infra.stack import NovaBridgeStage


def context_flag(app: cdk.App, key: str, default: bool = True) -> bool:
    value = app.node.try_get_context(key)
    return default if value is None else str(value).lower() not in ("false", "0", "no")


def build(app: cdk.App) -> NovaBridgeStage:
    env_name = app.node.try_get_context("env") or "dev"
    config = EnvironmentConfig.from_context(env_name, app.node.try_get_context(CONTEXT_KEY) or {})
    stage = NovaBridgeStage(app, config, bundle_dependencies=context_flag(app, "bundle"))
    if context_flag(app, "nag"):
        cdk.Validations.of(stage).add_plugins(AwsSolutionsChecks(stage, verbose=True))
    return stage


if __name__ == "__main__":
    application = cdk.App()
    build(application)
    application.synth()
