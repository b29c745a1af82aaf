"""Rolling prod back: the workflow reads GitHub's list of `prod-assembly` artifacts (the REST API's
"List artifacts for a repository" response: id, name, expired, created_at, workflow_run with id,
head_branch, head_sha), picks the run whose assembly prod runs and the one before it, downloads
that artifact by run id and deploys it through the same guard."""
import json
import random

from scripts import deployed_run

SHAS = iter(f"{random.getrandbits(160):040x}" for _ in range(100))
IDS = iter(range(random.randrange(10**6), 10**7))


def artifact(run_id: int, day: int, sha: str, *, branch: str = "main", expired: bool = False, name: str = "prod-assembly") -> dict:
    return {"id": next(IDS), "name": name, "expired": expired, "created_at": f"2026-12-{day:02d}T10:00:00Z",
            "workflow_run": {"id": run_id, "head_branch": branch, "head_sha": sha}}


def history():
    a, b = next(SHAS), next(SHAS)
    return [
        artifact(100, 1, next(SHAS), expired=True),          # past the retention days
        artifact(101, 2, a),
        artifact(102, 3, next(SHAS), branch="feature"),      # never from a branch but main
        artifact(103, 4, b),                                 # prod runs b
        artifact(104, 5, next(SHAS), name="cloud-assembly"), # synthesized, never deployed to prod
    ], a, b


def run_of(found):
    return found and found["workflow_run"]["id"]


def test_prod_runs_the_newest_prod_assembly_and_rolls_back_to_the_one_before():
    artifacts, *_ = history()
    assert run_of(deployed_run.deployed(artifacts)) == 103
    assert run_of(deployed_run.previous(artifacts)) == 101


def test_a_second_rollback_goes_further_back_instead_of_returning_to_the_bad_commit():
    artifacts, a, b = history()
    artifacts.insert(1, artifact(99, 1, next(SHAS)))
    # Run 106 rolled back to 101's assembly; dispatched on main, it carries main's head (b).
    artifacts.append(artifact(106, 6, b))
    assert run_of(deployed_run.deployed(artifacts)) == 106
    assert run_of(deployed_run.previous(artifacts)) == 101, "the newest deploy of another commit than the one rolled back from"


def test_the_current_run_is_never_its_own_answer_and_nothing_deployed_is_nothing():
    artifacts, *_ = history()
    assert run_of(deployed_run.deployed(artifacts, exclude=103)) == 101
    assert deployed_run.previous([artifact(1, 1, next(SHAS))]) is None
    assert deployed_run.deployed([]) is None


def test_the_cli_prints_the_run_id_or_nothing(tmp_path, capsys):
    artifacts, *_ = history()
    path = tmp_path / "artifacts.json"
    path.write_text(json.dumps({"total_count": len(artifacts), "artifacts": artifacts}))
    assert deployed_run.main([str(path), "previous", "--exclude", "999"]) == 0
    assert capsys.readouterr().out == "101\n"
    path.write_text(json.dumps({"total_count": 0, "artifacts": []}))
    deployed_run.main([str(path), "deployed"])
    assert capsys.readouterr().out == ""
