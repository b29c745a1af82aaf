"""The curated warehouse the notebook reads: the project's curation job run on every shipped
sample with the arguments the CLI and the pipeline use (tests/spark_jobs' local lake), in a
temporary folder, one per test session."""
import os
from pathlib import Path

import pytest

from tests.spark_jobs.conftest import LocalLake, load_module, read_parquet, shipped_datasets, JOB
from tests.spark_jobs.conftest import spark  # noqa: F401  (the test run's one local SparkSession)

REPO = Path(__file__).resolve().parents[2]
# Where CI collects the figures and the executed notebook (.github/workflows/ci.yml).
FIGURES = Path(os.environ.get("NOTEBOOK_FIGURES_DIR", REPO / "build" / "notebook-figures"))


def curate(spark, root: Path) -> tuple[Path, dict]:
    """Every shipped sample curated by the generic job; returns the warehouse folder (one
    `<table>/` per dataset, as the notebook's `local_warehouse` expects) and each report."""
    lake, job = LocalLake(root), load_module(JOB, "curate_for_notebook")
    reports = {}
    for dataset in shipped_datasets():
        assert dataset.curated_prefix == f"{dataset.table}/", "the notebook reads <warehouse>/<table>/"
        lake.add_raw(dataset, dataset.sample_dir)
        reports[dataset.name] = lake.curate(job, spark, dataset, run_id="notebook").report
    return root / "curated", reports


@pytest.fixture(scope="session")
def curated_warehouse(tmp_path_factory, spark):  # noqa: F811
    warehouse, reports = curate(spark, tmp_path_factory.mktemp("lake"))
    clickstream = read_parquet(spark, warehouse / "clickstream").select("dt", "session_id").collect()
    return warehouse, {"sales": reports["sales"], "clickstream": [row.asDict() for row in clickstream]}
