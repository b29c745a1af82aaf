"""Every relative link in the README, the docs and the construct READMEs points at a file that
exists, and every `#anchor` at a heading of its target (slugs as python-markdown's toc makes
them for the site, which are GitHub's for these plain headings), the headings the site build
renders into a page's generated regions included (scripts/docs_pages.py)."""
import re
import sys
from pathlib import Path

import pytest
from markdown.extensions.toc import slugify

from tests.helpers import ROOT

sys.path.insert(0, str(ROOT / "scripts"))
import docs_pages  # noqa: E402

PAGES = [ROOT / "README.md", ROOT / "CONTRIBUTING.md", ROOT / "SECURITY.md", *sorted((ROOT / "docs").rglob("*.md")), *sorted((ROOT / "lake_constructs").glob("*/README.md"))]
LINK = re.compile(r"(?<!!)\[[^\]]*\]\(([^)\s]+)\)|!\[[^\]]*\]\(([^)\s]+)\)")
FENCE = re.compile(r"^```.*?^```", re.M | re.S)
CODE = re.compile(r"`[^`\n]*`")


def links(page: Path) -> list[str]:
    text = CODE.sub("", FENCE.sub("", page.read_text()))
    return [a or b for a, b in LINK.findall(text)]


def anchors(page: Path) -> set[str]:
    text = FENCE.sub("", docs_pages.render(page.read_text(), docs_pages.WITHOUT_SYNTH))
    found = set()
    for heading in re.findall(r"^#{1,6} +(.+?) *#*$", text, re.M):
        found.add(slugify(re.sub(r"[`*]", "", re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", heading)), "-"))
    return found


def test_the_anchor_slugs_match_the_site_s():
    assert "curation-job-arguments-quarantine-and-report" in anchors(ROOT / "docs" / "DATASETS.md")


@pytest.mark.parametrize("page", PAGES, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_relative_link_and_anchor_resolves(page):
    broken = []
    for link in links(page):
        if re.match(r"^[a-z]+:", link):
            continue
        path, _, anchor = link.partition("#")
        target = (page.parent / path).resolve() if path else page
        if not target.exists():
            broken.append(f"{link}: no file {target.relative_to(ROOT) if target.is_relative_to(ROOT) else target}")
        elif anchor and target.suffix == ".md" and anchor not in anchors(target):
            broken.append(f"{link}: no heading with anchor #{anchor} in {target.relative_to(ROOT)}")
    assert not broken, "\n".join(broken)


def test_the_checker_finds_a_broken_link_and_anchor(tmp_path):
    page = tmp_path / "page.md"
    page.write_text("# Title\n\n[a](missing.md) [b](#nope) [c](#title) `[d](in-code.md)`\n")
    assert links(page) == ["missing.md", "#nope", "#title"]
    assert anchors(page) == {"title"}


def test_the_cli_s_pointers_into_the_docs_name_real_sections():
    """lakeops' messages send the user to `docs/<page>.md, 'Section'`: that heading must exist."""
    pointers = {(page, section) for source in sorted((ROOT / "lakeops").glob("*.py"))
                for page, section in re.findall(r"(docs/[\w/-]+\.md), [\"']([^\"']+)[\"']", source.read_text())}
    assert len(pointers) >= 4
    for page, section in pointers:
        assert slugify(section, "-") in anchors(ROOT / page), f"{page} has no heading {section!r}"


@pytest.mark.parametrize("page", PAGES, ids=lambda p: str(p.relative_to(ROOT)))
def test_no_placeholder_is_written_where_markdown_reads_it_as_html(page):
    """`<region>` outside code is an HTML tag to Markdown, and vanishes from the rendered page."""
    text = re.sub(r"`[^`]*`", "", re.sub(r"<!--.*?-->", "", FENCE.sub("", page.read_text()), flags=re.S))
    tags = [t for t in re.findall(r"<[a-zA-Z][^>\n]*>", text) if not t.startswith(("<br", "<a ", "<img"))]
    assert not tags, tags
