"""The one wait loop: waiter acceptors decide the end, progress only on change, errors surface."""

import pytest
from botocore.exceptions import ClientError

from lakeops.waiting import custom_waiter, wait_for
from tests.lakeops.fakes import client


def test_an_error_while_polling_is_raised_as_the_aws_error(aws):
    with pytest.raises(ClientError) as raised:
        wait_for(custom_waiter("CrawlerReady", client("glue")), label="crawler nope", state_path="Crawler.State",
                 timeout=5, poll_interval=0, progress=print, on_timeout="", Name="nope")
    assert raised.value.operation_name == "GetCrawler"
    assert raised.value.response["Error"]["Code"] == "EntityNotFoundException"


def test_progress_is_reported_when_the_state_changes(deployed, sim):
    from moto.moto_api import state_manager
    state_manager.set_transition("athena::execution", {"progression": "manual", "times": 2})
    athena = client("athena")
    execution_id = athena.start_query_execution(QueryString="SELECT 1", WorkGroup=deployed.workgroup)[
        "QueryExecutionId"]
    lines = []
    wait_for(custom_waiter("QueryExecutionFinished", athena), label="query q", timeout=5, poll_interval=0,
             state_path="QueryExecution.Status.State", progress=lines.append, on_timeout="",
             QueryExecutionId=execution_id)
    # QUEUED, QUEUED, RUNNING, RUNNING, then SUCCEEDED ends the wait: one line per state seen
    assert lines == ["  query q: QUEUED (0s elapsed)", "  query q: RUNNING (0s elapsed)"]


def test_a_wait_on_a_fake_that_never_ends_fails_instead_of_hanging(deployed, run_cli, monkeypatch):
    """No Simulator: moto's step stays PENDING for ever, and the CLI polls with --poll-interval 0
    (tests/lakeops/conftest.py bounds it; without the bound this test spins for the CLI's default
    --timeout of 30 minutes, or until pytest-timeout ends it). A lower bound here: the same
    guard, without a thousand polls of moto."""
    from tests.lakeops import conftest
    from tests.lakeops.fakes import FIRST

    monkeypatch.setattr(conftest, "MAX_POLLS", 25)
    with pytest.raises(pytest.fail.Exception, match="polled more than 25 times"):
        run_cli("run-job", "--dataset", FIRST.name)
