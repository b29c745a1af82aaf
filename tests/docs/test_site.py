"""The documentation site builds with warnings as errors, and what it renders keeps its numbers.

mkdocs' strict mode fails on a link to a missing page, a missing anchor (`validation.anchors`)
and a page left out of the navigation; the hooks (docs/hooks.py) render the generated regions
(from cdk.json, datasets/ and the code as they are now: a fork's own) and the construct READMEs
in the same build. The build reads the deploy plans from the session's dev and prod assemblies
instead of synthesizing the stages again.
"""
import html
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.helpers import ROOT

sys.path.insert(0, str(ROOT / "scripts"))
import cost_tables  # noqa: E402
import docs_pages  # noqa: E402


@pytest.fixture(scope="module")
def site(tmp_path_factory, dev, prod) -> Path:
    out = tmp_path_factory.mktemp("site")
    assemblies = ",".join(f"{synth.stage}={synth.assembly.directory}" for synth in (dev, prod))
    result = subprocess.run(
        [str(Path(sys.executable).parent / "mkdocs"), "build", "--strict", "--quiet", "--site-dir", str(out)],
        cwd=ROOT, capture_output=True, text=True, timeout=120,
        env={**os.environ, "NO_MKDOCS_2_WARNING": "1", docs_pages.ASSEMBLIES_ENV: assemblies},
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return out


def text_of(page: Path) -> str:
    return html.unescape(re.sub(r"<[^>]+>", "", page.read_text()))


def test_the_site_builds_strict_with_every_page_and_construct_readme(site):
    for page in ("index", "deploying/index", "cost/index", "quicksight/index", "reference/configuration/index", "constructs/index"):
        assert (site / f"{page}.html").exists() or (site / page.replace("/index", "") / "index.html").exists(), page
    for readme in sorted((ROOT / "lake_constructs").glob("*/README.md")):
        assert (site / "constructs" / readme.parent.name / "index.html").exists(), readme


@pytest.mark.parametrize("page", ["cost", "quicksight"])
def test_the_rendered_quicksight_pricing_paragraph_keeps_every_dollar_amount(site, page):
    """The paragraph once lost its amounts to shell expansion ('authors 4 per month ... bash.38 per
    GB-month'); it is generated from docs/cost/prices.yaml, and the rendered page must show each
    amount with its dollar sign."""
    text = text_of(site / page / "index.html")
    (paragraph,) = [p for p in re.split(r"\n\s*\n", text) if "QuickSight charges per user" in p]
    amounts = cost_tables.dollar_amounts()
    assert len(amounts) == 7
    for amount in amounts:
        assert re.search(re.escape(amount) + r"(?![\d.])", paragraph), f"{amount} missing from: {paragraph}"
    for before in ("authors", "readers", "more is", "session: ", "capped at"):
        assert re.search(re.escape(before) + r" ?\$\d", paragraph), f"no amount after {before!r}: {paragraph}"
    assert "bash" not in paragraph


def test_the_rendered_configuration_reference_lists_every_setting(site):
    import config_reference

    text = text_of(site / "reference" / "configuration" / "index.html")
    missing = [name for name, _ in config_reference.settings() if name not in text]
    assert not missing, missing
    # Each description survives rendering whole (a `<region>` in it once vanished as an HTML tag).
    lost = [name for name, node in config_reference.settings() if " ".join(node["description"].split()) not in " ".join(text.split())]
    assert not lost, lost
    # One column per stage of cdk.json, each showing the stage's own project.
    (project,) = [row for row in table_rows(site / "reference" / "configuration" / "index.html", "setting") if row[0] == "project"]
    stages = list(config_reference.cdk_context()["stages"])
    assert project[4:-1] == [config_reference._shipped()[stage]["project"] for stage in stages]


def table_rows(page: Path, header: str) -> list[list[str]]:
    """The rows of the rendered table whose first header cell is `header`, as cell texts."""
    for table in re.findall(r"<table>.*?</table>", page.read_text(), re.S):
        rows = [[text_of_cell(c) for c in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row, re.S)] for row in re.findall(r"<tr>(.*?)</tr>", table, re.S)]
        if rows and rows[0][0] == header:
            return rows[1:]
    raise AssertionError(f"no table headed {header!r} in {page}")


def text_of_cell(cell: str) -> str:
    return html.unescape(re.sub(r"<[^>]+>", "", cell)).strip()


def test_the_rendered_deploy_table_is_the_plan_of_each_stage(site, dev, prod):
    """What `make deploy` and `make deploy-quicksight` deploy per stage, as each stage's synth plans it
    (stacks/deploy_plan.py), with the configured project's stack names."""
    from stacks.deploy_plan import plan

    expected = docs_pages.deploy_table({s.stage: plan(s.assembly.directory) for s in (dev, prod)})
    rows = [[cell.strip().replace("`", "") for cell in line.strip("|").split(" | ")] for line in expected.splitlines()[2:]]
    assert table_rows(site / "deploying" / "index.html", "target") == rows
    assert f"{dev.settings.prefix}-storage" in rows[0][1]
