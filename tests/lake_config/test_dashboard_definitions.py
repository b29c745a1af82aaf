"""The synth-time check of dashboard definitions against the dataset declarations, and the
placeholder round trip. A definition that names something the contracts lack must stop synth
with one line: a renamed column must not deploy a broken dashboard."""
import copy
import json
import shutil

import aws_cdk as cdk
import pytest

from lake_config import ConfigError, load_settings
from lake_config.dashboard_definitions import (
    canonical_json,
    check_definition,
    load_dashboards,
    localize,
    placeholder,
    resolve,
    uses_ml,
    without_ml,
)
from stacks.stage import build_stacks
from tests.helpers import CDK_CONTEXT, ROOT, absent_name, stage_context


@pytest.fixture(scope="module")
def settings():
    return load_settings({**CDK_CONTEXT, "stage": "prod"})


@pytest.fixture(scope="module")
def sales(settings):
    (definition,) = [d for d in load_dashboards(settings.datasets) if d.dataset.name == "sales"]
    return definition


def error(definition: dict, datasets) -> str:
    with pytest.raises(ConfigError) as raised:
        check_definition(definition, datasets, "datasets/sales/dashboard.json")
    message = str(raised.value)
    assert "\n" not in message
    return message


def test_a_renamed_column_stops_synth_with_one_line(tmp_path):
    """Building the stacks, as app.py does before synth (which prints the ConfigError as its one
    line, tests/lake_config/test_settings.py): the contract renames `amount`, the dashboard still uses it."""
    shutil.copytree(ROOT / "datasets", tmp_path / "datasets")
    contract = tmp_path / "datasets" / "sales" / "contract.odcs.yaml"
    contract.write_text(contract.read_text().replace("- name: amount\n", "- name: total\n"))
    for query in (contract.parent / "queries").glob("*.sql"):  # renamed there too: synth checks them first
        query.write_text(query.read_text().replace("amount", "total"))
    context = {**stage_context("prod"), "datasets_dir": str(tmp_path / "datasets")}
    with pytest.raises(ConfigError) as raised:
        build_stacks(cdk.App(context=context, outdir=str(tmp_path / "cdk.out")), load_settings(context))
    line = str(raised.value)
    assert "\n" not in line
    where = tmp_path / "datasets" / "sales" / "dashboard.json"
    assert line.startswith(
        f"dashboard {where}: Sheets[0].Visuals[0].KPIVisual.ChartConfiguration.FieldWells.Values[0]"
        ".NumericalMeasureField.Column.ColumnName names column 'amount', which dataset 'sales' does not declare (columns: "
    )
    assert ", total, " in line


def mutated(sales, change) -> dict:
    definition = copy.deepcopy(sales.definition)
    change(definition)
    return definition


def visual(definition: dict, visual_id: str) -> dict:
    (body,) = [b for s in definition["Sheets"] for v in s["Visuals"] for b in v.values() if b["VisualId"] == visual_id]
    return body


def test_the_shipped_definitions_pass(settings):
    """Every dataset whose folder holds a dashboard.json gets it checked and loaded (a fork's new
    dataset may come without one)."""
    with_files = [d.name for d in settings.datasets if (d.directory / "dashboard.json").is_file()]
    assert with_files and [d.dataset.name for d in load_dashboards(settings.datasets)] == with_files


def test_a_data_set_the_stage_does_not_declare(sales, settings):
    unknown = absent_name()
    definition = mutated(sales, lambda d: d["DataSetIdentifierDeclarations"][0].update(DataSetArn=placeholder(unknown)))
    assert error(definition, settings.datasets) == (
        f"dashboard datasets/sales/dashboard.json: DataSetIdentifierDeclarations[0].DataSetArn names dataset '{unknown}', "
        f"which this stage does not declare (datasets: {', '.join(d.name for d in settings.datasets)})"
    )


def test_a_literal_data_set_arn_is_refused(sales, settings):
    arn = "arn:aws:quicksight:us-east-1:111122223333:dataset/datalake-prod-sales"
    definition = mutated(sales, lambda d: d["DataSetIdentifierDeclarations"][0].update(DataSetArn=arn))
    assert "DataSetIdentifierDeclarations[0].DataSetArn must be {dataset-arn:<dataset>}" in error(definition, settings.datasets)


def test_an_undeclared_identifier_in_a_visual(sales, settings):
    unknown = absent_name()

    def change(d):
        visual(d, "revenue-by-category")["ChartConfiguration"]["FieldWells"]["BarChartAggregatedFieldWells"]["Category"][0][
            "CategoricalDimensionField"]["Column"]["DataSetIdentifier"] = unknown  # fmt: skip

    message = error(mutated(sales, change), settings.datasets)
    assert message.endswith(f"names data set identifier '{unknown}', which DataSetIdentifierDeclarations does not declare (declared: sales)")


def test_a_date_field_on_a_text_column(sales, settings):
    def change(d):
        visual(d, "kpi-revenue")["ChartConfiguration"]["FieldWells"]["TrendGroups"][0]["DateDimensionField"]["Column"]["ColumnName"] = "country"

    assert error(mutated(sales, change), settings.datasets).endswith("DateDimensionField needs a date or timestamp column; 'country' is string")


def test_a_sum_over_a_text_column(sales, settings):
    def change(d):
        visual(d, "revenue-by-country")["ChartConfiguration"]["FieldWells"]["TableAggregatedFieldWells"]["Values"][0][
            "NumericalMeasureField"]["Column"]["ColumnName"] = "currency"  # fmt: skip

    assert error(mutated(sales, change), settings.datasets).endswith("NumericalMeasureField needs a numeric column; 'currency' is string")


def test_an_undeclared_parameter(sales, settings):
    def change(d):
        d["FilterGroups"][0]["Filters"][0]["TimeRangeFilter"]["RangeMinimumValue"]["Parameter"] = "FromDate"

    assert "RangeMinimumValue.Parameter names parameter 'FromDate', which ParameterDeclarations does not declare (declared: EndDate, StartDate)" in error(
        mutated(sales, change), settings.datasets
    )


def test_a_calculated_field_over_a_missing_column(sales, settings):
    definition = mutated(sales, lambda d: d["CalculatedFields"][0].update(Expression="ifelse({channel} = 'web', {revenue}, 0)"))
    assert error(definition, settings.datasets).endswith("CalculatedFields[0].Expression names column {revenue}, which dataset 'sales' does not declare (columns: "
                                                         + ", ".join([c.name for c in settings.dataset("sales").columns] + ["dt"]) + ")")


def test_a_value_the_contract_does_not_allow(sales, settings):
    definition = mutated(sales, lambda d: d["CalculatedFields"][0].update(Expression="ifelse({channel} = 'online', {amount}, 0)"))
    assert error(definition, settings.datasets).endswith("uses 'online', which is not an allowed value of sales.channel (allowed: web, mobile, store)")


def test_a_funnel_step_the_contract_does_not_allow(settings):
    (clickstream,) = [d for d in load_dashboards(settings.datasets) if d.dataset.name == "clickstream"]
    definition = copy.deepcopy(clickstream.definition)
    (steps,) = [g for g in definition["FilterGroups"] if g["FilterGroupId"] == "funnel-steps"]
    steps["Filters"][0]["CategoryFilter"]["Configuration"]["FilterListConfiguration"]["CategoryValues"].append("signup")
    assert "uses 'signup', which is not an allowed value of clickstream.event_type" in error(definition, settings.datasets)


def test_invalid_json_names_the_line(tmp_path, settings):
    shutil.copytree(ROOT / "datasets" / "sales", tmp_path / "sales")
    (tmp_path / "sales" / "dashboard.json").write_text('{\n  "Sheets": [,]\n}\n')
    datasets = load_settings({**CDK_CONTEXT, "stage": "prod", "datasets": ["sales"], "datasets_dir": str(tmp_path)}).datasets
    with pytest.raises(ConfigError, match=r"dashboard .*/sales/dashboard.json line 2 is not valid JSON: Expecting value$"):
        load_dashboards(datasets)


def test_placeholders_resolve_and_localize_back(sales):
    arn = "arn:aws:quicksight:eu-west-1:111122223333:dataset/datalake-prod-sales"
    resolved = resolve(sales.definition, {"sales": arn})
    assert resolved["DataSetIdentifierDeclarations"] == [{"DataSetArn": arn, "Identifier": "sales"}]
    assert localize(resolved, {arn: "sales"}) == sales.definition


def test_without_ml_drops_forecasts_and_insights_only(sales):
    assert uses_ml(sales.definition)
    stripped = without_ml(sales.definition)
    assert not uses_ml(stripped)
    kinds = lambda d: [k for s in d["Sheets"] for v in s["Visuals"] for k in v]  # noqa: E731
    assert [k for k in kinds(sales.definition) if k != "InsightVisual"] == kinds(stripped)
    assert "ForecastConfigurations" in json.dumps(sales.definition) and "ForecastConfigurations" not in json.dumps(stripped)


def test_canonical_json_writes_integral_doubles_as_integers():
    assert canonical_json({"b": 1.0, "a": [2.5, {"d": 3.0, "c": "é"}]}) == '{\n  "a": [\n    2.5,\n    {\n      "c": "é",\n      "d": 3\n    }\n  ],\n  "b": 1\n}\n'


def test_a_broken_dashboard_fails_synth_in_a_stage_with_quicksight_off(tmp_path):
    """Before, only the QuickSight stack loaded the definitions: `make synth` of dev (QuickSight
    off) passed with a dashboard on a column its contract lacks."""
    datasets = tmp_path / "datasets"
    for name in CDK_CONTEXT["datasets"]:
        shutil.copytree(ROOT / "datasets" / name, datasets / name)
    with_file = next(name for name in CDK_CONTEXT["datasets"] if (datasets / name / "dashboard.json").is_file())
    path = datasets / with_file / "dashboard.json"
    text = path.read_text()
    column = json.loads(text)["Sheets"][0]["Visuals"][0]
    missing = absent_name("no_column")
    first = next(n for _, n, _ in _columns(column))
    path.write_text(text.replace(f'"ColumnName": "{first}"', f'"ColumnName": "{missing}"', 1))
    context = stage_context("dev", quicksight={"enabled": False}) | {"datasets_dir": str(datasets)}
    settings = load_settings(context)
    assert not settings.quicksight.enabled
    with pytest.raises(ConfigError, match=f"names column '{missing}', which dataset '{with_file}' does not declare"):
        build_stacks(cdk.App(context=context, outdir=str(tmp_path / "out")), settings)


def _columns(node, path=""):
    if isinstance(node, dict):
        if "ColumnName" in node:
            yield path, node["ColumnName"], node
        for key, value in node.items():
            yield from _columns(value, f"{path}.{key}")
    elif isinstance(node, list):
        for value in node:
            yield from _columns(value, path)


def test_the_documented_starter_dashboard_is_the_fixtures_and_passes_the_check():
    """docs/DATASETS.md's minimal dashboard to copy is the one the fork's `orders` uses."""
    from lake_config.contracts import load_dataset
    from tests.helpers import ORDERS_DATASET

    text = (ROOT / "docs" / "DATASETS.md").read_text()
    section = text[text.index("### Dashboards"):]
    block = section[section.index("```json") + len("```json"):]
    starter = json.loads(block[:block.index("```")])
    assert starter == json.loads((ORDERS_DATASET / "dashboard.json").read_text())
    orders = load_dataset(ORDERS_DATASET.name, ORDERS_DATASET.parent)
    (definition,) = load_dashboards((orders,))
    assert definition.data_set_names == (orders.name,) and definition.parameter_names == ()

