"""The Pages workflow builds the site strict on pull requests and publishes it from main only,
with every action pinned by full commit SHA and its release named in a comment (actionlint runs
over it in tests/test_workflows.py)."""
import re

import yaml

from tests.helpers import ROOT

WORKFLOW = ROOT / ".github" / "workflows" / "docs.yml"


def test_every_action_is_pinned_by_full_sha_with_its_version():
    uses = re.findall(r"^\s*(?:- )?uses: (\S+)(.*)$", WORKFLOW.read_text(), re.M)
    assert len(uses) >= 4
    for action, comment in uses:
        assert re.fullmatch(r"[\w-]+/[\w-]+@[0-9a-f]{40}", action), action
        assert re.fullmatch(r" # v\d+(\.\d+)*", comment), f"{action}: no version comment"


def test_it_builds_strict_and_deploys_from_main_only():
    workflow = yaml.safe_load(WORKFLOW.read_text())
    build, deploy = workflow["jobs"]["build"], workflow["jobs"]["deploy"]
    runs = " ".join(step.get("run", "") for step in build["steps"])
    assert "mkdocs build --strict" in runs and "scripts/docs_pages.py --check" in runs
    assert workflow["permissions"] == {"contents": "read"}
    assert deploy["permissions"] == {"pages": "write", "id-token": "write"} and deploy["needs"] == "build"
    assert "refs/heads/main" in deploy["if"] and "pull_request" in deploy["if"]
    assert workflow[True]["push"]["branches"] == ["main"]  # YAML 1.1 reads `on` as true
