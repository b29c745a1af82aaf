"""The promotion guard: the logical-ID guard's rule applied to the change between two cloud
assemblies. Replacement is AWS's data: the `createOnlyProperties` of each type's CloudFormation
registry schema ("Resource type schema", CloudFormation CLI User Guide: "properties that can only
be specified by the customer on creation ... changing them requires replacement")."""
import copy
import json
import shutil

import pytest

from stacks import promotion_guard as guard
from tests.stacks.test_stateful_resources import CURATED_TABLE, STATEFUL_TYPES as PINNED_TYPES


def test_the_guard_watches_every_type_the_logical_id_guard_pins_and_the_long_running_cluster():
    assert set(guard.STATEFUL_TYPES) >= {*PINNED_TYPES, CURATED_TABLE, "AWS::EMR::Cluster"}


def test_the_replacement_properties_are_the_registry_schemas():
    from cfnlint.schema import PROVIDER_SCHEMA_MANAGER

    for type_, properties in guard.REPLACEMENT_PROPERTIES.items():
        assert properties == PROVIDER_SCHEMA_MANAGER.get_resource_schema("us-east-1", type_).schema.get("createOnlyProperties", []), type_


@pytest.fixture(scope="module")
def fewer_datasets(dev, tmp_path_factory):
    """dev synthesized again with its last dataset dropped from the stage: its curated table goes."""
    from tests.conftest import synthesize

    first, *_ = dev.settings.datasets
    return synthesize("dev", tmp_path_factory.mktemp("cdk-dev-fewer"), datasets=[first.name])


def test_dropping_a_dataset_is_stopped_unless_a_reviewer_names_its_table(dev, fewer_datasets, capsys):
    from stacks.catalog_stack import construct_id

    dropped = [d.name for d in dev.settings.datasets[1:]]
    assert dropped, "dev ships more than one dataset"
    catalog = dev.stacks["catalog"].stack_name
    expected = {f"{catalog}/{construct_id(name)}CuratedTable" for name in dropped}
    found = guard.findings(dev.assembly.directory, fewer_datasets.assembly.directory)
    assert set(found) == expected and all(what.startswith("AWS::Glue::Table deleted: logical ID") for what in found.values())
    assert guard.main([dev.assembly.directory, fewer_datasets.assembly.directory]) == 1
    lines = capsys.readouterr().err.splitlines()
    assert lines[-1].endswith(f"allow_stateful_changes={','.join(sorted(expected))}")
    assert guard.main([dev.assembly.directory, fewer_datasets.assembly.directory, "--allow", ",".join(expected)]) == 0


def test_the_same_assembly_and_a_new_dataset_pass(dev, fewer_datasets):
    assert guard.findings(dev.assembly.directory, dev.assembly.directory) == {}
    assert guard.findings(fewer_datasets.assembly.directory, dev.assembly.directory) == {}, "adding is never stopped"


def edited(dev, tmp_path, stack: str, edit) -> str:
    copy_dir = tmp_path / "new"
    shutil.copytree(dev.assembly.directory, copy_dir, ignore=shutil.ignore_patterns("asset.*"))
    path = copy_dir / f"{dev.stacks[stack].stack_name}.template.json"
    template = json.loads(path.read_text())
    edit(template["Resources"])
    path.write_text(json.dumps(template))
    return str(copy_dir)


def bucket(resources: dict, prefix: str) -> str:
    (logical_id,) = [k for k, r in resources.items() if r["Type"] == "AWS::S3::Bucket" and k.startswith(prefix)]
    return logical_id


def test_a_renamed_bucket_and_a_renamed_logical_id_are_stopped(dev, tmp_path):
    storage = dev.stacks["storage"].stack_name

    def rename(resources):
        raw = bucket(resources, "RawBucket")
        resources[raw]["Properties"]["BucketName"] = "another-name"
        curated = bucket(resources, "CuratedBucket")
        resources["Renamed" + curated] = resources.pop(curated)
        key = next(k for k, r in resources.items() if r["Type"] == "AWS::KMS::Key")
        resources[key]["Properties"]["Description"] = "a mutable property"  # updated in place, not stopped

    found = guard.findings(dev.assembly.directory, edited(dev, tmp_path, "storage", rename))
    resources = dev.template_json("storage")["Resources"]
    assert found == {
        f"{storage}/{bucket(resources, 'RawBucket')}": "AWS::S3::Bucket replaced: BucketName can only be set at creation",
        f"{storage}/{bucket(resources, 'CuratedBucket')}": f"AWS::S3::Bucket deleted: logical ID {bucket(resources, 'CuratedBucket')} is gone "
        "(a rename creates a new resource and deletes or orphans this one)",
    }


def test_a_removed_stack_deletes_what_it_holds(dev, tmp_path):
    new = tmp_path / "new"
    shutil.copytree(dev.assembly.directory, new, ignore=shutil.ignore_patterns("asset.*"))
    manifest = json.loads((new / "manifest.json").read_text())
    del manifest["artifacts"][dev.stacks["emr"].stack_name]
    (new / "manifest.json").write_text(json.dumps(manifest))
    found = guard.findings(dev.assembly.directory, new)
    assert found and all(key.startswith(f"{dev.stacks['emr'].stack_name}/") and "deleted: stack" in what for key, what in found.items())


def test_allowing_what_the_deploy_does_not_touch_is_refused(dev, capsys):
    assert guard.main([dev.assembly.directory, dev.assembly.directory, "--allow", "nope/Nothing"]) == 1
    assert "neither replaces nor deletes" in capsys.readouterr().err
