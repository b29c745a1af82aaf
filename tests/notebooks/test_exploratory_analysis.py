"""The exploratory notebook runs end to end on the curated sample data, headlessly, and its
numbers agree with what the curated files hold (read back here with the test session's Spark
and worked out with pandas, not with the notebook's code)."""
import json
import os
import shutil
import time

import nbformat
import pytest

from tests.notebooks.conftest import FIGURES, REPO
from tests.notebooks.runner import execute

# The first test starts a Jupyter kernel and runs the whole notebook (about 35 s alone, more on a
# busy machine): longer than the suite's per-test timeout (pytest.ini).
pytestmark = [pytest.mark.notebook, pytest.mark.timeout(600)]
NOTEBOOK = REPO / "notebooks" / "exploratory_analysis.ipynb"
FIGURE_NAMES = ("amount_distribution", "quantity_distribution", "daily_revenue", "category_channel_heatmap", "clickstream_sessions")
START, END = "2026-01-01", "2026-01-14"
# The kernel starts its own JVM: the same C1-only JIT and serial GC as the test session's.
KERNEL_JVM = "--driver-java-options '-XX:TieredStopAtLevel=1 -XX:+UseSerialGC' pyspark-shell"


@pytest.fixture(scope="module")
def executed(curated_warehouse, tmp_path_factory):
    warehouse, curated = curated_warehouse
    shutil.rmtree(FIGURES, ignore_errors=True)
    FIGURES.mkdir(parents=True)
    parameters = {
        "database": "lake_notebook_test",
        "start_date": START,
        "end_date": END,
        "local_warehouse": str(warehouse),
        "figures_dir": str(FIGURES),
    }
    previous = os.environ.get("PYSPARK_SUBMIT_ARGS")
    os.environ["PYSPARK_SUBMIT_ARGS"] = KERNEL_JVM
    started = time.perf_counter()
    try:
        notebook = execute(NOTEBOOK, parameters, cwd=tmp_path_factory.mktemp("kernel"), output=FIGURES / NOTEBOOK.name)
    finally:
        os.environ.pop("PYSPARK_SUBMIT_ARGS") if previous is None else os.environ.update(PYSPARK_SUBMIT_ARGS=previous)
    print(f"notebook executed in {time.perf_counter() - started:.1f} s")
    results = json.loads((FIGURES / "results.json").read_text())
    return notebook, results, warehouse, curated


@pytest.fixture(scope="module")
def curated_sales(executed, spark):
    """The sales rows of the range as a pandas frame (pandas and scipy load only where the notebook runs)."""
    _, _, warehouse, _ = executed
    frame = spark.read.option("basePath", str(warehouse / "sales")).parquet(str(warehouse / "sales")).toPandas()
    frame["dt"] = frame["dt"].astype(str)
    frame["amount"] = frame["amount"].astype(float)
    return frame[(frame["dt"] >= START) & (frame["dt"] <= END)]


def test_every_cell_ran_without_error(executed):
    notebook, *_ = executed
    code = [cell for cell in notebook.cells if cell.cell_type == "code"]
    assert all(cell.execution_count for cell in code), "a cell did not run"
    assert not [o for cell in code for o in cell.outputs if o.output_type == "error"]


def test_it_reads_every_curated_row_of_the_range(executed, curated_sales):
    _, results, _, curated = executed
    expected = sum(n for day, n in curated["sales"]["rows_per_partition"].items() if START <= day <= END)
    assert results["sales_rows"] == expected == len(curated_sales)
    assert results["sample_rows"] == expected, "the sample data fits max_sample_rows, so nothing is sampled away"


def test_revenue_and_daily_series_match_the_curated_files(executed, curated_sales):
    _, results, _, _ = executed
    assert results["revenue"] == pytest.approx(curated_sales["amount"].sum(), abs=0.01)
    by_day = curated_sales.groupby("dt")["amount"].sum().round(2)
    assert results["daily_revenue"] == pytest.approx(by_day.to_dict(), abs=0.01)


def test_fitted_lognormal_and_ks_statistic(executed, curated_sales):
    _, results, _, _ = executed
    amounts = curated_sales["amount"].to_numpy()
    from scipy import stats

    shape, loc, scale = stats.lognorm.fit(amounts, floc=0)
    assert results["lognorm_shape"] == pytest.approx(shape) and results["lognorm_scale"] == pytest.approx(scale)
    ks = stats.kstest(amounts, "lognorm", args=(shape, loc, scale)).statistic
    assert results["ks_statistic"] == pytest.approx(ks) and 0 < ks < 1


def test_sessions_per_day_match_the_clickstream_rows(executed):
    _, results, _, curated = executed
    sessions = {}
    for row in curated["clickstream"]:
        sessions.setdefault(row["dt"], set()).add(row["session_id"])
    assert results["sessions_per_day"] == {day: len(ids) for day, ids in sorted(sessions.items())}


def test_figures_are_written_as_png(executed):
    for name in FIGURE_NAMES:
        data = (FIGURES / f"{name}.png").read_bytes()
        assert data.startswith(b"\x89PNG\r\n\x1a\n") and len(data) > 10_000, name

def test_parameters_cell_is_tagged_and_the_kernel_is_emr_studios_pyspark():
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    tagged = [cell for cell in notebook.cells if "parameters" in cell.metadata.get("tags", [])]
    assert len(tagged) == 1 and "local_warehouse = None" in tagged[0].source
    assert notebook.metadata.kernelspec.name == "pysparkkernel"
    assert not [cell for cell in notebook.cells if cell.cell_type == "code" and cell.outputs], "commit it without outputs"


def test_cells_are_valid_on_the_emr_nodes_python_3_9():
    """On EMR Studio's PySpark kernel the cells run on the cluster's Python 3.9."""
    import ast

    for cell in nbformat.read(NOTEBOOK, as_version=4).cells:
        if cell.cell_type == "code":
            ast.parse(cell.source, feature_version=(3, 9))


def test_a_failing_cell_fails_the_run(tmp_path):
    broken = nbformat.v4.new_notebook(
        cells=[
            nbformat.v4.new_code_cell("x = 1", metadata={"tags": ["parameters"]}),
            nbformat.v4.new_code_cell("assert x == 1\nraise ValueError('boom')"),
        ]
    )
    path = tmp_path / "broken.ipynb"
    nbformat.write(broken, path)
    from nbclient.exceptions import CellExecutionError

    with pytest.raises(CellExecutionError, match="boom"):
        execute(path, {"x": 1}, cwd=tmp_path)
