"""The parts of the documentation that derive from the configuration and the code, rendered into
the pages when the site is built (docs/hooks.py) and never committed. A page holds only

    <!-- generated: NAME -->
    _Written here when the site is built (`make docs`) ..._
    <!-- end generated: NAME -->

and the build puts what GENERATORS[NAME]() returns between the markers, from cdk.json,
datasets/, the settings models, docs/cost/prices.yaml and docs/development/bench-results.json as
they are then. So a fork that renames the project, adds a stage or a dataset, or switches a
component off gets its own pages, and its tests compare nothing with a committed copy.

The deploy table needs each stage's cloud assembly (its plan is stack metadata,
stacks/deploy_plan.py): the build synthesizes every stage of cdk.json in-process, without the nag
packs, unless LAKE_DOCS_ASSEMBLIES names assemblies already synthesized (`dev=DIR,prod=DIR`; the
tests pass theirs).

docs/reference/cdk.schema.json derives from the settings models alone (code, not configuration)
and stays committed for editors:

    python scripts/docs_pages.py           # rewrites the schema; empties any region a page commits
    python scripts/docs_pages.py --check   # names what is stale, exit 1
"""
from __future__ import annotations

import argparse
import functools
import json
import os
import re
import sys
import tempfile
from pathlib import Path
from typing import Callable

ROOT = Path(__file__).resolve().parents[1]
for path in (ROOT, ROOT / "scripts"):
    if str(path) not in sys.path:
        sys.path.insert(0, str(path))

import bench_results  # noqa: E402
import config_reference  # noqa: E402
import cost_tables  # noqa: E402
import spice_capacity  # noqa: E402
from stacks.deploy_plan import DEPLOY, DEPLOY_QUICKSIGHT, plan  # noqa: E402  (at import: mkdocs restores sys.path after loading its hooks)

DOCS = ROOT / "docs"
REGION = re.compile(r"(<!-- generated: (?P<name>[a-z0-9-]+) -->\n)(?P<body>.*?)(<!-- end generated: (?P=name) -->)", re.S)
# What a page commits between the markers: a note for readers of the Markdown (on GitHub).
PLACEHOLDER = "_Written here when the site is built (`make docs`), from this repository's configuration, code and data files._\n"
DEPLOY_TARGETS = "deploy-targets"
ASSEMBLIES_ENV = "LAKE_DOCS_ASSEMBLIES"


def _spice_table() -> str:
    return spice_capacity.readme_table(cost_tables.shipped("prod").datasets)


def _constructs_index() -> str:
    rows = ["| domain | what it holds |", "|---|---|"]
    for readme in sorted((ROOT / "lake_constructs").glob("*/README.md")):
        title = readme.read_text().splitlines()[0].lstrip("# ").strip()
        rows.append(f"| [{readme.parent.name}](../../lake_constructs/{readme.parent.name}/README.md) | {title} |")
    return "\n".join(rows) + "\n"


def deploy_table(plans: dict[str, dict[str, list[str]]]) -> str:
    """The deploy table of docs/deploying.md from each stage's plan (stacks.deploy_plan)."""
    def names(stacks: list[str]) -> str:
        prefix = stacks[0][: stacks[0].rindex("-")]
        return ", ".join([f"`{stacks[0]}`"] + [f"`{s.removeprefix(prefix)}`" for s in stacks[1:]])

    rows = ["| target | deploys (in this order) |", "|---|---|"]
    for stage, plan in plans.items():
        then = "; then it prints the next step (Deployment order)" if plan[DEPLOY_QUICKSIGHT] else ""
        rows.append(f"| `make deploy STAGE={stage}` | {names(plan[DEPLOY])}{then} |")
    for stage, plan in plans.items():
        if plan[DEPLOY_QUICKSIGHT]:
            rows.append(f"| `make deploy-quicksight STAGE={stage}` | runs `lakeops check-quicksight` (subscription, manifest, curated table "
                        f"with data, the stacks it builds on), then {names(plan[DEPLOY_QUICKSIGHT])} only |")
    return "\n".join(rows) + "\n"


def given_assemblies() -> dict[str, str]:
    """Stage -> assembly directory, from LAKE_DOCS_ASSEMBLIES (`stage=DIR,...`)."""
    given = {}
    for item in filter(None, os.environ.get(ASSEMBLIES_ENV, "").split(",")):
        stage, _, directory = item.partition("=")
        if not stage or not (Path(directory) / "manifest.json").exists():
            raise SystemExit(f"{ASSEMBLIES_ENV}: {item!r} is not STAGE=DIR naming a synthesized cloud assembly")
        given[stage] = directory
    return given


@functools.cache
def _synthesized_plan(context_json: str, stage: str) -> dict[str, list[str]]:
    """`stage` synthesized in-process (no nag packs: the plan is stack metadata); once per configuration."""
    if str(ROOT) not in sys.path:  # mkdocs restores sys.path after loading its hooks
        sys.path.insert(0, str(ROOT))
    import aws_cdk as cdk

    from lake_config import load_settings
    from stacks.stage import build_stacks

    context = {**json.loads(context_json), "stage": stage}
    with tempfile.TemporaryDirectory(prefix=f"docs-{stage}-") as outdir:
        app = cdk.App(context=context, outdir=outdir)
        build_stacks(app, load_settings(context))
        app.synth()
        return plan(outdir)


def stage_plans() -> dict[str, dict[str, list[str]]]:
    """Each stage of cdk.json -> its deploy plan, from a given assembly or synthesized."""
    context, given = config_reference.cdk_context(), given_assemblies()
    return {stage: plan(given[stage]) if stage in given else _synthesized_plan(json.dumps(context, sort_keys=True), stage)
            for stage in context["stages"]}


GENERATORS: dict[str, Callable[[], str]] = {
    "constructs-index": _constructs_index,
    "config-reference": config_reference.reference_markdown,
    "spice-capacity": _spice_table,
    DEPLOY_TARGETS: lambda: deploy_table(stage_plans()),
    **cost_tables.GENERATED,
    **bench_results.GENERATED,
}
# The ones that need no cloud assembly (the deploy table holds no heading or link).
WITHOUT_SYNTH = {name: make for name, make in GENERATORS.items() if name != DEPLOY_TARGETS}


def render(text: str, generators: dict[str, Callable[[], str]] = GENERATORS) -> str:
    """`text` with every region whose generator is given rendered afresh (others left as they are)."""
    def fill(match: re.Match) -> str:
        name = match["name"]
        if name not in generators:
            return match[0]
        return f"{match[1]}{generators[name]()}{match[4]}"

    return REGION.sub(fill, text)


def regions(text: str) -> dict[str, str]:
    """Name -> committed body of each region of `text`."""
    return {m["name"]: m["body"] for m in REGION.finditer(text)}


def pages() -> list[Path]:
    return sorted(DOCS.rglob("*.md"))


def as_committed(text: str) -> str:
    """`text` with each region holding the placeholder only."""
    return REGION.sub(lambda m: f"{m[1]}{PLACEHOLDER}{m[4]}", text)


def stale() -> dict[Path, str]:
    """Page or schema file -> what it should be, for each one that differs from what is committed."""
    found = {page: fresh for page in pages() if (fresh := as_committed(text := page.read_text())) != text}
    schema = config_reference.schema_text()
    if not config_reference.SCHEMA_FILE.exists() or config_reference.SCHEMA_FILE.read_text() != schema:
        found[config_reference.SCHEMA_FILE] = schema
    return found


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="only report what is stale (exit 1 if anything is)")
    args = parser.parse_args(argv)
    found = stale()
    for path, text in found.items():
        where = path.relative_to(ROOT)
        if args.check:
            print(f"stale: {where} (run python scripts/docs_pages.py)")
        else:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text)
            print(f"wrote {where}")
    return 1 if args.check and found else 0


if __name__ == "__main__":
    sys.exit(main())
