"""The numbers and tables the documentation shows come from code, and the committed pages are
what the generators make now (scripts/docs_pages.py; the deploy table is checked against each
stage's synth in tests/stacks/test_deploy_plan.py)."""
import html
import json
import sys

import pytest
from pydantic import BaseModel

from lake_config.models import LakeSettings
from tests.helpers import ROOT

sys.path.insert(0, str(ROOT / "scripts"))
import config_reference  # noqa: E402
import cost_tables  # noqa: E402
import docs_pages  # noqa: E402


def test_every_generated_page_and_the_schema_are_fresh():
    stale = docs_pages.stale()
    assert not stale, f"stale: {', '.join(str(p.relative_to(ROOT)) for p in stale)}; run python scripts/docs_pages.py"


def test_every_region_has_a_generator_and_every_generator_a_region():
    used = {name for page in docs_pages.pages() for name in docs_pages.regions(page.read_text())}
    assert used == set(docs_pages.GENERATORS) | set(docs_pages.PLAN_REGIONS)


def test_a_changed_price_makes_the_cost_page_stale(monkeypatch):
    """The staleness check sees a change of the price file."""
    prices = json.loads(json.dumps(cost_tables.prices()))
    prices["quicksight"]["author_per_month"] += 1
    monkeypatch.setattr(cost_tables, "prices", lambda: prices)
    assert ROOT / "docs" / "cost.md" in docs_pages.stale()


def _fields(model: type[BaseModel], prefix: str = ""):
    for name, field in model.model_fields.items():
        yield prefix + name, field
        annotation = field.annotation
        if isinstance(annotation, type) and issubclass(annotation, BaseModel) and annotation.__module__.startswith("lake_config"):
            if annotation.__name__ not in ("Dataset",):
                yield from _fields(annotation, f"{prefix}{name}.")


def test_every_setting_has_a_description():
    """A new setting without `Field(description=...)` would be a blank row in the reference."""
    missing = [name for name, field in _fields(LakeSettings) if not (field.description or "").strip()]
    assert not missing, f"settings without Field(description=...): {', '.join(missing)}"
    leaves = {name for name, field in _fields(LakeSettings)
              if not (isinstance(field.annotation, type) and issubclass(field.annotation, BaseModel))}
    assert leaves - set(config_reference.LOADER_FIELDS) == {name for name, _ in config_reference.settings()}


def test_the_reference_shows_each_setting_with_its_shipped_values():
    text = config_reference.reference_markdown()
    for name, node in config_reference.settings():
        (row,) = [line for line in text.splitlines() if line.startswith(f"| `{name}` |")]
        assert html.escape(node["description"], quote=False).split("|")[0].strip()[:40] in row.replace("\\|", "|"), name
    prod = config_reference._shipped()["prod"]
    (row,) = [line for line in text.splitlines() if line.startswith("| `analytics.bytes_scanned_cutoff_mb` |")]
    assert f" {prod['analytics']['bytes_scanned_cutoff_mb']} |" in row


def test_the_cdk_json_schema_accepts_cdk_json_and_refuses_what_synth_refuses():
    import jsonschema

    schema = json.loads(config_reference.SCHEMA_FILE.read_text())
    cdk_json = json.loads((ROOT / "cdk.json").read_text())
    jsonschema.validate(cdk_json, schema)
    for bad in ({"emr": {"core_capacity_units": 0}}, {"unknown_setting": 1}, {"region": None}):
        stages = {**cdk_json["context"]["stages"], "dev": {**cdk_json["context"]["stages"]["dev"], **bad}}
        with pytest.raises(jsonschema.ValidationError):
            jsonschema.validate({**cdk_json, "context": {**cdk_json["context"], "stages": stages}}, schema)
