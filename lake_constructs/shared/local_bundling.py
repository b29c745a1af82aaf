"""Bundle a Python Lambda without Docker: pip installs Linux wheels for the target runtime."""
import hashlib
import json
import os
import shlex
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import jsii
from aws_cdk import BundlingOptions, ILocalBundling
from aws_cdk import aws_lambda as lambda_

# Wheel tags a Lambda (Amazon Linux 2023, glibc 2.34) can load. pip does not widen a --platform to
# older manylinux tags by itself, so each one is listed.
PLATFORMS = {
    "x86_64": ("manylinux2014_x86_64", "manylinux_2_28_x86_64", "manylinux_2_34_x86_64"),
    "arm64": ("manylinux2014_aarch64", "manylinux_2_28_aarch64", "manylinux_2_34_aarch64"),
}
LOCK = "requirements.txt"
# Installed wheels, one directory per lock and pip arguments, outside cdk.out (which `make synth`
# empties): a synth after the first needs no network. LAKE_BUNDLE_CACHE moves it.
DEFAULT_CACHE = Path(__file__).resolve().parents[2] / ".cache" / "lambda-bundles"


@jsii.implements(ILocalBundling)
class PipLocalBundling:
    """Bundles `source_dir/*.py` with the hashed lock `requirements.txt` installed as binary Linux wheels for `runtime`.

    Runs on the synth machine (any OS, any local Python): `--only-binary=:all:` with an explicit
    platform, implementation and Python version makes pip fetch the wheels Lambda loads instead
    of building for the host, so no Docker is needed; `--require-hashes` makes pip refuse any
    wheel whose hash the lock does not list. The installed wheels are cached under
    `.cache/lambda-bundles/<hash of lock and pip arguments>`, so only the first synth after a
    lock change reaches the package index. `try_bundle` always returns True, so the Docker
    command is never run; it exists because CDK hashes the bundling options into the asset hash.
    Use `bundling_options()` (not `local=` alone): then the pip arguments, and with them the
    runtime and architecture, change the asset hash.
    """

    def __init__(
        self,
        source_dir: str,
        runtime: lambda_.Runtime,
        architecture: lambda_.Architecture = lambda_.Architecture.X86_64,
        cache_dir: str | Path | None = None,
    ):
        self._source = Path(source_dir)
        self._runtime = runtime
        self._cache = Path(cache_dir or os.environ.get("LAKE_BUNDLE_CACHE") or DEFAULT_CACHE)
        self._pip = ["pip", "install", "--quiet", "--disable-pip-version-check", "--no-compile",
            "--only-binary=:all:", "--require-hashes", "--implementation", "cp",
            "--python-version", runtime.name.removeprefix("python"),
            *(arg for tag in PLATFORMS[architecture.name] for arg in ("--platform", tag)),
            "--requirement", LOCK]

    def bundling_options(self) -> BundlingOptions:
        script = f"{shlex.join(self._pip)} --target /asset-output && cp *.py /asset-output/"
        return BundlingOptions(image=self._runtime.bundling_image, command=["bash", "-c", script], local=self)

    def try_bundle(self, output_dir: str, options=None) -> bool:  # jsii passes options positionally
        if (self._source / LOCK).exists():
            # Hard links where the cache and cdk.out share a file system: the 16 MB of wheels then
            # cost no copy on each synth (nothing writes to a staged asset; the CLI only zips it).
            shutil.copytree(self.installed_wheels(), output_dir, dirs_exist_ok=True, copy_function=_link_or_copy)
        for path in self._source.glob("*.py"):
            shutil.copy2(path, Path(output_dir) / path.name)
        return True

    def cache_key(self) -> str:
        """Changes with the lock and with every pip argument (runtime, platforms)."""
        return hashlib.sha256(json.dumps([self._pip, (self._source / LOCK).read_text()]).encode()).hexdigest()[:16]

    def installed_wheels(self) -> Path:
        """The lock's wheels installed for the runtime, from the cache or (once) from the index."""
        cached = self._cache / self.cache_key()
        if not cached.is_dir():
            self._cache.mkdir(parents=True, exist_ok=True)
            print(f"Installing the wheels of {self._source / LOCK} for {self._runtime.name} (once per lock change)", file=sys.stderr)
            with tempfile.TemporaryDirectory(dir=self._cache) as staging:
                subprocess.run([sys.executable, "-m", *self._pip, "--target", staging], cwd=self._source, check=True)
                shutil.rmtree(Path(staging) / "bin", ignore_errors=True)
                try:
                    os.rename(staging, cached)  # atomic: a parallel synth finds all of it or none
                except OSError:
                    if not cached.is_dir():
                        raise
                os.makedirs(staging, exist_ok=True)  # for TemporaryDirectory's cleanup
        return cached


def _link_or_copy(source: str, target: str) -> None:
    try:
        os.link(source, target)
    except OSError:  # another file system, or one without hard links
        shutil.copy2(source, target)
