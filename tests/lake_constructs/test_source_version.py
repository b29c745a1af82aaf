"""Version descriptions: the commit of a clean checkout, a marker for local changes, the file's
hash outside git; the same input always gives the same text."""
import hashlib
import subprocess

from lake_constructs.shared.source_version import source_version


def git(directory, *args):
    subprocess.run(["git", "-C", str(directory), "-c", "user.name=t", "-c", "user.email=t@example.com", *args], check=True, capture_output=True)


def test_a_clean_clone_names_its_commit_and_local_changes_are_marked(tmp_path):
    origin = tmp_path / "origin"
    (origin / "datasets").mkdir(parents=True)
    definition = origin / "datasets" / "dashboard.json"
    definition.write_text("{}\n")
    git(origin, "init", "-q")
    git(origin, "add", ".")
    git(origin, "commit", "-qm", "first")
    git(tmp_path, "clone", "-q", str(origin), "clone")
    commit = subprocess.run(["git", "-C", str(origin), "rev-parse", "HEAD"], capture_output=True, text=True, check=True).stdout.strip()
    cloned = tmp_path / "clone" / "datasets" / "dashboard.json"
    assert source_version(cloned) == source_version(cloned) == f"commit {commit[:12]}"
    cloned.write_text('{"Sheets": []}\n')
    assert source_version(cloned) == f"commit {commit[:12]} + local changes to dashboard.json"


def test_outside_git_the_files_hash_stands_in(tmp_path):
    definition = tmp_path / "dashboard.json"
    definition.write_text("{}\n")
    assert source_version(definition) == f"content sha256:{hashlib.sha256(b'{}' + bytes([10])).hexdigest()[:12]}"
