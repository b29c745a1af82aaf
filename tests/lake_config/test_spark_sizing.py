"""A curation step's Spark settings come from the fleet's instance types and the dataset's size class."""
import math
import uuid

import pytest

from lake_config import ConfigError
from lake_config import spark_sizing as sizing
from lake_config.contracts import load_dataset
from lake_config.curation_step import curation_step_arguments
from lake_config.emr_settings import EmrSettings
from tests.helpers import stage_context
from lake_config import load_settings

SETTINGS = load_settings(stage_context("dev"))


def conf_of(args):
    pairs = [args[i + 1] for i, a in enumerate(args) if a == "--conf"]
    return dict(pair.split("=", 1) for pair in pairs)


@pytest.mark.parametrize("dataset", SETTINGS.datasets, ids=lambda d: d.name)
def test_the_step_carries_the_settings_of_its_size_class_on_this_fleet(dataset):
    args = curation_step_arguments(dataset, script_uri="s3://a/c.py", raw_bucket="r", curated_bucket="c",
                                   database="d", run_id="run", emr=SETTINGS.emr)
    assert args[:3] == ["spark-submit", "--deploy-mode", "cluster"]
    assert args[args.index("s3://a/c.py") - 1].startswith("spark."), "the options come before the script"
    assert conf_of(args) == sizing.step_spark_conf(SETTINGS.emr, dataset.size_class)
    assert conf_of(args)["spark.sql.adaptive.enabled"] == "true"


def test_executors_fit_the_leanest_type_of_the_fleets():
    lean = EmrSettings(core_instance_types=["m6g.xlarge"], task_instance_types=["c6g.2xlarge", "r6g.xlarge"])
    roomy = EmrSettings(core_instance_types=["r6g.xlarge"], task_instance_types=["r7g.2xlarge"])
    for emr, gib_per_vcpu in ((lean, 2), (roomy, 8)):
        heap, overhead = sizing.executor_memory_mib(emr)
        container = gib_per_vcpu * sizing.EXECUTOR_CORES * 1024 * sizing.YARN_SHARE
        assert heap + overhead == container and heap % 512 == 0
        assert overhead >= heap * sizing.MEMORY_OVERHEAD


def test_partitions_and_files_grow_with_the_size_class_and_the_fleet():
    small, large = (sizing.step_spark_conf(SETTINGS.emr, size) for size in ("small", "large"))
    assert small[sizing.FILES_PER_PARTITION_CONF] == "1", "a small day is one file per partition, as the samples"
    files = math.ceil(sizing.SIZE_CLASSES["large"] * sizing.PARQUET_SHARE / sizing.TARGET_FILE_BYTES)
    assert large[sizing.FILES_PER_PARTITION_CONF] == str(files) != "1"
    assert int(small["spark.sql.shuffle.partitions"]) == 2 * SETTINGS.emr.max_capacity_units * sizing.VCPUS_PER_UNIT
    assert int(large["spark.sql.shuffle.partitions"]) > int(small["spark.sql.shuffle.partitions"])


def test_a_contract_declares_its_size_class_and_a_wrong_one_is_one_line(tmp_path):
    dataset = SETTINGS.datasets[0]
    assert dataset.size_class == sizing.DEFAULT_SIZE_CLASS
    text = (dataset.directory / "contract.odcs.yaml").read_text()
    for value, problem in (("large", None), ("huge-" + uuid.uuid4().hex[:6], "customProperties.sizeClass must be one of")):
        folder = tmp_path / value / dataset.name
        folder.mkdir(parents=True)
        for path in dataset.directory.iterdir():
            if path.is_file():
                (folder / path.name).write_bytes(path.read_bytes())
        (folder / "queries").mkdir()
        for path in (dataset.directory / "queries").iterdir():
            (folder / "queries" / path.name).write_bytes(path.read_bytes())
        added = text.replace("customProperties:\n", "customProperties:\n  - property: sizeClass\n    value: %s\n" % value, 1)
        assert added != text
        (folder / "contract.odcs.yaml").write_text(added)
        if problem:
            with pytest.raises(ConfigError, match=problem):
                load_dataset(dataset.name, folder.parent)
        else:
            assert load_dataset(dataset.name, folder.parent).size_class == value
