"""Rolling prod back: the workflow picks the run whose cloud-assembly artifact prod runs and the
one before it from `gh run list` (fields as GitHub's CLI prints them with --json), downloads that
artifact by run id and deploys it through the same guard."""
import json
import random

from scripts import deployed_run

SHAS = iter(f"{random.getrandbits(160):040x}" for _ in range(100))


def run(run_id: int, day: int, sha: str, *, conclusion: str = "success", event: str = "push") -> dict:
    return {"databaseId": run_id, "event": event, "conclusion": conclusion, "headSha": sha, "createdAt": f"2026-12-{day:02d}T10:00:00Z"}


def history():
    a, b, c = next(SHAS), next(SHAS), next(SHAS)
    runs = [
        run(101, 1, a),
        run(102, 2, a, event="pull_request"),       # a pull request's run never deploys
        run(103, 3, b),                              # prod runs b
        run(104, 4, c, conclusion="failure"),        # c stopped (guard, reviewer, smoke test)
        run(105, 5, c, conclusion="cancelled"),
    ]
    return runs, a, b, c


def ids(found):
    return found and found["databaseId"]


def test_prod_runs_the_newest_successful_deploy_and_rolls_back_to_the_one_before():
    runs, *_ = history()
    assert ids(deployed_run.deployed(runs)) == 103
    assert ids(deployed_run.previous(runs)) == 101


def test_a_second_rollback_goes_further_back_instead_of_returning_to_the_bad_commit():
    runs, a, b, _ = history()
    older = next(SHAS)
    runs = [run(100, 1, older), *runs[:1], run(99, 1, older), *runs[1:]]
    # Run 106 rolled back to 101's assembly; dispatched on main, it carries main's head (b).
    runs.append(run(106, 6, b, event="workflow_dispatch"))
    assert ids(deployed_run.deployed(runs)) == 106
    assert ids(deployed_run.previous(runs)) == 101, "the newest run of another commit than the one rolled back from"


def test_the_current_run_is_never_its_own_answer():
    runs, *_ = history()
    assert ids(deployed_run.deployed(runs, exclude=103)) == 101
    assert deployed_run.previous([run(1, 1, next(SHAS))]) is None
    assert deployed_run.deployed([]) is None


def test_the_cli_prints_the_run_id_or_nothing(tmp_path, capsys):
    runs, *_ = history()
    path = tmp_path / "runs.json"
    path.write_text(json.dumps(runs))
    assert deployed_run.main([str(path), "previous", "--exclude", "999"]) == 0
    assert capsys.readouterr().out == "101\n"
    path.write_text("[]")
    deployed_run.main([str(path), "deployed"])
    assert capsys.readouterr().out == ""
