"""Rules across a whole stage: ephemeral stages, the one owner of catalog encryption, full name
lengths against S3's limit, time zones, and every mapping level of cdk.json."""
import pytest

from lake_config import load_settings
from lake_config.loader import catalog_encryption_owners, config_warnings
from lake_config.names import (
    BUCKET_NAME_MAX, BUCKET_ZONES, E2E_PREFIX, STAGE_NAME_MAX, bucket_name, ephemeral_stage_name, longest_region, name_budget,
)
from tests.helpers import CDK_CONTEXT, absent_name, config_error, stage_context


def ephemeral(stage: str = "pr42", base: str = "prod", **sections) -> dict:
    return stage_context(base, **sections) | {"stage": stage, "base_stage": base}


@pytest.mark.parametrize("base", sorted(CDK_CONTEXT["stages"]))
def test_an_ephemeral_stage_derives_from_a_shipped_one_and_keeps_nothing(base):
    shipped = load_settings(stage_context(base))
    derived = load_settings(ephemeral("pr42", base))
    assert derived.ephemeral and derived.base_stage == base and derived.stage == "pr42"
    assert derived.prefix == f"{derived.project}-pr42" != shipped.prefix, "names unique per stage"
    assert (derived.retain_data, derived.termination_protection, derived.emr.termination_protection) == (False, False, False)
    assert derived.catalog.manage_data_catalog_encryption is False
    assert derived.emr.release_label == shipped.emr.release_label and derived.storage == shipped.storage, "everything else as its base"


def test_ephemeral_names_are_checked():
    assert config_error(ephemeral("dev")) == "-c base_stage derives a new stage, but 'dev' is already in cdk.json: pick another -c stage name"
    unknown = absent_name("no", sep="")
    assert config_error(stage_context() | {"stage": "pr42", "base_stage": unknown}).startswith(
        f"unknown base stage {unknown!r} (-c base_stage=...): allowed values are {', '.join(CDK_CONTEXT['stages'])}")
    assert config_error(ephemeral("PR-42")).startswith("invalid stage name 'PR-42' (-c stage=...): must be 2 to 10 lower-case letters")
    context = stage_context("dev")
    context["stages"]["dev"]["base_stage"] = "prod"
    assert config_error(context) == "invalid setting stages.dev.base_stage: base_stage is a command-line context key (-c), not a setting"


def test_the_stages_that_own_catalog_encryption_retain_their_key_and_collide_only_with_a_warning():
    owners = catalog_encryption_owners(CDK_CONTEXT)
    assert owners == sorted(s for s, v in CDK_CONTEXT["stages"].items() if v.get("catalog", {}).get("manage_data_catalog_encryption"))
    assert all(load_settings(stage_context(owner)).retain_data for owner in owners)
    accounts = [CDK_CONTEXT["stages"][owner].get("account") for owner in owners]
    collide = len(owners) > 1 and (None in accounts or len(set(accounts)) < len(accounts))
    assert len(config_warnings(CDK_CONTEXT)) == collide


def test_a_stage_that_deletes_its_key_may_not_own_catalog_encryption():
    message = config_error(stage_context(catalog={"manage_data_catalog_encryption": True}))
    assert message.startswith("invalid setting stages.dev: catalog.manage_data_catalog_encryption needs retain_data: true")


def test_two_owners_in_one_account_get_one_warning_line():
    context = stage_context("dev", retain_data=True, catalog={"manage_data_catalog_encryption": True})
    for settings in context["stages"].values():  # unbound: each deploys wherever the credentials point
        settings.pop("account", None)
    owners = catalog_encryption_owners(context)
    assert "dev" in owners and len(owners) >= 2
    (warning,) = config_warnings(context)
    assert warning.startswith(f"warning: stages {', '.join(owners)} all set catalog.manage_data_catalog_encryption") and "\n" not in warning
    for number, owner in enumerate(owners):
        context["stages"][owner]["account"] = f"{number + 1:012d}"
    assert config_warnings(context) == [], "stages pinned to different accounts do not collide"


def test_the_longest_region_is_the_longest_commercial_one():
    """Sized for the commercial partition (aws-cdk's own region table as a second source); an
    isolated partition's longer names (us-isof-south-1) apply only to a stage pinned there."""
    import aws_cdk.region_info as region_info

    commercial = [region.name for region in region_info.RegionInfo.regions if region.partition == "aws"]
    assert len(longest_region()) >= max(len(name) for name in commercial)
    assert longest_region("us-isof-south-1") == "us-isof-south-1"


def test_bucket_names_fit_for_every_shipped_stage_in_every_region_it_can_deploy_to():
    for stage in CDK_CONTEXT["stages"]:
        settings = load_settings(stage_context(stage))
        for zone in BUCKET_ZONES:
            name = bucket_name(settings.project, settings.stage, zone, "0" * 12, longest_region(settings.region))
            assert len(name) <= BUCKET_NAME_MAX, name


def test_a_project_and_stage_too_long_for_s3_are_refused_with_the_setting_to_shorten():
    budget = name_budget()
    stage = "sevench"
    fits, too_long = "p" * (budget - len(stage)), "p" * (budget - len(stage) + 1)
    load_settings(stage_context(project=fits) | {"stage": stage, "base_stage": "dev"})
    message = config_error(stage_context(project=too_long) | {"stage": stage, "base_stage": "dev"})
    assert message.startswith(f"invalid -c stage={stage} (derived from stages.dev): project and stage make bucket names "
                              f"of up to {BUCKET_NAME_MAX + 1} characters")
    assert message.endswith(f"shorten -c stage={stage} to at most {len(stage) - 1} characters")
    project = "p" * (budget - len("dev") + 1)
    message = config_error(stage_context("dev", project=project))
    assert message.startswith("invalid setting stages.dev: project and stage make bucket names")
    assert message.endswith(f"shorten project {project!r} or the stage name 'dev' by 1")
    project = "p" * (budget - 1)  # leaves less than the shortest stage name
    assert config_error(stage_context("dev", project=project)).endswith(f"shorten project {project!r} to at most {budget - 2} characters")
    assert config_error(stage_context(project="xn--lake")).endswith("project must not start with 'xn--': S3 reserves that start of a bucket name")


def test_a_pinned_region_is_measured_as_it_is():
    budget = name_budget("eu-west-1")
    assert budget > name_budget()
    load_settings(stage_context(project="p" * (budget - 7), region="eu-west-1") | {"stage": "sevench", "base_stage": "dev"})
    message = config_error(stage_context(project="p" * (budget - 6), region="eu-west-1") | {"stage": "sevench", "base_stage": "dev"})
    assert "pinned region eu-west-1" in message


@pytest.mark.parametrize("project_length", range(3, name_budget() - len(E2E_PREFIX)))
def test_ci_names_an_ephemeral_stage_that_fits_beside_any_project(project_length):
    """The e2e workflow's stage (scripts/e2e_stage_name.py): for every project that leaves room
    for the prefix and one character, a valid new stage name whose buckets fit."""
    project = "p" * project_length
    names = {ephemeral_stage_name(project, kind, number) for kind in ("pr", "r") for number in (1, 42, 1295, 99999, 999999)}
    for name in names:
        assert name.startswith(E2E_PREFIX) and len(name) <= STAGE_NAME_MAX
        load_settings(stage_context("dev", project=project) | {"stage": name, "base_stage": "dev"})
    if project_length <= name_budget() - len("e2epr99999"):
        assert ephemeral_stage_name(project, "pr", 99999) == "e2epr99999", "the readable name wherever it fits"


@pytest.mark.parametrize("zone, ok", [("Europe/Berlin", True), ("America/Argentina/Buenos_Aires", True), ("Europe/Berln", False), ("europe/berlin", False), ("CEST", False)])
def test_refresh_time_zones_are_real_iana_zones(zone, ok):
    quicksight = {**CDK_CONTEXT["stages"]["prod"]["quicksight"], "refresh": {"interval": "DAILY", "time_of_day": "05:00", "timezone": zone}}
    context = stage_context("prod", quicksight=quicksight)
    if ok:
        assert load_settings(context).quicksight.refresh.timezone == zone
    else:
        assert config_error(context).startswith("invalid setting stages.prod.quicksight.refresh.timezone: must be an IANA time zone name")


@pytest.mark.parametrize(
    "where, value, expected",
    [
        ("stages", ["dev"], "cdk.json context 'stages' must map stage names to their settings"),
        ("stage", "not a mapping", "invalid setting stages.dev: must be a mapping of settings (got 'not a mapping')"),
        ("section", 5, "invalid setting stages.dev.storage: Input should be a valid dictionary or instance of StorageSettings (got 5)"),
        ("nested", "daily", "invalid setting stages.prod.quicksight.refresh: Input should be a valid dictionary"),
    ],
)
def test_every_mapping_level_of_cdk_json_is_checked(where, value, expected):
    if where == "stages":
        context = stage_context() | {"stages": value}
    elif where == "stage":
        context = stage_context()
        context["stages"]["dev"] = value
    elif where == "section":
        context = stage_context(storage=value)
    else:
        context = stage_context("prod", quicksight={**CDK_CONTEXT["stages"]["prod"]["quicksight"], "refresh": value})
    assert config_error(context).startswith(expected)


def test_app_py_reads_the_nulls_from_the_context_the_cdk_cli_sends(monkeypatch, tmp_path):
    """The CLI's CDK_CONTEXT_JSON (or its overflow file) keeps the null the CDK app drops."""
    import importlib.util
    import json

    from tests.helpers import ROOT

    spec = importlib.util.spec_from_file_location("lake_app", ROOT / "app.py")
    app = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(app)
    cli = stage_context(emr={**CDK_CONTEXT["stages"]["dev"]["emr"], "idle_timeout_seconds": None})
    monkeypatch.setenv("CDK_CONTEXT_JSON", json.dumps(cli))
    monkeypatch.delenv("CONTEXT_OVERFLOW_LOCATION_ENV", raising=False)
    assert app.cli_context() == cli
    overflow = tmp_path / "context.json"
    overflow.write_text(json.dumps(cli))
    monkeypatch.setenv("CONTEXT_OVERFLOW_LOCATION_ENV", str(overflow))
    assert app.cli_context() == cli


def test_importing_app_py_leaves_the_garbage_collector_on():
    """app.py switches the cyclic collector off for a synth, never for a process that imports it."""
    import gc
    import importlib.util

    from tests.helpers import ROOT

    spec = importlib.util.spec_from_file_location("lake_app_gc", ROOT / "app.py")
    spec.loader.exec_module(importlib.util.module_from_spec(spec))
    assert gc.isenabled()
