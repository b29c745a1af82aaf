"""Governance settings: the permission model is iam unless a stage chooses otherwise, and a bad
model, principal or classification stops synth with one line naming the setting."""
import shutil

import pytest

from lake_config import load_settings
from lake_config.governance_plan import hidden_columns, readable_classifications, tag_keys, tag_values
from lake_config.datasets import DATASETS_DIR
from tests.helpers import CDK_CONTEXT, config_error, stage_context

ADMIN = "arn:aws:iam::{account}:role/lake-admin"


def governed(**governance):
    return stage_context(governance={"mode": "hybrid", "admins": [ADMIN], **governance})


def test_iam_by_default_and_prod_ships_hybrid():
    assert load_settings(stage_context("dev")).governance.mode == "iam"
    assert "governance" not in CDK_CONTEXT["stages"]["dev"], "dev keeps today's model by default, not by a setting"
    assert load_settings(stage_context("prod")).governance.mode == "hybrid"


@pytest.mark.parametrize(
    "governance, message",
    [
        ({"mode": "lakeformation"}, "stages.dev.governance.mode: Input should be 'iam', 'hybrid' or 'lake_formation'"),
        ({"mode": "hybrid"}, "stages.dev.governance.admins: governance.mode hybrid needs at least one data lake administrator"),
        ({"mode": "hybrid", "admins": ["lake-admin"]}, "stages.dev.governance.admins.0: must be an IAM role or user ARN"),
        ({"mode": "iam", "analysts_principal": "arn:aws:iam::123:role/x"}, "stages.dev.governance.analysts_principal: must be an IAM role"),
        ({"mode": "hybrid", "admins": [ADMIN, ADMIN]}, "stages.dev.governance.admins: lists"),
        ({"mode": "hybrid", "admins": [ADMIN], "default_classification": "restricted"},
         "stages.dev.governance.default_classification: 'restricted' is one of restricted_classifications"),
        ({"mode": "hybrid", "admins": [ADMIN], "restricted_classifications": ["PII"]},
         "stages.dev.governance.restricted_classifications.0: must match"),
        ({"mode": "hybrid", "admin": [ADMIN]}, "unknown setting; allowed settings here are mode, admins"),
    ],
)
def test_bad_settings_are_one_clear_line(governance, message):
    assert message in config_error(stage_context(replace=True, governance=governance))


def test_the_cdk_execution_role_alone_may_administer():
    settings = load_settings(stage_context(replace=True, governance={"mode": "lake_formation", "cdk_execution_role_is_admin": True}))
    assert settings.governance.governed and not settings.governance.admins


def test_a_contract_value_that_cannot_be_a_tag_is_refused_only_where_governance_is_on(tmp_path):
    for name in CDK_CONTEXT["datasets"]:
        shutil.copytree(DATASETS_DIR / name, tmp_path / name)
    contract = tmp_path / "sales" / "contract.odcs.yaml"
    contract.write_text(contract.read_text().replace("domain: retail", "domain: Retail Banking"))
    context = {**governed(), "datasets_dir": str(tmp_path)}
    assert f"dataset 'sales': {contract}: domain must match" in config_error(context)  # the fork's file, not the repository's
    assert load_settings({**stage_context("dev"), "datasets_dir": str(tmp_path)}).dataset("sales").domain == "Retail Banking"


def test_tags_and_hidden_columns_come_from_the_contracts():
    settings = load_settings(governed())
    keys = tag_keys(settings)
    values = tag_values(settings)
    declared = {c.classification for d in settings.datasets for c in d.columns if c.classification}
    assert set(values[keys.classification]) == declared | {settings.governance.default_classification}
    assert set(values[keys.domain]) == {d.domain for d in settings.datasets}
    restricted = {(d.name, c.name) for d in settings.datasets for c in d.columns if c.classification in settings.governance.restricted_classifications}
    assert restricted, "the shipped contracts classify at least one column as restricted"
    for consumer in ("analysts", "quicksight"):
        assert {(d.name, c) for d in settings.datasets for c in hidden_columns(settings, d, consumer)} == restricted
    allowed = load_settings(governed(analysts_read_restricted=True))
    assert all(not hidden_columns(allowed, d, "analysts") for d in allowed.datasets)
    assert set(readable_classifications(allowed, "analysts")) == set(values[keys.classification])
    assert all(not hidden_columns(load_settings(stage_context("dev")), d, "analysts") for d in settings.datasets)


def test_an_ephemeral_stage_leaves_the_accounts_administrators_to_its_base():
    """Its delete must not touch the data lake settings its base stage appended to."""
    settings = load_settings({**stage_context("prod"), "stage": "pr7", "base_stage": "prod"})
    assert settings.governance.mode == load_settings(stage_context("prod")).governance.mode
    assert settings.governance.manage_data_lake_settings is False
