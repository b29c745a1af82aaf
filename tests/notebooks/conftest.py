"""The curated warehouse the notebook reads: the project's curation job run on the shipped
sales sample, plus the clickstream table, in a temporary folder (one per test session)."""
import os
from pathlib import Path

import pytest

from tests.notebooks.synthetic_clickstream import clickstream_rows
from tests.spark_jobs.conftest import spark  # noqa: F401  (the test run's one local SparkSession)

REPO = Path(__file__).resolve().parents[2]
SALES_JOB = REPO / "spark_jobs" / "curate_sales" / "curate_sales.py"
SALES_SAMPLE = REPO / "sample_data" / "sales"
# Where CI collects the figures and the executed notebook (.github/workflows/ci.yml).
FIGURES = Path(os.environ.get("NOTEBOOK_FIGURES_DIR", REPO / "build" / "notebook-figures"))


def _load(path: Path, name: str):
    import importlib.util

    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def curate(spark, warehouse: Path) -> dict:
    """The one place that turns shipped samples into curated tables; returns what it wrote.

    sales: the curation job that exists on this branch. clickstream: TEMPORARY synthetic rows
    (tests/notebooks/synthetic_clickstream.py) until the generic job and its sample land.
    """
    sales = _load(SALES_JOB, "curate_sales_for_notebook").main(
        ["--source", str(SALES_SAMPLE), "--target", str(warehouse / "sales"), "--no-catalog"], spark=spark
    )
    rows = clickstream_rows(sorted(sales["rows_per_dt"]))
    frame = spark.createDataFrame(rows, schema=CLICKSTREAM_SCHEMA)
    frame.repartition("dt").write.mode("overwrite").partitionBy("dt").parquet(str(warehouse / "clickstream"))
    return {"sales": sales, "clickstream": rows}


CLICKSTREAM_SCHEMA = (
    "event_id string, event_ts timestamp, event_type string, user_id string, session_id string, "
    "page string, referrer string, device string, country string, dt string"
)


@pytest.fixture(scope="session")
def curated_warehouse(tmp_path_factory, spark):  # noqa: F811
    warehouse = tmp_path_factory.mktemp("warehouse")
    return warehouse, curate(spark, warehouse)
