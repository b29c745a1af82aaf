"""A fork adds a dataset by configuration alone (tests/fixtures/stock_levels, a contract in its own
datasets folder), renames the project and adds a stage: every derived resource appears for the
new dataset, under the new names, with the same security properties, and the gate stays green.
The name-deriving assertions of the other stack tests run on this synth too (the `lake` fixture)."""
import json

from tests.helpers import THIRD_DATASET


def resources(synth, stack: str, type_: str) -> list[dict]:
    return [r for r in synth.template_json(stack)["Resources"].values() if r["Type"] == type_]


def test_the_fork_is_named_by_its_settings(fork):
    assert (fork.settings.project, fork.settings.stage) == ("acme-data", "qa")
    assert {stack.stack_name for stack in fork.stacks.values()} == {f"acme-data-qa-{part}" for part in fork.stacks}
    for stack in fork.stacks:
        assert "datalake" not in json.dumps(fork.template_json(stack)), f"a shipped name left in {stack}"


def test_the_changed_values_reach_the_templates(fork):
    (workgroup,) = resources(fork, "analytics", "AWS::Athena::WorkGroup")
    assert workgroup["Properties"]["Name"] == "acme-data-qa"
    crawlers = resources(fork, "catalog", "AWS::Glue::Crawler")
    assert {c["Properties"]["Schedule"]["ScheduleExpression"] for c in crawlers} == {"cron(30 4 * * ? *)"}


def test_every_resource_exists_for_the_third_dataset(fork):
    name = THIRD_DATASET.name
    dataset = fork.settings.dataset(name)
    prefix = fork.settings.prefix
    assert [c for c in resources(fork, "catalog", "AWS::Glue::Crawler") if c["Properties"]["Name"] == f"{prefix}-{name}-raw"]
    (csv,) = [c for c in resources(fork, "catalog", "AWS::Glue::Classifier") if c["Properties"]["CsvClassifier"]["Name"] == f"{prefix}-{name}-csv"]
    assert csv["Properties"]["CsvClassifier"]["Delimiter"] == ";"
    assert [t for t in resources(fork, "catalog", "AWS::Glue::Table") if t["Properties"]["TableInput"]["Name"] == dataset.table]
    assert [r for r in resources(fork, "catalog", "AWS::Glue::DataQualityRuleset") if r["Properties"]["Name"] == f"{prefix}-{name}"]
    queries = {q["Properties"]["Name"] for q in resources(fork, "analytics", "AWS::Athena::NamedQuery")}
    assert {"stock_by_warehouse_raw", "stock_by_warehouse_curated"} <= queries
    data_sets = {d["Properties"]["DataSetId"] for d in resources(fork, "quicksight", "AWS::QuickSight::DataSet")}
    assert {f"{prefix}-{name}", f"{prefix}-{name}-row-rules"} <= data_sets
    parameters = {p["Properties"]["Name"] for p in resources(fork, "catalog", "AWS::SSM::Parameter")}
    assert f"/acme-data/qa/catalog/datasets/{name}/raw-crawler" in parameters


def test_the_gate_passes_with_each_acknowledgment_naming_its_own_dataset(fork):
    assert fork.validation_error is None, fork.validation_error
    dataset = fork.settings.dataset(THIRD_DATASET.name)
    reasons = [a.reason for a in fork.acknowledgments if "AwsSolutions-IAM5" in a.rule and dataset.name in a.reason]
    # EMR: raw, curated, quarantine, reports; crawler: objects; DQ: objects; QuickSight: curated files.
    assert len(reasons) >= 7, reasons
