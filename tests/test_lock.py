"""The Python environments are the locks: every distribution pinned with its hashes, and the
environment the tests run in holds exactly what requirements-dev.txt names, at the same versions.

A floating transitive dependency is what broke fresh clones before (boto3 1.44.5 allowed any
botocore 1.44.x, and botocore 1.44.18 moved Athena to a protocol moto 5.2.5 cannot serve); this
test fails on such a drift here instead of in a fork's CI a month later."""
from __future__ import annotations

import re
import sys
from importlib import metadata
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parents[1]
RUNTIME_LOCK = ROOT / "requirements.txt"
DEV_LOCK = ROOT / "requirements-dev.txt"


def read_lock(path: Path, *, here: bool = False) -> dict[str, tuple[Requirement, list[str]]]:
    """Name -> (requirement, hashes) of a lock written by `uv pip compile --generate-hashes`.

    A universal lock may pin one name twice under exclusive markers (a version per Python
    release); with `here`, only the entries whose marker applies to this interpreter count."""
    text = re.sub(r"\\\n", " ", path.read_text())
    entries = {}
    for line in text.splitlines():
        line = line.split(" #", 1)[0].strip()
        if not line or line.startswith("#"):
            continue
        spec, *options = re.split(r"\s+(?=--)", line)
        requirement = Requirement(spec)
        if here and not applies_here(requirement):
            continue
        hashes = [option.split("=", 1)[1] for option in options if option.startswith("--hash=")]
        entries[canonicalize_name(requirement.name)] = (requirement, hashes)
    return entries


def pinned_version(requirement: Requirement) -> str | None:
    specifiers = list(requirement.specifier)
    if len(specifiers) == 1 and specifiers[0].operator == "==":
        return specifiers[0].version
    return None


def applies_here(requirement: Requirement) -> bool:
    return requirement.marker is None or requirement.marker.evaluate()


def installed_distributions() -> dict[str, str]:
    """Every distribution of the interpreter running the tests (the virtualenv), name -> version."""
    found = {}
    for distribution in metadata.distributions(path=[p for p in sys.path if "site-packages" in p]):
        found[canonicalize_name(distribution.metadata["Name"])] = distribution.version
    return found


@pytest.mark.parametrize("lock", [RUNTIME_LOCK, DEV_LOCK], ids=lambda p: p.name)
def test_every_locked_distribution_is_pinned_with_hashes(lock):
    entries = read_lock(lock)
    assert entries, f"{lock.name} names no distribution"
    unpinned = sorted(name for name, (req, _) in entries.items() if pinned_version(req) is None)
    unhashed = sorted(name for name, (_, hashes) in entries.items() if not hashes)
    assert not unpinned, f"{lock.name}: not pinned with ==: {unpinned}"
    assert not unhashed, f"{lock.name}: no --hash: {unhashed}"


def test_the_runtime_lock_agrees_with_the_development_lock():
    """requirements-dev.in is constrained by requirements.txt (-c), so the CDK app runs on the same
    versions in `make synth` as in `make test`."""
    runtime, dev = read_lock(RUNTIME_LOCK, here=True), read_lock(DEV_LOCK, here=True)
    differing = {
        name: (pinned_version(req), pinned_version(dev[name][0]) if name in dev else None)
        for name, (req, _) in runtime.items()
        if name not in dev or pinned_version(dev[name][0]) != pinned_version(req)
    }
    assert not differing, f"runtime lock vs development lock (run `make lock`): {differing}"


@pytest.mark.parametrize("source, lock", [("requirements.in", RUNTIME_LOCK), ("requirements-dev.in", DEV_LOCK)])
def test_the_lock_holds_the_direct_pins_of_its_source(source, lock):
    """A direct dependency changed in a .in file without `make lock` is caught here."""
    entries = read_lock(lock, here=True)
    stale = {}
    for line in (ROOT / source).read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if not line or line.startswith("-"):
            continue
        requirement = Requirement(line)
        name = canonicalize_name(requirement.name)
        locked = pinned_version(entries[name][0]) if name in entries else None
        if locked is None or not requirement.specifier.contains(locked, prereleases=True):
            stale[name] = (str(requirement.specifier), locked)
    assert not stale, f"{source} and {lock.name} disagree (run `make lock`): {stale}"


def test_the_environment_is_the_lock():
    """Every distribution installed where the tests run is in requirements-dev.txt at the locked
    version, and every locked distribution that applies to this platform is installed."""
    locked = {name: pinned_version(req) for name, (req, _) in read_lock(DEV_LOCK, here=True).items()}
    installed = installed_distributions()
    not_locked = {name: version for name, version in installed.items() if name not in locked}
    other_version = {
        name: (version, locked[name])
        for name, version in installed.items()
        if name in locked and locked[name] != version
    }
    missing = sorted(set(locked) - set(installed))
    assert not not_locked, f"installed but not in {DEV_LOCK.name}: {not_locked}"
    assert not other_version, f"installed version differs from {DEV_LOCK.name} (installed, locked): {other_version}"
    assert not missing, f"in {DEV_LOCK.name} but not installed: {missing}"


def test_a_file_two_distributions_install_holds_the_dependent_distributions_copy():
    """aws-cdk-lib ships its own aws_cdk/cloud_assembly_schema module over the file of the
    aws-cdk.cloud-assembly-schema distribution it depends on. pip installs dependencies before
    dependents, so aws-cdk-lib's copy wins; installed without that order (`pip install --no-deps`
    from a lock sorted by name) the older copy won and every CloudAssembly load failed with jsii's
    "Wired struct has type ... which does not match expected type"."""
    import base64
    import hashlib

    owners: dict[str, list[tuple[metadata.Distribution, str]]] = {}
    for distribution in metadata.distributions(path=[p for p in sys.path if "site-packages" in p]):
        for file in distribution.files or []:
            if file.hash is not None and file.suffix == ".py":
                owners.setdefault(str(file), []).append((distribution, file.hash.value))
    shared = {path: claims for path, claims in owners.items() if len(claims) > 1}
    wrong = []
    for path, claims in shared.items():
        names = {canonicalize_name(d.metadata["Name"]) for d, _ in claims}
        dependents = [
            (d, digest) for d, digest in claims
            if names - {canonicalize_name(d.metadata["Name"])}
            <= {canonicalize_name(Requirement(r).name) for r in (d.requires or [])}
        ]
        assert len(dependents) == 1, f"{path} is installed by {sorted(names)}, none of which depends on the others"
        distribution, digest = dependents[0]
        on_disk = base64.urlsafe_b64encode(hashlib.sha256(distribution.locate_file(path).read_bytes()).digest())
        if on_disk.rstrip(b"=").decode() != digest:
            wrong.append(f"{path}: not {distribution.metadata['Name']}'s copy")
    assert not wrong, wrong
