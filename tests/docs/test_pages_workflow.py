"""The Pages workflow builds the site strict on pull requests and publishes it from main only
(tests/test_workflows.py runs actionlint over it and checks that its actions are pinned by SHA)."""
import yaml

from tests.helpers import ROOT

WORKFLOW = ROOT / ".github" / "workflows" / "docs.yml"


def test_it_builds_strict_and_deploys_from_main_only():
    workflow = yaml.safe_load(WORKFLOW.read_text())
    build, deploy = workflow["jobs"]["build"], workflow["jobs"]["deploy"]
    runs = " ".join(step.get("run", "") for step in build["steps"])
    assert "mkdocs build --strict" in runs and "scripts/docs_pages.py --check" in runs
    assert workflow["permissions"] == {"contents": "read"}
    assert deploy["permissions"] == {"pages": "write", "id-token": "write"} and deploy["needs"] == "build"
    assert "refs/heads/main" in deploy["if"] and "pull_request" in deploy["if"]
    assert workflow[True]["push"]["branches"] == ["main"]  # YAML 1.1 reads `on` as true
