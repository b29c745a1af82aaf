"""Dataset contracts: the shipped ones load, and a broken one fails with one line naming file and field."""
import shutil

import pytest
import yaml

from lake_config import ConfigError
from lake_config.datasets import DATASETS_DIR, load_dataset
from tests.helpers import CDK_CONTEXT


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


def test_partition_needs_event_time(tmp_path):
    message = _broken(tmp_path, lambda c: _prop(c, "dt").update(transformSourceObjects=["channel"]))
    assert "partition 'dt'" in message


def test_json_needs_new_line_delimiter(tmp_path):
    def change(contract):
        contract["servers"][0].update(format="json", delimiter="array")

    assert "new_line" in _broken(tmp_path, change)
