"""Discovery from SSM, the not-deployed error and what works offline."""

import json
import platform
import uuid

import botocore

import lakeops
from lakeops import configuration
from lakeops.discovery import PUBLISHED_BY, Stage, dataset_param, discover
from lakeops.status import OPTIONAL
from tests.helpers import absent_name
from tests.lakeops.fakes import PARAMS, PREFIX, PROJECT, RAW_QUERY, REGION, SETTINGS, STAGE, client


def test_discovers_every_contract_parameter_and_the_datasets(deployed):
    resources = discover(client("ssm"), Stage(PROJECT, STAGE))
    assert resources.values == deployed.parameters()
    per_dataset = {dataset_param(d.name, p) for d in SETTINGS.datasets
                   for p in ("raw-crawler", "raw-table", "curated-table", "data-quality-ruleset", "data-quality-role")}
    # The fake stage publishes every parameter but the optional ones.
    assert set(resources.values) == (set(PUBLISHED_BY) - set(OPTIONAL)) | per_dataset
    assert resources.datasets() == sorted(d.name for d in SETTINGS.datasets)


def test_discovery_pages_through_many_parameters(aws):
    ssm = client("ssm")
    for i in range(25):  # GetParametersByPath returns at most 10 per page
        ssm.put_parameter(Name=f"{PARAMS}extra/p{i:02}", Value=str(i), Type="String")
    ssm.put_parameter(Name=f"/{PROJECT}/{STAGE}x/emr/cluster-id", Value="other stage", Type="String")
    values = discover(ssm, Stage(PROJECT, STAGE)).values
    assert len(values) == 25 and values["extra/p24"] == "24"


def test_undeployed_stage_names_each_missing_parameter_and_its_stack(aws, run_cli):
    result = run_cli("run-job", "--dataset", SETTINGS.datasets[0].name)
    assert result.exit_code == 3
    assert f"stage '{STAGE}' is not deployed: missing 5 parameters:" in result.stderr
    assert f"{PARAMS}emr/cluster-id (published by stack {PREFIX}-emr)" in result.stderr
    assert f"{PARAMS}catalog/curated-database (published by stack {PREFIX}-catalog)" in result.stderr
    assert f"Run 'make deploy STAGE={STAGE}'." in result.stderr


def test_one_missing_parameter_gives_the_one_line_error(deployed, run_cli):
    client("ssm").delete_parameter(Name=f"{PARAMS}emr/cluster-id")
    result = run_cli("run-job", "--dataset", SETTINGS.datasets[0].name)
    assert result.exit_code == 3
    assert result.stderr.strip() == (
        f"error: stage '{STAGE}' is not deployed: missing {PARAMS}emr/cluster-id "
        f"(published by stack {PREFIX}-emr). Run 'make deploy STAGE={STAGE}'."
    )


def test_a_dataset_that_is_not_deployed_names_the_deployed_ones(deployed, run_cli):
    unknown = absent_name()
    result = run_cli("run-job", "--dataset", unknown)
    assert result.exit_code == 3
    deployed_names = ", ".join(sorted(d.name for d in SETTINGS.datasets))
    assert f"error: dataset '{unknown}' is not deployed in stage '{STAGE}' (deployed: {deployed_names})" in result.stderr


def test_query_does_not_need_the_emr_stack(deployed, sim, run_cli):
    ssm = client("ssm")
    for key in ("emr/cluster-id", "emr/curation-script-uri", "emr/log-uri"):
        ssm.delete_parameter(Name=f"{PARAMS}{key}")
    sim.plan_query(columns=["dt", "revenue"], rows=[["2024-01-01", "12.5"]], bytes_scanned=100)
    result = run_cli("query", RAW_QUERY)
    assert result.exit_code == 0, result.output
    assert "2024-01-01  12.5" in result.stdout


def test_project_option_changes_the_parameter_path(aws, run_cli):
    result = run_cli("--project", "shop", "status", stage=None, env={"LAKEOPS_STAGE": "prod"})
    assert result.exit_code == 3
    assert "/shop/prod/storage/raw-bucket (stack shop-prod-storage)" in result.stdout
    result = run_cli("--project", "shop", "run-job", "--dataset", absent_name(), stage=None, env={"LAKEOPS_STAGE": "prod"})
    assert "Run 'make deploy STAGE=prod'." in result.stderr


def write_cdk_json(tmp_path, monkeypatch, context: dict) -> None:
    path = tmp_path / "cdk.json"
    path.write_text(json.dumps({"app": "python app.py", "context": context}))
    monkeypatch.setattr(configuration, "CDK_JSON", path)


def test_project_defaults_to_cdk_json(aws, run_cli, tmp_path, monkeypatch):
    """A fork renames its project once, in cdk.json; the CLI follows without --project."""
    write_cdk_json(tmp_path, monkeypatch, {"project": "acme-lake", "stages": {"dev": {}, "qa": {"project": "acme-qa"}}})
    result = run_cli("status")
    assert "missing /acme-lake/dev/storage/raw-bucket (stack acme-lake-dev-storage)" in result.stdout
    result = run_cli("status", stage="qa")
    assert "missing /acme-qa/qa/storage/raw-bucket (stack acme-qa-qa-storage)" in result.stdout, "a stage's own project wins"
    result = run_cli("--project", "shop", "status")
    assert "missing /shop/dev/storage/raw-bucket" in result.stdout, "--project wins over cdk.json"


def test_without_a_project_in_cdk_json_the_settings_default_applies(aws, run_cli, tmp_path, monkeypatch):
    write_cdk_json(tmp_path, monkeypatch, {"stages": {"dev": {}}})
    assert f"missing /{configuration.DEFAULT_PROJECT}/dev/storage/raw-bucket" in run_cli("status").stdout


def test_the_repositorys_cdk_json_gives_the_tests_project():
    assert configuration.project_for(STAGE) == PROJECT == SETTINGS.project


def test_help_needs_no_stage_and_no_aws(run_cli):
    for command in ("upload-sample", "crawl", "query", "run-job", "status", "smoke-test", "data-quality"):
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


def new_stage_name() -> str:
    """A stage name no cdk.json declares (generated, so a fork's stage cannot collide)."""
    return f"t{uuid.uuid4().hex[:8]}"


def test_an_unknown_stage_is_a_usage_error_listing_the_stages(aws, run_cli):
    stage = new_stage_name()
    result = run_cli("status", stage=stage)
    assert result.exit_code == 2
    assert (f"Invalid value for '--stage': unknown stage '{stage}': cdk.json declares "
            f"{', '.join(configuration.stage_names())}") in result.stderr
    assert result.stdout == ""


def test_an_ephemeral_stage_names_its_base(aws, run_cli):
    """As `cdk synth -c stage=<new> -c base_stage=<shipped>`: the new name's parameters, the base's project."""
    stage = new_stage_name()
    result = run_cli("--base-stage", STAGE, "status", stage=stage)
    assert result.exit_code == 3, result.output
    assert f"missing /{configuration.project_for(STAGE)}/{stage}/storage/raw-bucket" in result.stdout
    result = run_cli("--base-stage", new_stage_name(), "status", stage=stage)
    assert result.exit_code == 2 and "Invalid value for '--base-stage': unknown stage" in result.stderr
    result = run_cli("--base-stage", STAGE, "status", stage=STAGE)
    assert result.exit_code == 2 and f"'{STAGE}' is in cdk.json" in result.stderr


def other_region() -> str:
    return "eu-west-1" if REGION != "eu-west-1" else "us-west-2"


def test_a_stages_pinned_region_wins_over_the_environment(deployed, run_cli, tmp_path, monkeypatch):
    """Synth puts a pinned stage's stacks in stages.<stage>.region, so the CLI looks there."""
    write_cdk_json(tmp_path, monkeypatch, {"project": PROJECT, "stages": {STAGE: {"region": REGION}}})
    result = run_cli("status", env={"AWS_DEFAULT_REGION": other_region(), "AWS_REGION": other_region()})
    assert result.exit_code == 0, result.output
    elsewhere = tmp_path / "elsewhere"  # another file: the CLI reads each cdk.json once
    elsewhere.mkdir()
    write_cdk_json(elsewhere, monkeypatch, {"project": PROJECT, "stages": {STAGE: {"region": other_region()}}})
    result = run_cli("status")  # moto holds the stage in REGION only
    assert result.exit_code == 3 and f"missing {PARAMS}storage/raw-bucket" in result.stdout


def test_a_region_other_than_the_pinned_one_is_refused(aws, run_cli, tmp_path, monkeypatch):
    write_cdk_json(tmp_path, monkeypatch, {"project": PROJECT, "stages": {STAGE: {"region": REGION}}})
    result = run_cli("--region", other_region(), "status")
    assert result.exit_code == 2
    assert (f"Invalid value for '--region': stage '{STAGE}' is pinned to {REGION} (stages.{STAGE}.region in cdk.json)"
            in result.stderr)


def test_version_names_the_cli_and_what_it_runs_on(run_cli):
    result = run_cli("--version", stage=None)
    assert result.exit_code == 0
    assert result.stdout.startswith(f"lakeops/{lakeops.__version__} Python/{platform.python_version()} ")
    assert f"botocore/{botocore.__version__}" in result.stdout
