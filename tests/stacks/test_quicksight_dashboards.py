"""Analyses and dashboards as code: one of each per dataset with a definition file, wired to that
stage's data sets, shared exactly as configured, with the ML forecast and narrative insight, and
valid against the CloudFormation schema that cfn-lint ships (the compliance gate also runs
cfn-lint over the synthesized template, tests/compliance/test_nag_gate.py)."""
import functools
import json
from importlib import resources as package_files

import aws_cdk as cdk
import jsonschema
import pytest

from lake_config.dashboard_definitions import canonical_json, definition_path, load_dashboards
from lake_constructs.consumption.quicksight_dashboard import QuickSightDashboard
from lake_constructs.shared.source_version import source_version
from tests.aws_contracts.iam_policy import ACCOUNT, render

# AWS's action names, spelled out: a change to the constants must not pass unnoticed.
ANALYSIS_OWNER = [
    "quicksight:DescribeAnalysis", "quicksight:DescribeAnalysisPermissions", "quicksight:QueryAnalysis",
    "quicksight:UpdateAnalysis", "quicksight:UpdateAnalysisPermissions", "quicksight:DeleteAnalysis",
    "quicksight:RestoreAnalysis",
]  # fmt: skip
DASHBOARD_OWNER = [
    "quicksight:DescribeDashboard", "quicksight:ListDashboardVersions", "quicksight:QueryDashboard",
    "quicksight:UpdateDashboard", "quicksight:UpdateDashboardPublishedVersion", "quicksight:DescribeDashboardPermissions",
    "quicksight:UpdateDashboardPermissions", "quicksight:DeleteDashboard",
]  # fmt: skip
DASHBOARD_VIEWER = ["quicksight:DescribeDashboard", "quicksight:ListDashboardVersions", "quicksight:QueryDashboard"]
CFN_SCHEMAS = {"AWS::QuickSight::Analysis": "AnalysisDefinition", "AWS::QuickSight::Dashboard": "DashboardVersionDefinition"}


def resources_of(synth, type: str) -> dict[str, dict]:
    return {lid: r["Properties"] for lid, r in synth.template_json("quicksight")["Resources"].items() if r["Type"] == type}


def by_id(synth, type: str, key: str) -> dict[str, dict]:
    return {props[key]: props for props in resources_of(synth, type).values()}


def visuals(definition: dict) -> list[tuple[str, dict]]:
    return [(kind, body) for sheet in definition["Sheets"] for visual in sheet["Visuals"] for kind, body in visual.items()]


def principal(value) -> str:
    """A synthesized principal with the account filled in (the stage's bound account, else the evaluator's fake)."""
    return render(value, {})


# The dashboards this repository ships follow its own conventions (docs/DATASETS.md, Dashboards):
# a reader-controlled date range on every sheet and an insight visual with a forecast. A fork's
# dashboard need not; where it has them, they are checked the same way.
SHIPPED_DASHBOARDS = ("sales", "clickstream")


@pytest.fixture(scope="module")
def dashboards(prod):
    """Dataset name -> (analysis properties, dashboard properties) in the prod template."""
    analyses = by_id(prod, "AWS::QuickSight::Analysis", "AnalysisId")
    published = by_id(prod, "AWS::QuickSight::Dashboard", "DashboardId")
    prefix = prod.settings.prefix
    return {
        definition.dataset.name: (analyses[f"{prefix}-{definition.dataset.name}-analysis"], published[f"{prefix}-{definition.dataset.name}"])
        for definition in load_dashboards(prod.settings.datasets)
    }


def test_every_dataset_with_a_definition_file_gets_an_analysis_and_a_dashboard(prod, dashboards):
    with_files = [d.name for d in prod.settings.datasets if definition_path(d).is_file()]
    assert with_files and sorted(dashboards) == sorted(with_files)
    assert len(resources_of(prod, "AWS::QuickSight::Analysis")) == len(resources_of(prod, "AWS::QuickSight::Dashboard")) == len(with_files)


def test_definitions_read_this_stages_data_sets_by_reference(prod, dashboards):
    data_sets = {props["DataSetId"]: lid for lid, props in resources_of(prod, "AWS::QuickSight::DataSet").items()}
    for name, (analysis, dashboard) in dashboards.items():
        for resource in (analysis, dashboard):
            (declaration,) = resource["Definition"]["DataSetIdentifierDeclarations"]
            assert declaration == {"Identifier": name, "DataSetArn": {"Fn::GetAtt": [data_sets[f"{prod.settings.prefix}-{name}"], "Arn"]}}
        assert "{dataset-arn:" not in json.dumps([analysis, dashboard])


def test_analysis_and_dashboard_share_the_repository_definition(prod, dashboards):
    for definition in load_dashboards(prod.settings.datasets):
        analysis, dashboard = dashboards[definition.dataset.name]
        assert analysis["Definition"] == dashboard["Definition"]
        assert visuals(analysis["Definition"]) == visuals(definition.definition)


def test_owners_own_the_analysis_and_readers_only_view_the_dashboard(prod, dashboards):
    config = prod.settings.quicksight
    owner = config.owner_arn(prod.settings.account or ACCOUNT)
    readers = config.readers_arn(prod.settings.account or ACCOUNT)
    assert readers and readers != owner
    for analysis, dashboard in dashboards.values():
        assert [(principal(p["Principal"]), p["Actions"]) for p in analysis["Permissions"]] == [(owner, ANALYSIS_OWNER)]
        assert [(principal(p["Principal"]), p["Actions"]) for p in dashboard["Permissions"]] == [(owner, DASHBOARD_OWNER), (readers, DASHBOARD_VIEWER)]
        assert all("*" not in action for p in analysis["Permissions"] + dashboard["Permissions"] for action in p["Actions"])


def test_readers_cannot_change_export_or_reshare(prod, dashboards):
    """The viewer list holds no action that writes, deletes, or changes who has access."""
    writes = ("Update", "Delete", "Restore", "Create")
    assert not [a for a in DASHBOARD_VIEWER if any(word in a for word in writes)]
    for _, dashboard in dashboards.values():
        options = dashboard["DashboardPublishOptions"]
        assert options["ExportToCSVOption"] == {"AvailabilityStatus": "DISABLED"}  # prod: export_to_csv false
        assert options["ExportWithHiddenFieldsOption"] == {"AvailabilityStatus": "DISABLED"}


def test_sales_line_chart_carries_the_ml_forecast(dashboards):
    definition = dashboards["sales"][1]["Definition"]
    (line,) = [body for kind, body in visuals(definition) if kind == "LineChartVisual"]
    wells = line["ChartConfiguration"]["FieldWells"]["LineChartAggregatedFieldWells"]
    assert wells["Category"][0]["DateDimensionField"]["Column"]["ColumnName"] == "order_ts"
    assert [v["NumericalMeasureField"]["Column"]["ColumnName"] for v in wells["Values"]] == ["web_revenue", "mobile_revenue", "store_revenue"]
    assert line["ChartConfiguration"]["ForecastConfigurations"] == [
        {"ForecastProperties": {"PeriodsForward": 14, "PeriodsBackward": 0, "PredictionInterval": 90}}
    ]


def test_insight_visuals_compute_a_forecast_and_say_it_in_a_custom_narrative(dashboards):
    for name, (_, dashboard) in dashboards.items():
        insights = [body for kind, body in visuals(dashboard["Definition"]) if kind == "InsightVisual"]
        forecasts = [c["Forecast"] for i in insights for c in i["InsightConfiguration"]["Computations"] if "Forecast" in c]
        assert forecasts or name not in SHIPPED_DASHBOARDS, f"{name}: no forecast computation (docs/DATASETS.md, Dashboards)"
        for insight in insights:
            narrative = insight["InsightConfiguration"]["CustomNarrative"]["Narrative"]
            assert narrative.startswith("<narrative>") and narrative.endswith("</narrative>")
            for computation in insight["InsightConfiguration"]["Computations"]:
                (body,) = computation.values()
                assert f"<expression>{body['Name']}." in narrative, f"{name}: narrative ignores {body['Name']}"
        for forecast in forecasts:
            assert forecast["Seasonality"] == "AUTOMATIC" and 50 <= forecast["PredictionInterval"] <= 95 and forecast["PeriodsForward"] >= 1
            assert "DateDimensionField" in forecast["Time"]


def test_sales_has_period_over_period_top_movers_and_every_visual_the_issue_asks_for(dashboards):
    definition = dashboards["sales"][1]["Definition"]
    kinds = [kind for kind, _ in visuals(definition)]
    assert {"KPIVisual", "LineChartVisual", "InsightVisual", "BarChartVisual", "TableVisual", "PivotTableVisual"} <= set(kinds)
    computations = {key for kind, body in visuals(definition) if kind == "InsightVisual" for c in body["InsightConfiguration"]["Computations"] for key in c}
    assert {"Forecast", "PeriodOverPeriod", "TopBottomMovers"} <= computations
    (pivot,) = [body for kind, body in visuals(definition) if kind == "PivotTableVisual"]
    wells = pivot["ChartConfiguration"]["FieldWells"]["PivotTableAggregatedFieldWells"]
    assert [w["CategoricalDimensionField"]["Column"]["ColumnName"] for w in wells["Rows"] + wells["Columns"]] == ["category", "channel"]


def test_clickstream_has_traffic_top_pages_device_mix_and_a_funnel(dashboards):
    definition = dashboards["clickstream"][1]["Definition"]
    kinds = {kind: body for kind, body in visuals(definition)}
    assert {"KPIVisual", "LineChartVisual", "BarChartVisual", "PieChartVisual", "FunnelChartVisual", "InsightVisual"} <= set(kinds)
    funnel = kinds["FunnelChartVisual"]["ChartConfiguration"]["FieldWells"]["FunnelChartAggregatedFieldWells"]
    assert funnel["Category"][0]["CategoricalDimensionField"]["Column"]["ColumnName"] == "event_type"
    (steps,) = [g for g in definition["FilterGroups"] if g["FilterGroupId"] == "funnel-steps"]
    scope = steps["ScopeConfiguration"]["SelectedSheets"]["SheetVisualScopingConfigurations"]
    assert scope == [{"SheetId": "traffic", "Scope": "SELECTED_VISUALS", "VisualIds": [kinds["FunnelChartVisual"]["VisualId"]]}]
    top_pages = kinds["BarChartVisual"]["ChartConfiguration"]["SortConfiguration"]
    assert top_pages["CategoryItemsLimit"] == {"ItemsLimit": 10, "OtherCategories": "EXCLUDE"}


def test_every_sheet_filters_on_a_date_range_the_reader_controls(dashboards):
    for name, (_, dashboard) in dashboards.items():
        definition = dashboard["Definition"]
        declared = {p["DateTimeParameterDeclaration"]["Name"] for p in definition.get("ParameterDeclarations", [])
                    if "DateTimeParameterDeclaration" in p}
        if not declared and name not in SHIPPED_DASHBOARDS:
            continue  # a dashboard without a date range (the starter): nothing to wire
        assert declared == {"StartDate", "EndDate"}, f"{name}: the date range is StartDate/EndDate (docs/DATASETS.md, Dashboards)"
        (group,) = [g for g in definition["FilterGroups"] if g["FilterGroupId"] == "date-range"]
        (time_range,) = [f["TimeRangeFilter"] for f in group["Filters"]]
        assert (time_range["RangeMinimumValue"], time_range["RangeMaximumValue"]) == ({"Parameter": "StartDate"}, {"Parameter": "EndDate"})
        for sheet in definition["Sheets"]:
            assert {c["DateTimePicker"]["SourceParameterName"] for c in sheet["ParameterControls"]} == declared
            assert {"SheetId": sheet["SheetId"], "Scope": "ALL_VISUALS"} in group["ScopeConfiguration"]["SelectedSheets"]["SheetVisualScopingConfigurations"]


def test_every_visual_has_a_place_in_the_layout(prod):
    for definition in load_dashboards(prod.settings.datasets):
        for sheet in definition.definition["Sheets"]:
            placed = [e["ElementId"] for layout in sheet["Layouts"] for grid in layout["Configuration"].values() for e in grid["Elements"]]
            assert sorted(placed) == sorted(body["VisualId"] for visual in sheet["Visuals"] for body in visual.values())


@functools.cache
def cfn_validator(resource_type: str) -> jsonschema.protocols.Validator:
    """The definition schema of `resource_type` from the resource schemas cfn-lint ships."""
    directory = package_files.files("cfnlint") / "data" / "schemas"
    providers = json.loads((directory / "providers" / "us-east-1.json").read_text())
    schema = json.loads((directory / "resources" / f"{providers[resource_type]}.json").read_text())
    return jsonschema.Draft7Validator({"$ref": f"#/definitions/{CFN_SCHEMAS[resource_type]}", "definitions": schema["definitions"]})


@pytest.mark.parametrize("resource_type", sorted(CFN_SCHEMAS))
def test_definition_files_match_cloudformations_schema(prod, resource_type):
    for definition in load_dashboards(prod.settings.datasets):
        resolved = definition.for_analysis({name: "arn:aws:quicksight:us-east-1:111122223333:dataset/x" for name in definition.data_set_names})
        if resource_type == "AWS::QuickSight::Dashboard":
            resolved = definition.for_dashboard({name: "arn:aws:quicksight:us-east-1:111122223333:dataset/x" for name in definition.data_set_names})
        errors = [f"{definition.where}: {list(e.absolute_path)} {e.message}" for e in cfn_validator(resource_type).iter_errors(resolved)]
        assert errors == []


def test_the_schema_check_is_live(prod):
    (definition, *_) = load_dashboards(prod.settings.datasets)
    broken = json.loads(json.dumps(definition.definition))
    broken["Sheets"][0]["Visuals"][0]["KPIVisual"]["Colour"] = "red"
    assert [e.message for e in cfn_validator("AWS::QuickSight::Dashboard").iter_errors(broken)] == ["Additional properties are not allowed ('Colour' was unexpected)"]


def test_definition_files_are_in_canonical_formatting(prod):
    for definition in load_dashboards(prod.settings.datasets):
        assert definition.path.read_text() == canonical_json(json.loads(definition.path.read_text())), (
            f"{definition.where}: rewrite it with lake_config.dashboard_definitions.canonical_json"
        )


def test_version_description_names_the_commit(prod, dashboards):
    for definition in load_dashboards(prod.settings.datasets):
        _, dashboard = dashboards[definition.dataset.name]
        assert dashboard["VersionDescription"] == source_version(definition.path)
        assert dashboard["VersionDescription"].startswith("commit ")


def small_stack(tmp_path, prod, **options):
    """The construct alone in a bare stack: a few hundred milliseconds instead of a stage synth."""
    app = cdk.App(outdir=str(tmp_path))
    stack = cdk.Stack(app, "Dashboards")
    (definition, *_) = load_dashboards(prod.settings.datasets)
    QuickSightDashboard(
        stack, "Dashboard", dashboard=definition, analysis_id="a", dashboard_id="d", name="n",
        data_set_arns={name: f"arn:aws:quicksight:us-east-1:111122223333:dataset/{name}" for name in definition.data_set_names},
        owner="arn:aws:quicksight:us-east-1:111122223333:group/default/owners", **options,
    )  # fmt: skip
    template = app.synth().get_stack_by_name("Dashboards").template
    return {r["Type"]: r["Properties"] for r in template["Resources"].values()}


def test_export_to_csv_follows_the_setting_and_no_readers_means_owners_only(tmp_path, prod):
    props = small_stack(tmp_path, prod, export_to_csv=True)
    dashboard = props["AWS::QuickSight::Dashboard"]
    assert dashboard["DashboardPublishOptions"]["ExportToCSVOption"] == {"AvailabilityStatus": "ENABLED"}
    assert [p["Actions"] for p in dashboard["Permissions"]] == [DASHBOARD_OWNER]


def test_without_ml_insights_there_is_no_forecast_and_no_insight_visual(tmp_path, prod):
    props = small_stack(tmp_path, prod, ml_insights=False)
    for resource_type in CFN_SCHEMAS:
        definition = props[resource_type]["Definition"]
        text = json.dumps(definition)
        assert "ForecastConfigurations" not in text and "InsightVisual" not in text and '"Forecast"' not in text
        assert [e.message for e in cfn_validator(resource_type).iter_errors(definition)] == []
        kept = {body["VisualId"] for _, body in visuals(definition)}
        placed = {e["ElementId"] for s in definition["Sheets"] for layout in s["Layouts"] for g in layout["Configuration"].values() for e in g["Elements"]}
        assert placed == kept and "LineChartVisual" in text
