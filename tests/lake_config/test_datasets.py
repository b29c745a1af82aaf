"""Dataset contracts: the shipped ones load, and a broken one fails with one line naming file and field."""
import shutil

import pytest
import yaml

from lake_config import ConfigError
from lake_config import load_settings
from lake_config.contracts import load_dataset
from lake_config.datasets import DATASETS_DIR
from tests.helpers import CDK_CONTEXT, THIRD_DATASET, config_error, stage_context


@pytest.mark.parametrize("name", CDK_CONTEXT["datasets"])
def test_shipped_contracts_load(name):
    dataset = load_dataset(name)
    assert dataset.name == name
    assert dataset.key and dataset.event_time in {c.name for c in dataset.columns}
    assert dataset.partition not in {c.name for c in dataset.columns}


def _broken(tmp_path, change):
    shutil.copytree(DATASETS_DIR / "sales", tmp_path / "sales")
    path = tmp_path / "sales" / "contract.odcs.yaml"
    contract = yaml.safe_load(path.read_text())
    change(contract)
    path.write_text(yaml.safe_dump(contract))
    with pytest.raises(ConfigError) as raised:
        load_dataset("sales", tmp_path)
    message = str(raised.value)
    assert "\n" not in message and "contract.odcs.yaml" in message
    return message


def _prop(contract, name):
    return next(p for p in contract["schema"][0]["properties"] if p["name"] == name)


def test_unknown_physical_type(tmp_path):
    message = _broken(tmp_path, lambda c: _prop(c, "quantity").update(physicalType="integer"))
    assert "(quantity).physicalType" in message and "'integer'" in message


def test_not_odcs(tmp_path):
    message = _broken(tmp_path, lambda c: c.update(apiVersion="v9"))
    assert "not a valid ODCS v3 contract" in message and "apiVersion" in message


@pytest.mark.parametrize("change", [
    lambda c: _prop(c, "quantity").update(required="yes"),
    lambda c: _prop(c, "quantity").update(minimum=0),
    lambda c: c["servers"][0].update(type="s4"),
], ids=["yes-for-true", "unknown-key", "unknown-server-type"])
def test_the_standards_schema_refuses_what_its_models_let_through(tmp_path, change):
    """The package's models read "yes" as true, drop unknown keys below the top level and check
    no enumeration: the contract is checked against the standard's JSON schema first."""
    assert "is not a valid ODCS v3 contract: " in _broken(tmp_path, change)


@pytest.mark.parametrize("field", ["domain", "classification"])
def test_a_tag_value_that_is_not_a_string_is_refused(tmp_path, field):
    """The contract's domain and a column's classification become LF-tag values; ODCS types both as strings."""
    def change(contract):
        (contract if field == "domain" else _prop(contract, "quantity"))[field] = 5

    message = _broken(tmp_path, change)
    assert "is not a valid ODCS v3 contract: " in message and f"{field}: 5 is not of type 'string'" in message


def test_partition_needs_event_time(tmp_path):
    message = _broken(tmp_path, lambda c: _prop(c, "dt").update(transformSourceObjects=["channel"]))
    assert "partition 'dt'" in message


def test_json_needs_new_line_delimiter(tmp_path):
    def change(contract):
        contract["servers"][0].update(format="json", delimiter="array")

    assert "new_line" in _broken(tmp_path, change)


def _datasets_dir(tmp_path, *changes):
    """The shipped contracts in `tmp_path`, each `change(name, contract)` applied, as context."""
    for name in CDK_CONTEXT["datasets"]:
        shutil.copytree(DATASETS_DIR / name, tmp_path / name)
        path = tmp_path / name / "contract.odcs.yaml"
        contract = yaml.safe_load(path.read_text())
        for change in changes:
            change(name, contract)
        path.write_text(yaml.safe_dump(contract))
    return stage_context() | {"datasets_dir": str(tmp_path)}


def _servers(zone, location):
    def change(name, contract):
        if name == "clickstream":
            next(s for s in contract["servers"] if s["server"] == zone)["location"] = location
    return change


@pytest.mark.parametrize(
    "change, expected",
    [
        (_servers("raw", "s3://{raw-bucket}/sales/clicks/"),
         "invalid setting datasets: clickstream's raw prefix sales/clicks/ lies inside sales's sales/; give each dataset its own folder"),
        (_servers("curated", "s3://{curated-bucket}/web/sales/"), None),
        (_servers("raw", "s3://{raw-bucket}/web/sales/"),
         "invalid setting datasets: raw tables (the last folder of servers[raw].location) must be distinct, but sales and clickstream both make 'sales'"),
        (lambda name, c: c["schema"][0].update(physicalName="events"), "curated tables (schema[0].physicalName) must be distinct"),
    ],
)
def test_datasets_must_not_collide(tmp_path, change, expected):
    context = _datasets_dir(tmp_path, change)
    if expected is None:
        assert load_settings(context).dataset("clickstream").curated_prefix == "web/sales/"
    else:
        assert expected in config_error(context)


def test_named_queries_are_unique_across_datasets(tmp_path):
    def rename(name, contract):
        if name == "clickstream":
            queries = next(p for p in contract["customProperties"] if p["property"] == "namedQueries")["value"]
            queries[0]["name"] = "revenue_by_day"

    message = config_error(_datasets_dir(tmp_path, rename))
    assert message == (
        "invalid setting datasets: named queries (<name>_<zone>) must be distinct, "
        "but sales.revenue_by_day_raw and clickstream.revenue_by_day_raw both make 'revenue_by_day_raw'"
    )


def test_raw_table_is_the_last_folder_glue_names_it_after():
    assert load_dataset("sales").raw_table == "sales"
    third = load_dataset(THIRD_DATASET.name, THIRD_DATASET.parent)
    assert third.raw_prefix == "erp/stock_levels/" and third.raw_table == "stock_levels"


def test_a_sample_whose_csv_header_is_not_the_contracts_columns_fails_synth_naming_file_and_columns(tmp_path):
    """Before, only the cluster found it, as a Java stack trace ("Number of column in CSV header is
    not equal to number of fields in the schema")."""
    from tests.helpers import ORDERS_DATASET

    shutil.copytree(ORDERS_DATASET, tmp_path / ORDERS_DATASET.name)
    dataset = load_dataset(ORDERS_DATASET.name, tmp_path)
    raw = [c.raw_name for c in dataset.raw_columns]
    first = sorted(dataset.sample_dir.glob("dt=*/*.csv"))[-1]
    lines = first.read_text().splitlines(keepends=True)
    first.write_text(dataset.csv_delimiter.join(raw[:-1] + ["amount"]) + "\n" + "".join(lines[1:]))
    from lake_config.samples import csv_header_problem

    csv_header_problem.cache_clear()
    with pytest.raises(ConfigError) as raised:
        load_dataset(ORDERS_DATASET.name, tmp_path)
    message = str(raised.value)
    assert "\n" not in message and message.startswith(f"dataset '{dataset.name}': sample {first}: the CSV header has {len(raw)} columns")
    assert message.endswith(f"missing {raw[-1]}; not in the contract amount")


@pytest.mark.parametrize("where", ["schema[0]", "schema[0].properties[5] (quantity)"])
def test_odcs_quality_checks_are_refused_with_where_rules_belong(tmp_path, where):
    """ODCS's own `quality:` section (here on a column that does not even exist) was ignored in
    silence: the lake runs no such checks, so a contract must not promise them."""
    check = [{"type": "sql", "query": "SELECT count(*) FROM sales WHERE no_such_column IS NULL", "mustBe": 0}]

    def change(contract):
        target = contract["schema"][0] if where == "schema[0]" else _prop(contract, "quantity")
        target["quality"] = check

    message = _broken(tmp_path, change)
    if where != "schema[0]":
        index = next(i for i, p in enumerate(yaml.safe_load((DATASETS_DIR / "sales" / "contract.odcs.yaml").read_text())["schema"][0]["properties"]) if p["name"] == "quantity")
        where = f"schema[0].properties[{index}] (quantity)"
    assert message.endswith(f"{where}.quality: the lake does not run ODCS quality checks; a column's rules belong in required, "
                            "enum and logicalTypeOptions (pattern, minLength, maxLength, minimum, maximum, exclusiveMinimum, "
                            "exclusiveMaximum), which the curation job and the Glue Data Quality ruleset both enforce (docs/DATASETS.md, Rules)")
