"""A stage in emr.mode transient: no cluster between runs, so status shows the pipeline and
smoke-test curates through run-pipeline (the run itself is executed in tests/orchestration)."""
import json

from lakeops import pipeline
from lakeops.errors import EXIT_NOT_DEPLOYED
from tests.lakeops.fakes import ACCOUNT, PROJECT, STAGE, client, create_sales_table
from tests.lakeops.test_smoke import DATES, plan_pipeline, summary


def make_transient(deployed) -> str:
    ssm = client("ssm")
    ssm.put_parameter(Name=f"/{PROJECT}/{STAGE}/emr/mode", Value="transient", Type="String", Overwrite=True)
    ssm.delete_parameter(Name=f"/{PROJECT}/{STAGE}/emr/cluster-id")
    arn = client("stepfunctions").create_state_machine(
        name="datalake-dev-pipeline", definition=json.dumps({"StartAt": "Done", "States": {"Done": {"Type": "Succeed"}}}),
        roleArn=f"arn:aws:iam::{ACCOUNT}:role/pipeline",
    )["stateMachineArn"]
    ssm.put_parameter(Name=f"/{PROJECT}/{STAGE}/pipeline/state-machine-arn", Value=arn, Type="String", Overwrite=True)
    return arn


def test_status_of_a_transient_stage_shows_its_pipeline_not_a_cluster(deployed, run_cli):
    arn = make_transient(deployed)
    result = run_cli("status")
    assert result.exit_code == 0, result.output
    (row,) = [line for line in result.stdout.splitlines() if line.startswith("curation pipeline")]
    assert arn in row and "ACTIVE, never run" in row
    assert "EMR cluster" not in result.stdout


def test_status_of_a_transient_stage_without_its_pipeline_is_not_deployed(deployed, run_cli):
    make_transient(deployed)
    client("ssm").delete_parameter(Name=f"/{PROJECT}/{STAGE}/pipeline/state-machine-arn")
    result = run_cli("status")
    assert result.exit_code == EXIT_NOT_DEPLOYED and "pipeline/state-machine-arn (stack datalake-dev-pipeline)" in result.stdout


def test_smoke_test_of_a_transient_stage_curates_through_the_pipeline(deployed, sim, run_cli, sample_dir, monkeypatch):
    make_transient(deployed)
    plan_pipeline(sim, deployed)
    runs = []

    def run_pipeline(lake, name, timeout):
        runs.append(lake.param(pipeline.PIPELINE_PARAM))
        create_sales_table(deployed.curated_database, deployed.curated_bucket, DATES, parquet=True)
        output = {"steps": [{"dataset": "sales", "state": "COMPLETED", "logs": "s3://logs/emr/j-1/steps/s-1/"}]}
        return pipeline.PipelineReport("arn:run", "SUCCEEDED", 12.0, output)

    monkeypatch.setattr(pipeline, "run_pipeline", run_pipeline)
    result = run_cli("smoke-test", "--sample-dir", str(sample_dir))
    assert result.exit_code == 0, result.output
    steps = summary(result.stdout)
    assert "run-job" not in steps and steps["run-pipeline"] == ("PASS", "SUCCEEDED in 12s: step sales: COMPLETED, logs s3://logs/emr/j-1/steps/s-1/")
    assert len(runs) == 1 and steps["curated table registered"][0] == "PASS"
