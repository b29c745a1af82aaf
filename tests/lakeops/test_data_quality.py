"""data-quality: starts the Glue Data Quality evaluation of a dataset's ruleset, waits, prints
the score. moto 5.2 implements none of StartDataQualityRulesetEvaluationRun,
GetDataQualityRulesetEvaluationRun or GetDataQualityResult, so Glue is a botocore Stubber that
checks each request against the service model; SSM discovery stays moto's."""

import json

import boto3
import pytest
from botocore.stub import Stubber

from lakeops.aws import Aws
from tests.lakeops.fakes import FIRST, REGION, SETTINGS

RUN_ID = "dqrun-0a1b2c3d"


@pytest.fixture
def glue_stub(deployed, monkeypatch):
    """The CLI's Glue client, stubbed; every other client stays moto's."""
    glue = boto3.client("glue", region_name=REGION)
    stubber = Stubber(glue)
    original = Aws.client
    monkeypatch.setattr(Aws, "client", lambda self, service: glue if service == "glue" else original(self, service))
    with stubber:
        yield stubber
    stubber.assert_no_pending_responses()


def expect_run(stub, deployed, dataset, states, results):
    stub.add_response(
        "start_data_quality_ruleset_evaluation_run", {"RunId": RUN_ID},
        {"DataSource": {"GlueTable": {"DatabaseName": deployed.curated_database, "TableName": dataset.table}},
         "Role": deployed.dq_role(dataset.name), "RulesetNames": [deployed.ruleset(dataset.name)]},
    )
    for state in states:  # the waiter's polls, then the final read
        stub.add_response("get_data_quality_ruleset_evaluation_run", {"RunId": RUN_ID, "Status": state}, {"RunId": RUN_ID})
    final = {"RunId": RUN_ID, "Status": states[-1]} | ({"ResultIds": [r["ResultId"] for r in results]} if results else {})
    if states[-1] == "FAILED":
        final["ErrorString"] = "AccessDeniedException: not authorized to perform glue:GetTable"
    stub.add_response("get_data_quality_ruleset_evaluation_run", final, {"RunId": RUN_ID})
    for result in results:
        stub.add_response("get_data_quality_result", result, {"ResultId": result["ResultId"]})


def result(score, *outcomes):
    return {"ResultId": "dqresult-1", "Score": score, "RuleResults": [
        {"Name": f"Rule_{i}", "EvaluatedRule": rule, "Result": outcome, "EvaluationMessage": message}
        for i, (rule, outcome, message) in enumerate(outcomes, start=1)]}


@pytest.mark.parametrize("dataset", SETTINGS.datasets, ids=lambda d: d.name)
def test_prints_every_rule_and_the_score(deployed, glue_stub, run_cli, dataset):
    expect_run(glue_stub, deployed, dataset, ["RUNNING", "SUCCEEDED"],
               [result(1.0, ("RowCount > 0", "PASS", ""), (f'IsPrimaryKey "{dataset.key[0]}"', "PASS", ""))])
    out = run_cli("data-quality", "--dataset", dataset.name)
    assert out.exit_code == 0, out.output
    assert 'IsPrimaryKey "' in out.stdout and "PASS" in out.stdout
    assert out.stdout.endswith(
        f"Data quality of {dataset.name} ({deployed.curated_database}.{dataset.table}, ruleset {deployed.ruleset(dataset.name)}, "
        f"run {RUN_ID}): score 1.00, 2 of 2 rules passed\n")
    assert f"Data Quality run {RUN_ID}: RUNNING (0s elapsed)" in out.stderr


def test_a_failing_rule_fails_below_the_minimum_score(deployed, glue_stub, run_cli):
    rows = [("RowCount > 0", "PASS", ""), ('ColumnValues "x" > 0', "FAIL", "Value: -1.0 does not meet the constraint requirement!")]
    expect_run(glue_stub, deployed, FIRST, ["SUCCEEDED"], [result(0.5, *rows)])
    out = run_cli("data-quality", "--dataset", FIRST.name)
    assert out.exit_code == 1
    assert "Value: -1.0 does not meet the constraint requirement!" in out.stdout
    assert "score 0.50, 1 of 2 rules passed" in out.stdout
    assert f"error: the data quality score 0.50 of {FIRST.name} is below --min-score 1" in out.stderr


def test_a_lower_minimum_accepts_the_score(deployed, glue_stub, run_cli):
    expect_run(glue_stub, deployed, FIRST, ["SUCCEEDED"], [result(0.5, ("RowCount > 0", "PASS", ""), ("IsComplete \"x\"", "FAIL", ""))])
    assert run_cli("data-quality", "--dataset", FIRST.name, "--min-score", "0.5").exit_code == 0


def test_a_failed_run_names_its_role(deployed, glue_stub, run_cli):
    expect_run(glue_stub, deployed, FIRST, ["FAILED"], [])
    out = run_cli("data-quality", "--dataset", FIRST.name)
    assert out.exit_code == 1
    assert (f"error: Data Quality run {RUN_ID} of ruleset {deployed.ruleset(FIRST.name)} FAILED: "
            "AccessDeniedException: not authorized to perform glue:GetTable") in out.stderr
    assert f"The run's role is {deployed.dq_role(FIRST.name)}" in out.stderr


def test_a_run_that_does_not_finish_times_out_with_exit_4(deployed, glue_stub, run_cli):
    glue_stub.add_response("start_data_quality_ruleset_evaluation_run", {"RunId": RUN_ID})
    glue_stub.add_response("get_data_quality_ruleset_evaluation_run", {"RunId": RUN_ID, "Status": "RUNNING"})
    out = run_cli("data-quality", "--dataset", FIRST.name, "--timeout", "0")
    assert out.exit_code == 4
    assert f"waiting for Data Quality run {RUN_ID}, still RUNNING" in out.stderr
    assert f"'aws glue get-data-quality-ruleset-evaluation-run --run-id {RUN_ID}'" in out.stderr


def test_output_json_gives_the_score_and_every_rule_and_still_fails_below_the_minimum(deployed, glue_stub, run_cli):
    rows = [("RowCount > 0", "PASS", ""), ('ColumnValues "x" > 0', "FAIL", "Value: -1.0 does not meet the constraint requirement!")]
    expect_run(glue_stub, deployed, FIRST, ["SUCCEEDED"], [result(0.5, *rows)])
    out = run_cli("data-quality", "--dataset", FIRST.name, "--output", "json")
    assert out.exit_code == 1
    assert json.loads(out.stdout) == {
        "dataset": FIRST.name, "ruleset": deployed.ruleset(FIRST.name), "run_id": RUN_ID,
        "table": f"{deployed.curated_database}.{FIRST.table}", "score": 0.5, "passed": 1, "min_score": 1.0,
        "rules": [{"rule": rule, "result": outcome, "message": message} for rule, outcome, message in rows],
    }
    assert f"error: the data quality score 0.50 of {FIRST.name} is below --min-score 1" in out.stderr
