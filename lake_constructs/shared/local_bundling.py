"""Bundle a Python Lambda without Docker: pip installs Linux wheels for the target runtime."""
import shlex, shutil, subprocess, sys
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

@jsii.implements(ILocalBundling)
class PipLocalBundling:
    """Bundles `source_dir/*.py` with `requirements.txt` installed as binary Linux wheels for `runtime`.

    Runs on the synth machine (any OS, any local Python): `--only-binary=:all:` with an explicit
    platform, implementation and Python version makes pip fetch the wheels Lambda loads instead
    of building for the host, so no Docker is needed. `try_bundle` always returns True, so the
    Docker command is never run; it exists because CDK hashes the bundling options into the
    asset hash. Use `bundling_options()` (not `local=` alone): then the pip arguments, and with
    them the runtime and architecture, change the asset hash.
    """
    def __init__(self, source_dir: str, runtime: lambda_.Runtime, architecture: lambda_.Architecture = lambda_.Architecture.X86_64):
        self._source = Path(source_dir)
        self._runtime = runtime
        self._pip = ["pip", "install", "--quiet", "--disable-pip-version-check", "--no-compile",
            "--only-binary=:all:", "--implementation", "cp",
            "--python-version", runtime.name.removeprefix("python"),
            *(arg for tag in PLATFORMS[architecture.name] for arg in ("--platform", tag)),
            "--requirement", "requirements.txt"]
    def bundling_options(self) -> BundlingOptions:
        script = f"{shlex.join(self._pip)} --target /asset-output && cp *.py /asset-output/"
        return BundlingOptions(image=self._runtime.bundling_image, command=["bash", "-c", script], local=self)
    def try_bundle(self, output_dir: str, options=None) -> bool:  # jsii passes options positionally
        if (self._source / "requirements.txt").exists():
            subprocess.run([sys.executable, "-m", *self._pip, "--target", output_dir], cwd=self._source, check=True)
            shutil.rmtree(Path(output_dir) / "bin", ignore_errors=True)
        for path in self._source.glob("*.py"):
            shutil.copy2(path, Path(output_dir) / path.name)
        return True
