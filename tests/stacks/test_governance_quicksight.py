"""QuickSight in a governed stage: each dataset leaves out the columns Lake Formation hides from
QuickSight's role, and a dashboard that uses one stops synth with one line."""
import copy
import json

import pytest

from lake_config import load_settings
from lake_config.dashboard_definitions import DashboardDefinition, load_dashboards
from lake_config.governance_plan import dashboard_problem, hidden_columns
from tests.helpers import CDK_CONTEXT, stage_context


def input_columns(lake, dataset) -> list[str]:
    (data_set,) = [r["Properties"] for r in lake.template_json("quicksight")["Resources"].values()
                   if r["Type"] == "AWS::QuickSight::DataSet" and r["Properties"]["DataSetId"] == f"{lake.settings.prefix}-{dataset.name}"]
    (table,) = data_set["PhysicalTableMap"].values()
    return [c["Name"] for c in table["RelationalTable"]["InputColumns"]]


@pytest.mark.parametrize("name", ["prod", "fork"])
def test_data_sets_leave_out_what_quicksight_may_not_read(request, name):
    lake = request.getfixturevalue(name)
    for dataset in lake.settings.datasets:
        hidden = hidden_columns(lake.settings, dataset, "quicksight")
        assert input_columns(lake, dataset) == [c.name for c in dataset.columns if c.name not in hidden] + [dataset.partition]
    assert any(hidden_columns(lake.settings, d, "quicksight") for d in lake.settings.datasets)


def with_column(definition: DashboardDefinition, column: str) -> DashboardDefinition:
    changed = copy.deepcopy(definition.definition)
    text = json.dumps(changed)
    used = json.loads(text)["DataSetIdentifierDeclarations"][0]["Identifier"]
    changed.setdefault("CalculatedFields", []).append({"DataSetIdentifier": used, "Name": "uses_it", "Expression": f"{{{column}}}"})
    return DashboardDefinition(definition.dataset, definition.path, changed)


def test_a_dashboard_using_a_hidden_column_is_refused():
    settings = load_settings(stage_context("prod"))
    definitions = load_dashboards(settings.datasets)
    assert dashboard_problem(settings, definitions) is None, "the shipped dashboards use no restricted column"
    definition = next(d for d in definitions if hidden_columns(settings, d.dataset, "quicksight"))
    column = hidden_columns(settings, definition.dataset, "quicksight")[0]
    problem = dashboard_problem(settings, [with_column(definition, column)])
    assert problem and f"uses column {column!r}" in problem and "governance.quicksight_reads_restricted" in problem
    governance = {**CDK_CONTEXT["stages"]["prod"]["governance"], "quicksight_reads_restricted": True}
    allowed = load_settings(stage_context("prod", governance=governance))
    assert dashboard_problem(allowed, [with_column(definition, column)]) is None
