"""mkdocs hooks (mkdocs.yml `hooks:`), so the site is built from the code it describes:

- each page's generated regions (scripts/docs_pages.py) are rendered from cdk.json, datasets/,
  the settings models, the price file, the benchmark results and, for the deploy table, each
  stage's cloud assembly: the pages commit only the markers, so the site is always the
  configuration's at build time, a fork's included;
- a relative link to a repository file outside docs/ (a README next to the code, a construct's
  module) works on GitHub but not on the site: it becomes the file's path in code;
- the README of each construct domain (lake_constructs/<domain>/README.md) becomes the page
  constructs/<domain>.md, and links to those READMEs point at those pages.
"""
from __future__ import annotations

import sys
import os
import re
from pathlib import Path

from mkdocs.structure.files import File

ROOT = Path(__file__).resolve().parents[1]
for path in (ROOT, ROOT / "scripts"):
    if str(path) not in sys.path:
        sys.path.insert(0, str(path))

import docs_pages  # noqa: E402

DOMAINS = ROOT / "lake_constructs"


def construct_readmes() -> dict[str, Path]:
    return {path.parent.name: path for path in sorted(DOMAINS.glob("*/README.md"))}


def on_files(files, config):
    for domain, path in construct_readmes().items():
        files.append(File.generated(config, f"constructs/{domain}.md", content=path.read_text()))
    return files


LINK = re.compile(r"(?<!!)\[([^\]]+)\]\((?![a-z]+:|#)([^)\s#]+)(#[^)\s]*)?\)")


def _source_dir(page, config) -> Path:
    """Where the page's relative links start: its file, or the construct README it was made from."""
    parts = Path(page.file.src_uri).parts
    if parts[0] == "constructs" and (domain := Path(parts[-1]).stem) in construct_readmes():
        return DOMAINS / domain
    return (Path(config.docs_dir) / page.file.src_uri).parent


def _outside_docs_as_paths(markdown: str, page, config) -> str:
    docs_dir, base = Path(config.docs_dir).resolve(), _source_dir(page, config)

    def replace(match: re.Match) -> str:
        target = (base / match[2]).resolve()
        if target.name == "README.md" and target.parent.parent == DOMAINS and target.parent.name in construct_readmes():
            page_dir = (docs_dir / page.file.src_uri).parent
            generated = docs_dir / "constructs" / f"{target.parent.name}.md"
            return f"[{match[1]}]({Path(os.path.relpath(generated, page_dir)).as_posix()}{match[3] or ''})"
        if target.is_relative_to(docs_dir) or not target.exists() or not target.is_relative_to(ROOT):
            return match[0]  # mkdocs checks links inside docs/; a missing file stays a warning
        return f"{match[1]} (`{target.relative_to(ROOT)}`)"

    return LINK.sub(replace, markdown)


def on_page_markdown(markdown, page, config, files):
    markdown = docs_pages.render(markdown)
    return _outside_docs_as_paths(markdown, page, config)


def on_serve(server, config, builder):
    watched = [*construct_readmes().values(), docs_pages.cost_tables.PRICES_FILE, docs_pages.bench_results.RESULTS,
               ROOT / "lake_config", ROOT / "datasets", ROOT / "cdk.json"]
    for path in watched:
        server.watch(str(path))
    return server
