"""PipLocalBundling: what it hashes, what it copies, the hashed lock, and bundling from the cache offline."""
import os
import re
import subprocess
from pathlib import Path

import aws_cdk as cdk
import pytest
from aws_cdk import aws_lambda as lambda_

from lake_constructs.processing.emr_tls_certificate import SRC
from lake_constructs.shared.local_bundling import PipLocalBundling

X86, ARM = lambda_.Architecture.X86_64, lambda_.Architecture.ARM_64


def command(runtime, architecture=X86) -> list[str]:
    return PipLocalBundling(SRC, runtime, architecture).bundling_options().command


def test_options_name_the_runtime_image_and_its_wheels():
    bundling = PipLocalBundling(SRC, lambda_.Runtime.PYTHON_3_14)
    options = bundling.bundling_options()
    assert options.image.image == lambda_.Runtime.PYTHON_3_14.bundling_image.image
    assert options.local is bundling
    script = options.command[-1]
    for arg in ("--only-binary=:all:", "--python-version 3.14", "--platform manylinux2014_x86_64", "--platform manylinux_2_34_x86_64"):
        assert arg in script


def test_runtime_and_architecture_change_the_command():
    commands = {
        str(command(lambda_.Runtime.PYTHON_3_14)),
        str(command(lambda_.Runtime.PYTHON_3_13)),
        str(command(lambda_.Runtime.PYTHON_3_14, ARM)),
    }
    assert len(commands) == 3
    assert command(lambda_.Runtime.PYTHON_3_14) == command(lambda_.Runtime.PYTHON_3_14)


def test_runtime_and_architecture_change_the_asset_hash():
    # No stack is bundled: the hash comes from the source and the bundling options alone.
    app = cdk.App(context={"aws:cdk:bundling-stacks": []})

    def asset_key(name, runtime, architecture=X86):
        code = lambda_.Code.from_asset(SRC, bundling=PipLocalBundling(SRC, runtime, architecture).bundling_options())
        return code.bind(cdk.Stack(app, name)).s3_location.object_key

    keys = [
        asset_key("A", lambda_.Runtime.PYTHON_3_14),
        asset_key("B", lambda_.Runtime.PYTHON_3_13),
        asset_key("C", lambda_.Runtime.PYTHON_3_14, ARM),
        asset_key("D", lambda_.Runtime.PYTHON_3_14),
    ]
    assert len(set(keys[:3])) == 3 and keys[0] == keys[3]


def test_try_bundle_copies_the_modules_and_skips_pip_without_requirements(tmp_path):
    source, output = tmp_path / "src", tmp_path / "out"
    source.mkdir(), output.mkdir()
    (source / "handler.py").write_text("def handler(event, context):\n    return None\n")
    (source / "README.md").write_text("not code")
    assert PipLocalBundling(str(source), lambda_.Runtime.PYTHON_3_14).try_bundle(str(output)) is True
    assert sorted(p.name for p in output.iterdir()) == ["handler.py"]


@pytest.mark.parametrize("architecture", [X86, ARM])
def test_every_platform_tag_matches_the_architecture(architecture):
    script = command(lambda_.Runtime.PYTHON_3_14, architecture)[-1]
    suffix = "x86_64" if architecture is X86 else "aarch64"
    tags = [word for previous, word in zip(script.split(), script.split()[1:]) if previous == "--platform"]
    assert tags and all(tag.endswith(suffix) for tag in tags)


LOCK = Path(SRC) / "requirements.txt"
# The index made unreachable: a closed local port, no config file, no local wheel directories.
OFFLINE = {"PIP_INDEX_URL": "http://127.0.0.1:9/simple", "PIP_EXTRA_INDEX_URL": "", "PIP_FIND_LINKS": "",
           "PIP_CONFIG_FILE": os.devnull, "PIP_RETRIES": "0", "PIP_TIMEOUT": "2"}


def test_the_lock_pins_every_wheel_with_hashes_and_pip_requires_them():
    requirements = [line for line in LOCK.read_text().splitlines() if re.match(r"^[a-z]", line)]
    assert {r.split("==")[0] for r in requirements} == {"cryptography", "cffi", "pycparser"}
    for block in re.split(r"\n(?=[a-z])", LOCK.read_text().split("\n", 6)[-1]):
        assert re.match(r"^[a-z][\w-]*==[\w.]+ \\\n", block) and "--hash=sha256:" in block, block[:80]
    assert "--require-hashes" in command(lambda_.Runtime.PYTHON_3_14)[-1]


def test_a_synth_after_the_first_needs_no_package_index(tmp_path, monkeypatch):
    """The first bundling fills the cache (as the session's synths did); with the index unreachable
    the next one copies from it, and without the cache it fails, which shows the index is really cut."""
    bundling = PipLocalBundling(SRC, lambda_.Runtime.PYTHON_3_14)
    warm = bundling.installed_wheels()
    assert (warm / "cryptography").is_dir()
    for name, value in OFFLINE.items():
        monkeypatch.setenv(name, value)
    output = tmp_path / "out"
    output.mkdir()
    assert bundling.try_bundle(str(output)) is True
    assert (output / "handler.py").is_file() and (output / "cryptography").is_dir()
    with pytest.raises(subprocess.CalledProcessError):
        PipLocalBundling(SRC, lambda_.Runtime.PYTHON_3_14, cache_dir=tmp_path / "cold").installed_wheels()


def test_the_cache_is_keyed_by_the_lock_and_the_pip_arguments(tmp_path):
    source = tmp_path / "src"
    source.mkdir()
    (source / "requirements.txt").write_text("cffi==2.1.1 --hash=sha256:00\n")
    first = PipLocalBundling(str(source), lambda_.Runtime.PYTHON_3_14).cache_key()
    assert PipLocalBundling(str(source), lambda_.Runtime.PYTHON_3_14).cache_key() == first
    assert PipLocalBundling(str(source), lambda_.Runtime.PYTHON_3_13).cache_key() != first
    assert PipLocalBundling(str(source), lambda_.Runtime.PYTHON_3_14, ARM).cache_key() != first
    (source / "requirements.txt").write_text("cffi==2.1.2 --hash=sha256:01\n")
    assert PipLocalBundling(str(source), lambda_.Runtime.PYTHON_3_14).cache_key() != first


def cached_bundling(tmp_path) -> tuple[PipLocalBundling, Path]:
    """A bundling whose cache already holds its lock's wheels (one module), so pip never runs."""
    source = tmp_path / "src"
    source.mkdir()
    (source / "requirements.txt").write_text("cffi==2.1.1 --hash=sha256:00\n")
    (source / "handler.py").write_text("def handler(event, context):\n    return None\n")
    bundling = PipLocalBundling(str(source), lambda_.Runtime.PYTHON_3_14, cache_dir=tmp_path / "cache")
    wheel = tmp_path / "cache" / bundling.cache_key() / "cffi" / "__init__.py"
    wheel.parent.mkdir(parents=True)
    wheel.write_text("VERSION = '2.1.1'\n")
    return bundling, wheel


def test_the_cached_wheels_are_linked_not_copied(tmp_path):
    bundling, wheel = cached_bundling(tmp_path)
    output = tmp_path / "out"
    output.mkdir()
    assert bundling.try_bundle(str(output)) is True
    staged = output / "cffi" / "__init__.py"
    assert staged.read_text() == wheel.read_text() and (output / "handler.py").is_file()
    assert os.stat(staged).st_ino == os.stat(wheel).st_ino, "on one file system the staged wheel is the cached file"


def test_without_hard_links_the_wheels_are_copied(tmp_path, monkeypatch):
    bundling, wheel = cached_bundling(tmp_path)
    output = tmp_path / "out"
    output.mkdir()

    def cross_device(source, target):
        raise OSError(18, "Invalid cross-device link")

    monkeypatch.setattr(os, "link", cross_device)
    assert bundling.try_bundle(str(output)) is True
    staged = output / "cffi" / "__init__.py"
    assert staged.read_text() == wheel.read_text() and os.stat(staged).st_ino != os.stat(wheel).st_ino
