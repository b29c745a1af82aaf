"""The curated warehouse the notebook reads: the curation job's run over every shipped sample
that the Spark tests check (tests/spark_jobs' `full_run`, the arguments the CLI and the
pipeline use), so the samples are curated once per test session, not once per reader."""
import os
from pathlib import Path

import pytest

from tests.spark_jobs.local_lake import read_parquet, shipped_datasets

REPO = Path(__file__).resolve().parents[2]
# Where CI collects the figures and the executed notebook (.github/workflows/ci.yml).
# The shipped datasets the exploratory notebook reads.
NOTEBOOK_DATASETS = ("sales", "clickstream")
FIGURES = Path(os.environ.get("NOTEBOOK_FIGURES_DIR", REPO / "build" / "notebook-figures"))


@pytest.fixture(scope="session")
def curated_warehouse(full_run, spark):
    """The warehouse folder (one `<table>/` per dataset, as the notebook's `local_warehouse`
    expects), the sales run's report and the curated clickstream's (dt, session_id) rows."""
    reports, warehouse = {}, None
    # the datasets the notebook analyses; a fork's others are curated by the Spark tests
    for dataset in (d for d in shipped_datasets() if d.name in NOTEBOOK_DATASETS):
        *_, run = full_run(dataset.name)
        assert run.target.name == dataset.table and dataset.curated_prefix == f"{dataset.table}/", \
            "the notebook reads <warehouse>/<table>/"
        warehouse, reports[dataset.name] = run.target.parent, run.report
    clickstream = read_parquet(spark, warehouse / "clickstream").select("dt", "session_id").collect()
    return warehouse, {"sales": reports["sales"], "clickstream": [row.asDict() for row in clickstream]}
