"""The README's configuration reference must say what cdk.json really sets."""
import re

import pytest

from lake_config import load_settings
from tests.helpers import CDK_CONTEXT, ROOT

ROW = re.compile(r"^\| `([a-z0-9_.]+)` \| ([^|]+) \| ([^|]+) \|", re.M)


def documented_rows() -> list[tuple[str, str, str]]:
    """Rows of every table headed `| setting | dev | prod |` in the README."""
    tables = re.findall(r"^\| setting \| dev \| prod \|.*\n(?:\|.*\n)+", (ROOT / "README.md").read_text(), re.M)
    rows = [row for table in tables for row in ROW.findall(table)]
    assert len(rows) >= 12
    return rows


def rendered(value) -> str:
    if value is None:
        return "unset"
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, (list, tuple)):
        return ", ".join(str(v) for v in value)
    return str(value)


@pytest.mark.parametrize("stage", ["dev", "prod"])
def test_documented_values_match_cdk_json(stage):
    settings = load_settings({**CDK_CONTEXT, "stage": stage}).model_dump()
    column = 1 if stage == "dev" else 2
    for row in documented_rows():
        value = settings
        for part in row[0].split("."):
            value = value[part]
        assert row[column].strip().replace(",", "") == rendered(value).replace(",", ""), f"README says {row[0]} = {row[column].strip()} in {stage}"


def test_the_spice_table_is_computed_from_the_samples():
    """The README's SPICE figures are counted from the shipped sample data, not written by hand."""
    from scripts.spice_capacity import estimate, readme_table

    settings = load_settings({**CDK_CONTEXT, "stage": "prod"})
    table = readme_table(settings.datasets)
    assert table in (ROOT / "README.md").read_text(), f"update the README's SPICE table to:\n{table}"
    sales = estimate(settings.dataset("sales"))
    assert sales.rows > 0 and sales.bytes_per_row > 8 * (len(settings.dataset("sales").columns) + 1)
