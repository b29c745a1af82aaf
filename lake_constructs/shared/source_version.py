"""Which version of the repository a synthesized resource came from, for version descriptions."""
import hashlib
import subprocess
from pathlib import Path

GIT_TIMEOUT_SECONDS = 10


def source_version(path: Path) -> str:
    """`commit <12 hex digits>` of the checkout's HEAD, with ` + local changes to <file>` when
    `path` differs from HEAD; outside a git checkout (a tarball, git missing),
    `content sha256:<12 hex digits>` of `path`. The same commit (and file) always gives the
    same text, so two synths of one commit produce the same template."""
    repository = path.parent
    try:
        commit = _git(repository, "rev-parse", "HEAD")
        changed = _git(repository, "status", "--porcelain", "--", path.name)
    except (OSError, subprocess.SubprocessError):
        return f"content sha256:{hashlib.sha256(path.read_bytes()).hexdigest()[:12]}"
    return f"commit {commit[:12]}" + (f" + local changes to {path.name}" if changed else "")


def _git(directory: Path, *args: str) -> str:
    result = subprocess.run(
        ["git", "-C", str(directory), *args], capture_output=True, text=True, timeout=GIT_TIMEOUT_SECONDS, check=True
    )
    return result.stdout.strip()
