"""cdk.json environments parse into EnvironmentConfig, and bad settings are refused."""

import json

import pytest

from infra.config import CONTEXT_KEY, ENVIRONMENTS, EnvironmentConfig, log_retention
from tests.infra.conftest import REPO_ROOT

ENVIRONMENT_SETTINGS = json.loads((REPO_ROOT / "cdk.json").read_text())["context"][CONTEXT_KEY]


@pytest.mark.parametrize("name", ENVIRONMENTS)
def test_every_environment_is_configured(name):
    config = EnvironmentConfig.from_context(name, ENVIRONMENT_SETTINGS)
    assert config.prefix == f"nova-bridge-{name}"
    assert config.jwt_issuer.startswith("https://")
    assert config.jwt_audience and config.cors_origins and "@" in config.alarm_email


def test_prod_is_protected_and_redundant():
    prod = EnvironmentConfig.from_context("prod", ENVIRONMENT_SETTINGS)
    dev = EnvironmentConfig.from_context("dev", ENVIRONMENT_SETTINGS)
    assert prod.deletion_protection and prod.aurora_reader and prod.kuma_db_multi_az
    assert not dev.deletion_protection and not dev.aurora_reader
    assert prod.public_url == f"https://{prod.api_domain}"


def test_unknown_environment_is_refused():
    with pytest.raises(ValueError, match="unknown environment"):
        EnvironmentConfig.from_context("qa", ENVIRONMENT_SETTINGS)


def test_misspelt_setting_is_refused():
    settings = {"dev": {**ENVIRONMENT_SETTINGS["dev"], "aurora_max_acus": 4}}
    with pytest.raises(ValueError, match="aurora_max_acus"):
        EnvironmentConfig.from_context("dev", settings)


def test_log_retention_rounds_up_to_an_accepted_value():
    from aws_cdk.aws_logs import RetentionDays

    assert log_retention(14) == RetentionDays.TWO_WEEKS
    assert log_retention(15) == RetentionDays.ONE_MONTH
    assert log_retention(5000) == RetentionDays.TEN_YEARS
