"""Glue/EventBridge cron semantics, checked at synth: what AWS would refuse is refused here."""
import pytest

from lake_config.cron import cron_problem
from tests.helpers import config_error, stage_context


@pytest.mark.parametrize(
    "expression",
    [
        "cron(0 3 * * ? *)",
        "cron(0/15 * * * ? *)",
        "cron(*/10 8-18 ? * MON-FRI *)",
        "cron(30 2 1,15 * ? *)",
        "cron(0 3 L * ? *)",
        "cron(0 3 LW * ? *)",
        "cron(0 3 15W JAN-jun ? 2027-2030)",
        "cron(0 3 ? * 6#3 *)",
        "cron(0 3 ? * 6L *)",
        "cron(0 3 ? * L *)",
    ],
)
def test_expressions_aws_accepts(expression):
    assert cron_problem(expression) is None


@pytest.mark.parametrize(
    "expression, problem",
    [
        ("daily", "six fields"),
        ("cron(0 3 * * ?)", "six fields"),
        ("rate(1 day)", "six fields"),
        ("cron(0 3 * * * *)", "exactly one of day-of-month and day-of-week"),
        ("cron(0 3 ? * ? *)", "exactly one of day-of-month and day-of-week"),
        ("cron(60 3 * * ? *)", "minutes field '60': values are 0-59"),
        ("cron(0 24 * * ? *)", "hours field '24': values are 0-23"),
        ("cron(0 3 0 * ? *)", "day-of-month field '0': values are 1-31"),
        ("cron(0 3 * 13 ? *)", "month field '13': values are 1-12 or JAN-DEC"),
        ("cron(0 3 * JUNE ? *)", "month field 'JUNE'"),
        ("cron(0 3 ? * 8 *)", "day-of-week field '8': values are 1-7 or SUN-SAT"),
        ("cron(0 3 * * ? 1969)", "year field '1969': values are 1970-2199"),
        ("cron(0 18-8 * * ? *)", "a range goes from low to high"),
        ("cron(0/0 * * * ? *)", "increment after '/'"),
        ("cron(0 3 ? * 2#6 *)", "'#' takes the week of the month, 1-5"),
        ("cron(0 3 ? * MON L)", "year field 'L'"),
        ("cron(0 ? * * ? *)", "hours field '?'"),
        ("cron(0 3 W * ? *)", "day-of-month field 'W'"),
    ],
)
def test_expressions_aws_refuses(expression, problem):
    found = cron_problem(expression)
    assert found is not None and problem in found, found


def test_the_crawler_schedule_is_checked_with_one_line():
    message = config_error(stage_context(catalog={"crawler_schedule": "cron(0 3 * * * *)"}))
    assert message.startswith("invalid setting stages.dev.catalog.crawler_schedule: needs '?' in exactly one of")
