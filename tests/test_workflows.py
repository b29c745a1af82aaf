"""The GitHub workflows and shell scripts pass actionlint and ShellCheck (both pinned in
requirements-dev.txt), and the e2e workflow does what the README promises."""
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from lake_config.models import STAGE_NAME_PATTERN
from tests.helpers import CDK_CONTEXT, ROOT

BIN = Path(sys.executable).parent
WORKFLOWS = sorted((ROOT / ".github" / "workflows").glob("*.yml"))
SCRIPTS = [ROOT / ".ci" / "run", *sorted((ROOT / "scripts").glob("*.sh")), *sorted((ROOT / "tests").glob("*.sh"))]


def run(*command: str) -> subprocess.CompletedProcess:
    return subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=120)


def test_workflows_pass_actionlint_with_shellcheck_on_their_run_steps():
    assert {w.name for w in WORKFLOWS} >= {"ci.yml", "e2e.yml"}
    result = run(str(BIN / "actionlint"), "-shellcheck", str(BIN / "shellcheck"), *map(str, WORKFLOWS))
    assert result.returncode == 0, result.stdout + result.stderr


def test_shell_scripts_pass_shellcheck():
    result = run(str(BIN / "shellcheck"), *map(str, SCRIPTS))
    assert result.returncode == 0, result.stdout


def pytest_command(target: str) -> str:
    (line,) = [line for line in run("make", "--no-print-directory", "-n", target).stdout.splitlines() if " -m pytest " in line]
    return line


def test_the_full_suite_always_validates_templates_and_only_the_fast_loop_skips_it():
    """`make test` (CI's) runs the CDK's CloudFormation validation in every synth whatever the
    environment holds; `make test-fast` leaves it out, with cfn-lint, Spark and the notebook."""
    assert "; CDK_VALIDATION=true " in pytest_command("test")
    fast = pytest_command("test-fast")
    assert "; CDK_VALIDATION=false " in fast and '-m "not spark and not notebook and not cfn_lint"' in fast


def test_actionlint_is_live():
    broken = "on: push\njobs:\n  x:\n    runs-on: ubuntu-24.04\n    steps:\n      - run: echo ${{ github.nope }\n"
    result = subprocess.run([str(BIN / "actionlint"), "-"], input=broken, capture_output=True, text=True, timeout=60)
    assert result.returncode == 1


@pytest.fixture(scope="module")
def e2e() -> dict:
    return yaml.safe_load((ROOT / ".github" / "workflows" / "e2e.yml").read_text())


def test_e2e_runs_on_demand_and_on_a_labelled_pull_request_with_an_oidc_token(e2e):
    triggers = e2e[True]  # YAML 1.1 reads the key `on` as true
    assert "workflow_dispatch" in triggers and "labeled" in triggers["pull_request"]["types"]
    assert e2e["permissions"] == {"contents": "read", "id-token": "write"}
    (job,) = e2e["jobs"].values()
    assert "contains(github.event.pull_request.labels.*.name, 'e2e')" in job["if"]


def test_e2e_assumes_a_role_deploys_smoke_tests_uploads_the_report_and_always_destroys(e2e):
    (job,) = e2e["jobs"].values()
    steps = job["steps"]
    uses = [s.get("uses", "").split("@")[0] for s in steps]
    credentials = steps[uses.index("aws-actions/configure-aws-credentials")]["with"]
    assert credentials["role-to-assume"] == "${{ vars.E2E_ROLE_ARN }}" and "aws-access-key-id" not in credentials
    runs = [s.get("run", "") for s in steps]
    main = next(i for i, r in enumerate(runs) if r.startswith("make e2e "))
    again = next(i for i, r in enumerate(runs) if "scripts/e2e.sh --teardown" in r)
    upload = uses.index("actions/upload-artifact")
    assert main < again < upload and steps[again]["if"] == "always()" and steps[upload]["if"] == "always()"
    assert steps[upload]["with"]["path"] == "reports/e2e-${{ env.STAGE }}/"
    script = (ROOT / "scripts" / "e2e.sh").read_text()
    assert 'reports="reports/e2e-${stage}"' in script and "smoke-test 2>&1 | tee \"${reports}/smoke-test.txt\"" in script
    assert "trap 'teardown $?' EXIT" in script and "scripts/e2e_teardown.py" in script
    assert "bash scripts/e2e.sh $(STAGE)" in (ROOT / "Makefile").read_text(), "make e2e runs the same script"


@pytest.mark.parametrize("name", ["e2epr1", "e2epr99999", "e2er1", "e2er999999"])
def test_the_stage_names_the_workflow_makes_are_valid_ephemeral_stages(e2e, name):
    """`e2e...`, a prefix no shipped stage has, so the role's policy can name them (docs/e2e-role)."""
    (job,) = e2e["jobs"].values()
    assert "format('e2epr{0}', github.event.pull_request.number)" in job["env"]["STAGE"]
    assert "format('e2er{0}', github.run_number)" in job["env"]["STAGE"]
    assert re.fullmatch(STAGE_NAME_PATTERN, name)
    assert not [stage for stage in CDK_CONTEXT["stages"] if stage.startswith("e2e")]


USES = re.compile(r"^\s*(?:-\s+)?uses:\s*(?P<action>[^@\s]+)@(?P<ref>\S+)(?:\s+#\s*(?P<comment>.*))?$")


def test_every_action_is_pinned_by_full_commit_sha_with_its_version_in_a_comment():
    """A tag can be moved to other code; a commit SHA cannot (GitHub's "Security hardening for
    GitHub Actions": pinning an action to a full-length commit SHA is the only way to use it as
    an immutable release). The version comment is what Renovate's pinGitHubActionDigestsToSemver
    updates."""
    found = []
    for workflow in WORKFLOWS:
        for number, line in enumerate(workflow.read_text().splitlines(), 1):
            match = USES.match(line)
            if match is None:
                continue
            found.append(match["action"])
            where = f"{workflow.name}:{number}"
            assert re.fullmatch(r"[0-9a-f]{40}", match["ref"]), f"{where}: {match['action']} is not pinned by commit SHA"
            assert re.fullmatch(r"v\d+\.\d+\.\d+", match["comment"] or ""), f"{where}: no '# vX.Y.Z' version comment"
    assert found, "no workflow uses an action"


def test_the_dependency_canary_runs_weekly_and_on_demand_and_uploads_the_lock_diff():
    workflow = yaml.safe_load((ROOT / ".github" / "workflows" / "dependencies.yml").read_text())
    triggers = workflow[True]
    assert "workflow_dispatch" in triggers and triggers["schedule"][0]["cron"].split()[-1] != "*"
    steps = workflow["jobs"]["canary"]["steps"]
    runs = "\n".join(step.get("run", "") for step in steps)
    assert "make lock LOCK_FLAGS=--upgrade" in runs and "bash .ci/run" in runs
    uploads = [step["with"]["path"] for step in steps if step.get("uses", "").startswith("actions/upload-artifact@")]
    assert uploads == ["lock.diff"]
    assert "make audit" in "\n".join(step.get("run", "") for step in workflow["jobs"]["audit"]["steps"])


def test_renovate_updates_the_python_locks_npm_and_the_actions():
    import json

    config = json.loads((ROOT / "renovate.json").read_text())
    pattern = re.compile(config["pip-compile"]["managerFilePatterns"][0].strip("/"))
    assert pattern.search("requirements.txt") and pattern.search("requirements-dev.txt")
    assert "helpers:pinGitHubActionDigestsToSemver" in config["extends"]
    # config:recommended enables the npm and github-actions managers; none is switched off here.
    disabled = {name for name, value in config.items() if isinstance(value, dict) and value.get("enabled") is False}
    assert not disabled & {"npm", "github-actions", "pip-compile"}
