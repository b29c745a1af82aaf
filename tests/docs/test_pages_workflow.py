"""The Pages workflow builds the site strict (`make docs`) on pull requests and publishes it from
main only (tests/test_workflows.py runs actionlint over it and checks that its actions are pinned
by SHA)."""
import re

import yaml

from tests.helpers import ROOT

WORKFLOW = ROOT / ".github" / "workflows" / "docs.yml"


def test_it_builds_strict_and_deploys_from_main_only():
    workflow = yaml.safe_load(WORKFLOW.read_text())
    build, deploy = workflow["jobs"]["build"], workflow["jobs"]["deploy"]
    runs = [step.get("run", "") for step in build["steps"]]
    assert "make docs" in runs
    docs = re.search(r"^docs:.*\n((?:\t.*\n)+)", (ROOT / "Makefile").read_text(), re.M).group(1)
    assert "mkdocs build --strict" in docs and "scripts/docs_pages.py --check" in docs
    # The site renders pages from the configuration, the datasets and the stacks' plans.
    paths = workflow[True]["pull_request"]["paths"]
    assert {"cdk.json", "datasets/**", "stacks/**", "lake_config/**", "lake_constructs/**"} <= set(paths)
    assert workflow["permissions"] == {"contents": "read"}
    assert deploy["permissions"] == {"pages": "write", "id-token": "write"} and deploy["needs"] == "build"
    assert "refs/heads/main" in deploy["if"] and "pull_request" in deploy["if"]
    assert workflow[True]["push"]["branches"] == ["main"]  # YAML 1.1 reads `on` as true
