"""Named queries: filled in without str.format (a brace in valid Athena SQL stays as written),
an unknown placeholder or an empty file refused by name, and every column resolved against the
zone's table at synth (sqlglot, Trino dialect), so a misspelt column fails synth, not Athena."""
import shutil

import pytest

from lake_config import ConfigError
from lake_config.contracts import load_dataset
from lake_config.named_queries import render
from tests.helpers import THIRD_DATASET

NAME = THIRD_DATASET.name
QUERY_FILE = "queries/stock_by_warehouse.sql"


def with_query(tmp_path, sql: str):
    """The test-owned third dataset with its one query file replaced by `sql`."""
    shutil.copytree(THIRD_DATASET, tmp_path / NAME)
    (tmp_path / NAME / QUERY_FILE).write_text(sql)
    return tmp_path


def error(tmp_path, sql: str) -> str:
    with pytest.raises(ConfigError) as raised:
        load_dataset(NAME, with_query(tmp_path, sql))
    message = str(raised.value)
    assert "\n" not in message and message.startswith(f"dataset '{NAME}': ") and "contract.odcs.yaml" in message
    return message


def test_braces_other_than_the_placeholders_stay_as_written(tmp_path):
    """`{2}` is a regular-expression quantifier (Athena's regexp_like), not a placeholder;
    str.format raised IndexError on it."""
    sql = "SELECT dt, sku FROM {database}.{table} WHERE regexp_like(sku, '^SKU-[0-9]{6}$')"
    (query,) = load_dataset(NAME, with_query(tmp_path, sql)).named_queries
    assert query.render(database="db", table="t") == "SELECT dt, sku FROM db.t WHERE regexp_like(sku, '^SKU-[0-9]{6}$')"
    assert render("{a}{table}", database="d", table="t") == "{a}t"


def test_an_unknown_placeholder_is_refused_by_file(tmp_path):
    message = error(tmp_path, "SELECT dt FROM {database}.{tabel}")
    assert message.endswith(f"customProperties.namedQueries[0].file {QUERY_FILE} uses the placeholder {{tabel}}, "
                            "which is not one of {database} and {table} (every other brace stays as written)")


def test_an_empty_query_file_is_refused_by_file(tmp_path):
    assert error(tmp_path, " \n").endswith(f"customProperties.namedQueries[0].file {QUERY_FILE} is empty: it must hold one Athena SQL statement")


def test_a_column_the_table_lacks_fails_synth_naming_the_query_the_zone_and_the_columns(tmp_path):
    zone_column, zone = "on_handd", "raw"  # the query's zones are raw and curated; raw is checked first
    dataset = load_dataset(NAME, THIRD_DATASET.parent)
    message = error(tmp_path, f"SELECT dt, sum({zone_column}) AS units FROM {{database}}.{{table}} GROUP BY dt")
    assert f"named query stock_by_warehouse ({QUERY_FILE}, {zone} table {dataset.raw_table}) Column '{zone_column}' could not be resolved" in message
    assert message.endswith(", ".join([c.raw_name for c in dataset.raw_columns] + ["dt"]))


def test_invalid_sql_and_other_tables_are_refused(tmp_path):
    assert "is not valid Athena (Trino) SQL" in error(tmp_path / "a", "SELEC dt FROM {database}.{table}")
    assert error(tmp_path / "b", "SELECT dt FROM other_db.stock_levels").endswith(
        "reads other_db.stock_levels: a named query reads its own table, {database}.{table}")
