"""The documentation site builds with warnings as errors, and what it renders keeps its numbers.

mkdocs' strict mode fails on a link to a missing page, a missing anchor (`validation.anchors`)
and a page left out of the navigation; the hooks (docs/hooks.py) render the generated regions
and the construct READMEs in the same build.
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


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("site")
    result = subprocess.run(
        [str(Path(sys.executable).parent / "mkdocs"), "build", "--strict", "--quiet", "--site-dir", str(out)],
        cwd=ROOT, capture_output=True, text=True, timeout=120, env={**os.environ, "NO_MKDOCS_2_WARNING": "1"},
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
