"""The parts of the documentation that come from code, kept in the pages between markers:

    <!-- generated: NAME -->
    ...what GENERATORS[NAME]() returns...
    <!-- end generated: NAME -->

and docs/reference/cdk.schema.json. Run it after changing a setting, a price, cdk.json or a
benchmark result (`make bench` runs it); tests/docs fails while a page is stale.

    python scripts/docs_pages.py           # rewrites every stale region and the schema
    python scripts/docs_pages.py --check   # names each stale page, exit 1

The mkdocs hook (docs/hooks.py) renders the same regions again at build time, except the
deploy tables: those need a synthesized cloud assembly of each shipped stage (this script
synthesizes them in-process, without the nag packs; the tests compare with their own synths).
"""
from __future__ import annotations

import argparse
import json
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

DOCS = ROOT / "docs"
REGION = re.compile(r"(<!-- generated: (?P<name>[a-z0-9-]+) -->\n)(?P<body>.*?)(<!-- end generated: (?P=name) -->)", re.S)
# Regions that need cloud assemblies: rendered from `plans` (stage -> deploy_plan.plan()).
PLAN_REGIONS = ("deploy-targets",)


def _spice_table() -> str:
    return spice_capacity.readme_table(cost_tables.shipped("prod").datasets)


def _constructs_index() -> str:
    rows = ["| domain | what it holds |", "|---|---|"]
    for readme in sorted((ROOT / "lake_constructs").glob("*/README.md")):
        title = readme.read_text().splitlines()[0].lstrip("# ").strip()
        rows.append(f"| [{readme.parent.name}](../../lake_constructs/{readme.parent.name}/README.md) | {title} |")
    return "\n".join(rows) + "\n"


GENERATORS: dict[str, Callable[[], str]] = {
    "constructs-index": _constructs_index,
    "config-reference": config_reference.reference_markdown,
    "spice-capacity": _spice_table,
    **cost_tables.GENERATED,
    **bench_results.GENERATED,
}


def deploy_table(plans: dict[str, dict[str, list[str]]]) -> str:
    """The deploy table of docs/deploying.md from each shipped stage's plan (stacks.deploy_plan)."""
    from stacks.deploy_plan import DEPLOY, DEPLOY_QUICKSIGHT

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


def shipped_plans() -> dict[str, dict[str, list[str]]]:
    """Synthesizes every stage of cdk.json in-process (no nag packs: the plan is stack metadata)."""
    import aws_cdk as cdk

    from lake_config import load_settings
    from stacks.deploy_plan import plan
    from stacks.stage import build_stacks

    context = json.loads((ROOT / "cdk.json").read_text())["context"]
    plans = {}
    for stage in context["stages"]:
        with tempfile.TemporaryDirectory(prefix=f"docs-{stage}-") as outdir:
            app = cdk.App(context={**context, "stage": stage}, outdir=outdir)
            build_stacks(app, load_settings({**context, "stage": stage}))
            app.synth()
            plans[stage] = plan(outdir)
    return plans


def render(text: str, generators: dict[str, Callable[[], str]]) -> str:
    """`text` with every region whose generator is given rendered afresh (others left as they are)."""
    def fill(match: re.Match) -> str:
        name = match["name"]
        if name not in generators:
            return match[0]
        return f"{match[1]}{generators[name]()}{match[4]}"

    return REGION.sub(fill, text)


def regions(text: str) -> list[str]:
    return [m["name"] for m in REGION.finditer(text)]


def pages() -> list[Path]:
    return sorted(DOCS.rglob("*.md"))


def stale(plans: dict | None = None) -> dict[Path, str]:
    """Page (or schema file) -> its fresh text, for each one that differs from what is committed."""
    generators = dict(GENERATORS)
    if plans is not None:
        generators["deploy-targets"] = lambda: deploy_table(plans)
    found = {}
    for page in pages():
        text = page.read_text()
        if (fresh := render(text, generators)) != text:
            found[page] = fresh
    schema = config_reference.schema_text()
    if not config_reference.SCHEMA_FILE.exists() or config_reference.SCHEMA_FILE.read_text() != schema:
        found[config_reference.SCHEMA_FILE] = schema
    return found


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="only report stale pages (exit 1 if any)")
    parser.add_argument("--no-synth", action="store_true", help="leave the deploy tables (they need a synth of each stage)")
    args = parser.parse_args(argv)
    found = stale(None if args.no_synth else shipped_plans())
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
