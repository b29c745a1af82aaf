"""PipLocalBundling: what it hashes and what it copies, without running pip."""
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
