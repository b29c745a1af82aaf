"""The README is what a forker reads first: short, the first steps only, the rest linked."""
import re
import subprocess

from tests.helpers import ROOT

README = (ROOT / "README.md").read_text()
SECTIONS = ("What it deploys", "Prerequisites", "Quickstart", "Deploy and destroy", "Fork in five steps",
            "Where things are", "Documentation", "Licence")


def test_the_readme_is_short_and_holds_exactly_the_first_steps():
    assert len(README.splitlines()) <= 250
    assert re.findall(r"^## (.+)$", README, re.M) == list(SECTIONS)
    assert README.count("```mermaid") == 1
    fork = re.search(r"^## Fork in five steps\n(.*?)^## ", README, re.M | re.S)[1]
    assert len(re.findall(r"^\d\. \*\*", fork, re.M)) == 5


def test_every_folder_of_the_table_exists_and_every_top_level_folder_is_in_it():
    table = re.search(r"^## Where things are\n(.*?)^## ", README, re.M | re.S)[1]
    named = {name.rstrip("/") for cell in re.findall(r"^\| (.+?) \|", table, re.M) for name in re.findall(r"`([^`]+)`", cell)}
    assert all((ROOT / name).exists() for name in named), named
    tracked = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, timeout=30, check=True).stdout.split()
    folders = {path.split("/")[0] for path in tracked if "/" in path and not path.startswith(".")}
    assert folders <= named, f"folders the README's table leaves out: {sorted(folders - named)}"


def test_the_readme_links_every_page_of_the_site_s_first_level():
    nav_pages = set(re.findall(r"^  - [^:]+: ([\w/.-]+\.md)$", (ROOT / "mkdocs.yml").read_text(), re.M)) - {"index.md"}
    linked = set(re.findall(r"\]\(docs/([\w/.-]+\.md)", README))
    assert nav_pages <= linked, nav_pages - linked
