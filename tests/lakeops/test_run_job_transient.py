"""run-job on a stage whose clusters are transient: no cluster to submit to, so say what to run instead."""
from lakeops.errors import EXIT_NOT_DEPLOYED
from tests.lakeops.fakes import PROJECT, STAGE, client


def test_run_job_points_a_transient_stage_to_run_pipeline(deployed, run_cli):
    client("ssm").put_parameter(Name=f"/{PROJECT}/{STAGE}/emr/mode", Value="transient", Type="String", Overwrite=True)
    result = run_cli("run-job")
    assert result.exit_code == EXIT_NOT_DEPLOYED
    assert "emr.mode transient" in result.stderr and "lakeops run-pipeline" in result.stderr
