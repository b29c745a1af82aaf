"""Bad configuration stops synth with one line that names the setting and what is allowed."""
import pytest

from lake_config import load_settings
from tests.helpers import CDK_CONTEXT, absent_name, config_error, stage_context, synth_with_app_py

# A valid stage name that cdk.json does not declare.
UNKNOWN_STAGE = absent_name("no", sep="")


def test_both_stages_load():
    assert load_settings(stage_context("dev")).retain_data is False
    prod = load_settings(stage_context("prod"))
    assert prod.retain_data is True and prod.termination_protection is True


def test_unknown_stage_lists_the_allowed_ones():
    assert config_error(stage_context() | {"stage": UNKNOWN_STAGE}) == (
        f"unknown stage {UNKNOWN_STAGE!r} (-c stage=...): allowed values are {', '.join(CDK_CONTEXT['stages'])}, "
        "or derive a new one with -c base_stage=<one of them>"
    )


@pytest.mark.parametrize("name", ["Dev", "dev_1", "d", "stage-two", "averyverylongstage"])
def test_a_bad_stage_name_is_named_as_the_user_wrote_it(name):
    """The stage is a key of `stages` passed with -c stage=...: the message must not name a
    setting `stages.<name>.stage` nobody wrote."""
    context = stage_context()
    context["stages"][name] = context["stages"]["dev"]
    message = config_error(context | {"stage": name})
    assert message == (
        f"invalid stage name {name!r} (a key of cdk.json 'stages', chosen with -c stage=...): "
        "must be 2 to 10 lower-case letters and digits, starting with a letter"
    )
    assert f"stages.{name}.stage" not in message


def test_a_top_level_project_is_named_where_it_was_written():
    assert config_error(stage_context() | {"project": "Lake"}).startswith("invalid setting project: must be 3 to 20")


def test_unknown_key_lists_the_allowed_keys():
    message = config_error(stage_context(storage={"raw_glacier_days": 40}))
    assert message.startswith("invalid setting stages.dev.storage.raw_glacier_days: unknown setting; allowed settings here are ")
    assert "raw_glacier_ir_days" in message


@pytest.mark.parametrize(
    "overrides, setting, expected",
    [
        ({"analytics": {"bytes_scanned_cutoff_mb": "1024"}}, "analytics.bytes_scanned_cutoff_mb", "valid integer"),
        ({"retain_data": "yes"}, "retain_data", "valid boolean"),
        ({"storage": {"raw_infrequent_access_days": 10}}, "storage.raw_infrequent_access_days", "greater than or equal to 30"),
        ({"storage": {"athena_results_expiration_days": 0}}, "storage.athena_results_expiration_days", "greater than or equal to 1"),
        ({"storage": {"abort_incomplete_multipart_upload_days": 90}}, "storage.abort_incomplete_multipart_upload_days", "less than or equal to 30"),
        ({"analytics": {"bytes_scanned_cutoff_mb": 5}}, "analytics.bytes_scanned_cutoff_mb", "greater than or equal to 10"),
        ({"project": "Data_Lake"}, "project", "must be 3 to 20 lower-case letters, digits and hyphens"),
        ({"project": "a-project-name-too-long-for-s3"}, "project", "which S3 limits to 63 characters"),
        ({"project": "lake-"}, "project", "not ending with a hyphen"),
        ({"catalog": {"crawler_schedule": "daily"}}, "catalog.crawler_schedule", "must be a cron expression with six fields"),
        ({"account": "12345"}, "account", "should match pattern"),
    ],
)
def test_bad_values_name_the_setting(overrides, setting, expected):
    message = config_error(stage_context(**overrides))
    assert message.startswith(f"invalid setting stages.dev.{setting}: ")
    assert expected in message


def test_glacier_must_follow_infrequent_access_by_30_days():
    message = config_error(stage_context(storage={"raw_infrequent_access_days": 60, "raw_glacier_ir_days": 80}))
    assert message.startswith("invalid setting stages.dev.storage: storage.raw_glacier_ir_days must be at least")
    assert "(90)" in message


def test_synth_prints_one_line_and_no_traceback():
    """The same check through app.py, as `cdk synth` runs it."""
    result = synth_with_app_py(stage_context(analytics={"bytes_scanned_cutoff_mb": 1}))
    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [
        "configuration error: invalid setting stages.dev.analytics.bytes_scanned_cutoff_mb: "
        "Input should be greater than or equal to 10 (got 1)"
    ]
