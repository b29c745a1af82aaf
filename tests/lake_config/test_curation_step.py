"""The curation step's arguments against EMR's limit: AddJobFlowSteps refuses a step whose
HadoopJarStep strings exceed 10240 characters in total, and the job spec travels there."""
import shutil

import pytest
import yaml

from lake_config import ConfigError, load_settings
from lake_config.contracts import load_dataset
from lake_config.curation_step import HADOOP_JAR_STEP_LIMIT, STEP_JAR, curation_step_arguments
from lake_config.datasets import DATASETS_DIR
from tests.helpers import stage_context

# The longest names AWS allows: S3 bucket 63, Glue database 255; run ids are capped at 255 by the job.
LONGEST = dict(raw_bucket="r" * 63, curated_bucket="c" * 63, database="d" * 255, run_id="x" * 255,
               start_date="2026-01-01", end_date="2026-12-31")


def _hadoop_jar_step_characters(args):
    return len(STEP_JAR) + sum(len(a) for a in args)


def test_aws_limit_is_the_documented_one():
    assert HADOOP_JAR_STEP_LIMIT == 10240


@pytest.mark.parametrize("dataset", load_settings(stage_context("dev")).datasets, ids=lambda d: d.name)
def test_every_deployed_dataset_fits_one_step_with_the_longest_names(dataset):
    script = "s3://cdk-hnb659fds-assets-123456789012-ap-southeast-2/" + "f" * 64 + ".py"
    args = curation_step_arguments(dataset, script_uri=script, **LONGEST)
    assert _hadoop_jar_step_characters(args) <= HADOOP_JAR_STEP_LIMIT


def test_a_contract_too_large_for_one_step_is_refused_at_synth(tmp_path):
    # without its sample, whose header the 40 new columns would no longer match
    shutil.copytree(DATASETS_DIR / "sales", tmp_path / "sales", ignore=shutil.ignore_patterns("sample"))
    path = tmp_path / "sales" / "contract.odcs.yaml"
    contract = yaml.safe_load(path.read_text())
    properties = contract["schema"][0]["properties"]
    for i in range(40):
        properties.insert(0, {"name": f"attribute_{i:02d}", "logicalType": "string", "physicalType": "string",
                              "required": True, "logicalTypeOptions": {"pattern": "^(" + "|".join(["[A-Z]{3}-[0-9]{6}"] * 12) + ")$"}})
    path.write_text(yaml.safe_dump(contract))
    with pytest.raises(ConfigError) as raised:
        load_dataset("sales", tmp_path)
    message = str(raised.value)
    assert "\n" not in message and "contract.odcs.yaml" in message and str(HADOOP_JAR_STEP_LIMIT) in message
