"""Pipeline, monitoring and cluster-mode settings: what AWS would refuse is refused at synth, in one line."""
import pytest

from lake_config import load_settings
from lake_config.pipeline_settings import PipelineSettings, scheduler_cron_problem
from tests.helpers import config_error, stage_context


def test_the_shipped_stages_run_the_pipeline_daily_in_their_modes():
    dev, prod = load_settings(stage_context("dev")), load_settings(stage_context("prod"))
    assert (dev.emr.mode, prod.emr.mode) == ("transient", "long_running")
    for settings in (dev, prod):
        assert settings.pipeline.schedule.enabled and scheduler_cron_problem(settings.pipeline.schedule.cron) is None


@pytest.mark.parametrize(
    "expression, problem",
    [
        ("cron(0 4 * * ? *)", None),
        ("cron(30 3 ? * MON-FRI *)", None),
        ("cron(0/15 * * * ? 2026)", None),
        ("cron(0 4 * * *)", "six fields"),
        ("rate(1 day)", "six fields"),
        ("cron(0 4 * * * *)", "'?' in exactly one of day-of-month and day-of-week"),
        ("cron(0 4 ? * ? *)", "'?' in exactly one of day-of-month and day-of-week"),
        ("cron(0 25 * * ? *)", "hours '25' outside 0-23"),
        ("cron(61 4 * * ? *)", "minutes '61' outside 0-59"),
        ("cron(0 4 32 * ? *)", "day-of-month '32' outside 1-31"),
    ],
)
def test_scheduler_cron_rules(expression, problem):
    found = scheduler_cron_problem(expression)
    assert (found is None) if problem is None else (problem in found), found


@pytest.mark.parametrize(
    "section, values, setting, expected",
    [
        ("pipeline", {"schedule": {"cron": "cron(0 4 * * *)"}}, "pipeline.schedule.cron", "six fields"),
        ("pipeline", {"schedule": {"timezone": "Mars/Olympus"}}, "pipeline.schedule.timezone", "IANA time zone"),
        ("pipeline", {"schedule": {"flexible_window_minutes": 1441}}, "pipeline.schedule.flexible_window_minutes", "less than or equal to 1440"),
        ("pipeline", {"schedule": {"retry_attempts": 186}}, "pipeline.schedule.retry_attempts", "less than or equal to 185"),
        ("pipeline", {"timeout_minutes": 60}, "pipeline", "must exceed pipeline.cluster_start_timeout_minutes + pipeline.step_timeout_minutes"),
        ("pipeline", {"log_retention_days": 10}, "pipeline.log_retention_days", "CloudWatch Logs retention period"),
        ("monitoring", {"notification_emails": ["ops"]}, "monitoring.notification_emails", "not an e-mail address"),
        ("monitoring", {"notification_emails": ["a@example.com", "a@example.com"]}, "monitoring.notification_emails", "twice"),
        ("monitoring", {"budget": {"monthly_limit_usd": 0}}, "monitoring.budget.monthly_limit_usd", "greater than or equal to 1"),
        ("network", {"nat_provider": "gateway", "nat_instance_type": "t4g.micro"}, "network", "nat_instance_type applies to network.nat_provider instance only"),
    ],
)
def test_bad_pipeline_and_monitoring_settings_name_the_setting(section, values, setting, expected):
    message = config_error(stage_context(**{section: values}))
    assert message.startswith(f"invalid setting stages.dev.{setting}"), message
    assert expected in message, message


EXTERNAL_KDC = {
    "provider": "external",
    "realm": "CORP.EXAMPLE.COM",
    "kdc_server": "kdc.corp.example.com",
    "admin_server": "kdc.corp.example.com:749",
    "admin_password_secret_arn": "arn:aws:secretsmanager:eu-west-1:111122223333:secret:kdc-admin-AbCdEf",
}


@pytest.mark.parametrize(
    "stage, emr, expected",
    [
        ("dev", {"termination_protection": True}, "emr.termination_protection must be false with emr.mode transient"),
        ("prod", {"primary_nodes": 3}, "emr.primary_nodes 3 needs emr.kerberos.provider external"),
        ("dev", {"primary_nodes": 3, "kerberos": EXTERNAL_KDC}, "emr.primary_nodes 3 needs emr.mode long_running"),
        ("prod", {"primary_nodes": 3, "kerberos": EXTERNAL_KDC, "termination_protection": False},
         "emr.primary_nodes 3 needs emr.termination_protection true"),
        ("prod", {"primary_nodes": 3, "kerberos": EXTERNAL_KDC}, "emr.idle_timeout_seconds must be unset or 0 with emr.primary_nodes 3"),
        ("prod", {"primary_nodes": 2}, "Input should be 1 or 3"),
        ("prod", {"kerberos": {"provider": "external"}}, "emr.kerberos.provider external needs emr.kerberos.kdc_server"),
        ("prod", {"kerberos": {"kdc_server": "kdc.example.com"}}, "configures an external KDC"),
    ],
)
def test_combinations_emr_rejects_are_refused_in_one_line(stage, emr, expected):
    message = config_error(stage_context(stage, emr=emr))
    assert message.startswith(f"invalid setting stages.{stage}.emr"), message
    assert expected in message, message


def test_three_primary_nodes_with_an_external_kdc_load():
    context = stage_context("prod", emr={"primary_nodes": 3, "kerberos": EXTERNAL_KDC})
    del context["stages"]["prod"]["emr"]["idle_timeout_seconds"]
    emr = load_settings(context).emr
    assert emr.primary_nodes == 3 and emr.auto_termination_seconds is None and emr.kerberos.provider == "external"


def test_a_budget_in_a_region_without_the_budget_resource_is_refused():
    message = config_error(stage_context("dev", region="eu-north-1"))
    assert "monitoring.budget.enabled must be false in eu-north-1" in message
    assert load_settings(stage_context("dev", region="eu-north-1", monitoring={"budget": {"enabled": False}})).region == "eu-north-1"


@pytest.mark.cfn_lint
def test_regions_without_the_budget_resource_are_the_ones_cfn_lint_knows():
    from cfnlint.api import lint_all

    from lake_config.monitoring_settings import REGIONS_WITHOUT_BUDGET_RESOURCE

    template = '{"Resources": {"B": {"Type": "AWS::Budgets::Budget", "Properties": {"Budget": {"BudgetType": "COST", "TimeUnit": "MONTHLY"}}}}}'
    missing = {m.message.rsplit("'", 2)[-2] for m in lint_all(template) if m.rule.id == "E3006"}
    assert missing == set(REGIONS_WITHOUT_BUDGET_RESOURCE)


def test_step_and_cluster_polls_cover_their_timeouts():
    settings = PipelineSettings(poll_seconds=45, step_timeout_minutes=10, cluster_start_timeout_minutes=20)
    assert settings.step_polls * 45 >= 600 > (settings.step_polls - 1) * 45
    assert settings.cluster_polls * 45 >= 1200


@pytest.mark.parametrize("cron, gap", [("cron(* 4 * * ? *)", 1), ("cron(0/15 * * * ? *)", 15), ("cron(0 */2 * * ? *)", 120),
                                       ("cron(0 4,6 * * ? *)", 120), ("cron(0 0,23 * * ? *)", 60)])
def test_a_schedule_that_fires_more_often_than_a_run_may_last_is_refused(cron, gap):
    """cron(* 4 * * ? *), meant as 04:00, fires every minute of the hour, and each firing starts a
    run (in transient mode a cluster); it passed before."""
    from lake_config.pipeline_settings import PipelineSettings

    timeout = PipelineSettings().timeout_minutes
    message = config_error(stage_context(pipeline={"schedule": {"cron": cron}}))
    assert message == (
        f"invalid setting stages.dev.pipeline.schedule.cron: {cron} fires again {gap} minute(s) after a firing, and each firing "
        f"starts a run, which may take pipeline.timeout_minutes ({timeout}): fire at most once per {timeout} minutes "
        "(a daily run at 04:00 is cron(0 4 * * ? *)) or lower pipeline.timeout_minutes"
    )


@pytest.mark.parametrize("cron", ["cron(0 4 * * ? *)", "cron(0 4,20 * * ? *)", "cron(0 0,23 ? * MON *)", "cron(0 3 1 * ? *)"])
def test_schedules_at_least_a_run_apart_pass(cron):
    assert load_settings(stage_context(pipeline={"schedule": {"cron": cron}})).pipeline.schedule.cron == cron
