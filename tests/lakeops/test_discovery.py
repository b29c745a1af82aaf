"""Discovery from SSM, the not-deployed error and what works offline."""

from lakeops.status import OPTIONAL
from lakeops.discovery import PUBLISHED_BY, Stage, discover
from tests.lakeops.fakes import client


def test_discovers_every_contract_parameter(deployed):
    resources = discover(client("ssm"), Stage("datalake", "dev"))
    assert resources.values == deployed.parameters()
    assert set(resources.values) == set(PUBLISHED_BY) - set(OPTIONAL), "the fake stage publishes every parameter but the optional ones"


def test_discovery_pages_through_many_parameters(aws):
    ssm = client("ssm")
    for i in range(25):  # GetParametersByPath returns at most 10 per page
        ssm.put_parameter(Name=f"/datalake/dev/extra/p{i:02}", Value=str(i), Type="String")
    ssm.put_parameter(Name="/datalake/devx/emr/cluster-id", Value="other stage", Type="String")
    values = discover(ssm, Stage("datalake", "dev")).values
    assert len(values) == 25 and values["extra/p24"] == "24"


def test_undeployed_stage_names_each_missing_parameter_and_its_stack(aws, run_cli):
    result = run_cli("run-job")
    assert result.exit_code == 3
    assert "stage 'dev' is not deployed: missing 5 parameters:" in result.stderr
    assert "/datalake/dev/emr/cluster-id (published by stack datalake-dev-emr)" in result.stderr
    assert "/datalake/dev/catalog/curated-database (published by stack datalake-dev-catalog)" in result.stderr
    assert "Run 'make deploy STAGE=dev'." in result.stderr


def test_one_missing_parameter_gives_the_one_line_error(deployed, run_cli):
    client("ssm").delete_parameter(Name="/datalake/dev/emr/cluster-id")
    result = run_cli("run-job")
    assert result.exit_code == 3
    assert result.stderr.strip() == (
        "error: stage 'dev' is not deployed: missing /datalake/dev/emr/cluster-id "
        "(published by stack datalake-dev-emr). Run 'make deploy STAGE=dev'."
    )


def test_query_does_not_need_the_emr_stack(deployed, sim, run_cli):
    ssm = client("ssm")
    for key in ("emr/cluster-id", "emr/curation-script-uri", "emr/log-uri"):
        ssm.delete_parameter(Name=f"/datalake/dev/{key}")
    sim.plan_query(columns=["dt", "revenue"], rows=[["2024-01-01", "12.5"]], bytes_scanned=100)
    result = run_cli("query", "revenue_by_day_raw")
    assert result.exit_code == 0, result.output
    assert "2024-01-01  12.5" in result.stdout


def test_project_option_changes_the_parameter_path(aws, run_cli):
    result = run_cli("--project", "shop", "upload-sample", stage=None, env={"LAKEOPS_STAGE": "prod"})
    assert result.exit_code == 3
    assert "/shop/prod/storage/raw-bucket (published by stack shop-prod-storage)" in result.stderr
    assert "Run 'make deploy STAGE=prod'." in result.stderr


def test_help_needs_no_stage_and_no_aws(run_cli):
    for command in ("upload-sample", "crawl", "query", "run-job", "status", "smoke-test"):
        result = run_cli(command, "--help", stage=None, env={"AWS_DEFAULT_REGION": None})
        assert result.exit_code == 0, (command, result.output)
        assert "Usage:" in result.stdout


def test_missing_stage_is_a_usage_error(aws, run_cli):
    result = run_cli("status", stage=None)
    assert result.exit_code == 2
    assert "Missing option '--stage'" in result.stderr


def test_region_comes_from_aws_region_too(deployed, run_cli):
    """The README exports AWS_REGION (the CDK CLI's variable), which boto3 alone ignores."""
    result = run_cli("status", env={"AWS_DEFAULT_REGION": None, "AWS_REGION": "us-east-1"})
    assert result.exit_code == 0, result.output
    result = run_cli("status", env={"AWS_DEFAULT_REGION": None})
    assert result.exit_code == 1
    assert "error: no AWS region: pass --region, set AWS_REGION, or set a region in the profile" in result.stderr
