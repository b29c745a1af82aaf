"""A fork adds a dataset by configuration alone (tests/fixtures/stock_levels, a contract in its own
datasets folder), renames the project and adds a stage: every derived resource appears for the
new dataset, under the new names, with the same security properties, and the gate stays green.
The name-deriving assertions of the other stack tests run on this synth too (the `lake` fixture)."""
import json

import pytest

from lake_config.dashboard_definitions import definition_path
from tests.helpers import FORK_DATASETS, FORK_PROJECT, ORDERS_DATASET, THIRD_DATASET


def resources(synth, stack: str, type_: str) -> list[dict]:
    return [r for r in synth.template_json(stack)["Resources"].values() if r["Type"] == type_]


def test_the_fork_is_named_by_its_settings(fork):
    assert (fork.settings.project, fork.settings.stage) == (FORK_PROJECT, "qa") and len(FORK_PROJECT) == 14
    assert {stack.stack_name for stack in fork.stacks.values()} == {f"{FORK_PROJECT}-qa-{part}" for part in fork.stacks}
    for stack in fork.stacks:
        assert "datalake" not in json.dumps(fork.template_json(stack)), f"a shipped name left in {stack}"


def test_the_changed_values_reach_the_templates(fork):
    (workgroup,) = resources(fork, "analytics", "AWS::Athena::WorkGroup")
    assert workgroup["Properties"]["Name"] == f"{FORK_PROJECT}-qa"
    crawlers = resources(fork, "catalog", "AWS::Glue::Crawler")
    assert {c["Properties"]["Schedule"]["ScheduleExpression"] for c in crawlers} == {"cron(30 4 * * ? *)"}


@pytest.mark.parametrize("own", FORK_DATASETS, ids=lambda d: d.name)
def test_every_resource_exists_for_the_forks_own_datasets(fork, own):
    name = own.name
    dataset = fork.settings.dataset(name)
    prefix = fork.settings.prefix
    assert [c for c in resources(fork, "catalog", "AWS::Glue::Crawler") if c["Properties"]["Name"] == f"{prefix}-{name}-raw"]
    (csv,) = [c for c in resources(fork, "catalog", "AWS::Glue::Classifier") if c["Properties"]["CsvClassifier"]["Name"] == f"{prefix}-{name}-csv"]
    assert csv["Properties"]["CsvClassifier"]["Delimiter"] == dataset.csv_delimiter == ";"
    assert [t for t in resources(fork, "catalog", "AWS::Glue::Table") if t["Properties"]["TableInput"]["Name"] == dataset.table]
    assert [r for r in resources(fork, "catalog", "AWS::Glue::DataQualityRuleset") if r["Properties"]["Name"] == f"{prefix}-{name}"]
    queries = {q["Properties"]["Name"] for q in resources(fork, "analytics", "AWS::Athena::NamedQuery")}
    assert {q.query_name(zone) for q in dataset.named_queries for zone in q.zones} <= queries
    data_sets = {d["Properties"]["DataSetId"] for d in resources(fork, "quicksight", "AWS::QuickSight::DataSet")}
    assert f"{prefix}-{name}" in data_sets
    assert (f"{prefix}-{name}-row-rules" in data_sets) is (name in fork.settings.quicksight.row_level_security.columns)
    parameters = {p["Properties"]["Name"] for p in resources(fork, "catalog", "AWS::SSM::Parameter")}
    assert f"/{FORK_PROJECT}/qa/catalog/datasets/{name}/raw-crawler" in parameters


def test_the_gate_passes_with_each_acknowledgment_naming_its_own_dataset(fork):
    assert fork.validation_error is None, fork.validation_error
    dataset = fork.settings.dataset(THIRD_DATASET.name)
    reasons = [a.reason for a in fork.acknowledgments if "AwsSolutions-IAM5" in a.rule and dataset.name in a.reason]
    # EMR: raw, curated, quarantine, reports; crawler: objects; DQ: objects; QuickSight: curated files.
    assert len(reasons) >= 7, reasons


def test_the_forks_orders_dataset_gets_its_dashboard(fork):
    """`orders` ships the starter dashboard of docs/DATASETS.md: a dashboard and an analysis."""
    assert definition_path(fork.settings.dataset(ORDERS_DATASET.name)).is_file()
    ids = {d["Properties"]["DashboardId"] for d in resources(fork, "quicksight", "AWS::QuickSight::Dashboard")}
    assert f"{fork.settings.prefix}-{ORDERS_DATASET.name}" in ids


def test_components_switched_off_build_no_stack_and_the_gate_passes(fork_lean):
    """The fork's `lean` stage: dev's settings with EMR Studio and QuickSight off."""
    settings = fork_lean.settings
    assert not settings.studio.enabled and not settings.quicksight.enabled
    assert not {"studio", "interactive", "quicksight"} & set(fork_lean.stacks)
    assert fork_lean.validation_error is None, fork_lean.validation_error
    assert {d.name for d in settings.datasets} >= {d.name for d in FORK_DATASETS}
