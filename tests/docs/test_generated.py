"""The numbers and tables the documentation shows come from code and configuration, rendered
when the site is built (scripts/docs_pages.py, docs/hooks.py; tests/docs/test_site.py checks the
rendered pages). The committed pages hold only the markers, so nothing here compares a page with
a committed copy that a fork would have to regenerate."""
import html
import json
import sys

import pytest
from pydantic import BaseModel

from lake_config.models import LakeSettings
from tests.helpers import FORK_DATASETS, FORK_PROJECT, ROOT, fork_context

sys.path.insert(0, str(ROOT / "scripts"))
import config_reference  # noqa: E402
import cost_tables  # noqa: E402
import docs_pages  # noqa: E402


def test_the_pages_commit_only_the_markers_and_the_schema_is_the_models():
    stale = docs_pages.stale()
    assert not stale, f"stale: {', '.join(str(p.relative_to(ROOT)) for p in stale)}; run python scripts/docs_pages.py"


def test_every_region_has_a_generator_and_every_generator_a_region():
    used = {name for page in docs_pages.pages() for name in docs_pages.regions(page.read_text())}
    assert used == set(docs_pages.GENERATORS)


def test_the_cost_page_follows_the_price_file(monkeypatch):
    prices = json.loads(json.dumps(cost_tables.prices()))
    prices["quicksight"]["author_per_month"] += 1
    monkeypatch.setattr(cost_tables, "prices", lambda: prices)
    rendered = docs_pages.render((ROOT / "docs" / "cost.md").read_text())
    assert f"authors ${prices['quicksight']['author_per_month']} per month" in rendered


def test_a_forks_configuration_renders_its_own_pages(fork_datasets, monkeypatch):
    """A fork that renames the project, adds stages and datasets: the pages it builds show its
    names, stages and datasets, and no committed page or test needs editing (the committed
    pages hold only the markers, checked above)."""
    context = fork_context(fork_datasets)
    monkeypatch.setattr(config_reference, "cdk_context", lambda: context)
    rendered = {page.name: docs_pages.render(page.read_text(), docs_pages.WITHOUT_SYNTH) for page in docs_pages.pages()}
    reference = rendered["configuration.md"]
    (header,) = {line for line in reference.splitlines() if line.startswith("| setting |")}
    assert header.split(" | ")[4:-1] == list(context["stages"])
    (project,) = [line for line in reference.splitlines() if line.startswith("| `project` |")]
    assert project.split(" | ")[4:-1] == [FORK_PROJECT] * len(context["stages"])
    for dataset in FORK_DATASETS:
        assert f"| `{dataset.name}` |" in rendered["quicksight.md"], dataset.name
    assert docs_pages.PLACEHOLDER not in "".join(rendered.values()).replace(rendered["deploying.md"], "")


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
