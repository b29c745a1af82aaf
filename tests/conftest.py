"""Synthesizes each stage once per test session, exactly as `cdk synth` does (same context,
same compliance packs), and hands the templates and the nag report to the tests.

The CDK app and moto load where tests run (the workers of a `-n` run), not in xdist's
controller, which only schedules: importing them there took a second and a half of CPU from
the workers while they collected."""
from __future__ import annotations

import functools
import json
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from lake_config import load_settings
from lake_config.datasets import DATASETS_DIR
from tests.helpers import CDK_CONTEXT, FORK_DATASETS, stage_context, fork_context

if TYPE_CHECKING:
    import aws_cdk as cdk
    from aws_cdk import assertions, cx_api

    from lake_config import LakeSettings

# tests/suite_plugin.py: what the run needs beyond plain pytest (the supported Node for jsii, shared
# botocore and moto set-up, the xdist scheduler, the collector's settings), each explained with
# its figures in docs/development.md. The Spark fixtures (one SparkSession, the shipped samples
# curated once) serve tests/spark_jobs and tests/notebooks: a plugin, so both share one instance.
pytest_plugins = ("tests.suite_plugin", "tests.spark_jobs.local_lake")


def pytest_collection_modifyitems(config, items):
    """Marks the tests that start or share the SparkSession (`make test-fast` leaves them out),
    before -m selects."""
    for item in items:
        if "spark" in item.fixturenames:
            item.add_marker(pytest.mark.spark)


@dataclass
class Synth:
    """One synthesized stage: its app, stacks, templates and compliance results."""

    stage: str
    settings: LakeSettings
    app: cdk.App
    stacks: dict
    assembly: cx_api.CloudAssembly
    validation_error: str | None
    validation_report: dict | None
    _templates: dict = field(default_factory=dict)
    _template_json: dict = field(default_factory=dict)

    def template(self, stack: str) -> assertions.Template:
        """`stack` is the short name: storage, catalog, analytics, ..."""
        if stack not in self._templates:
            from aws_cdk import assertions

            self._templates[stack] = assertions.Template.from_json(self.template_json(stack))
        return self._templates[stack]

    def template_json(self, stack: str) -> dict:
        """The template as a dict, read once per stack (through jsii it crosses to Node and back
        as JSON on every call); treat it as read-only, it is shared by every test of the stage."""
        if stack not in self._template_json:
            artifact = self.assembly.get_stack_by_name(self.stacks[stack].stack_name)
            self._template_json[stack] = json.loads(Path(artifact.template_full_path).read_text())
        return self._template_json[stack]

    def emr_cluster_properties(self, stack: str = "emr") -> dict:
        """The EMR cluster of `stack` as CloudFormation properties: the template's
        AWS::EMR::Cluster in long_running mode; in transient mode (no such resource: the pipeline
        creates the cluster) its definition rendered the same way, which a test shows is the
        request the pipeline sends."""
        template = self.template_json(stack)
        found = [r["Properties"] for r in template["Resources"].values() if r["Type"] == "AWS::EMR::Cluster"]
        if found:
            (properties,) = found
            return properties
        from lake_constructs.processing.cluster_definition import cloudformation_properties

        owner = self.stacks[stack]
        return owner.resolve(cloudformation_properties(owner.cluster.request, kdc_admin_password=None))

    @functools.cached_property
    def acknowledgments(self):
        from compliance import acknowledgments

        return acknowledgments(self.assembly.directory)

    @functools.cached_property
    def findings(self) -> list:
        """Unacknowledged findings, errors and warnings, as `make synth` counts them."""
        from compliance import unacknowledged_findings

        return unacknowledged_findings(self.assembly.directory)


def synthesize(stage: str, outdir: Path, context: dict | None = None, base_stage: str | None = None, *,
               linted: bool = False, **overrides) -> Synth:
    """Builds and synthesizes `stage` from cdk.json (or from `context`), with per-stage setting
    overrides; with `base_stage`, `stage` is an ephemeral stage derived from it (the overrides
    apply to the base).

    `linted=True` for a synth whose templates a test runs cfn-lint over: cfn-lint checks each
    resource against the same CloudFormation schemas as the CDK's built-in validation and more,
    so that synth skips the built-in one (two thirds of a synth's time). Every other synth runs
    it, unless CDK_VALIDATION=false (`make test-fast`) switches it off for all."""
    import aws_cdk as cdk
    from aws_cdk import cx_api

    from compliance import add_compliance_packs
    from stacks.stage import build_stacks

    context = context or stage_context(base_stage or stage, replace=True, **overrides)
    if base_stage:
        context |= {"stage": stage, "base_stage": base_stage}
    app = cdk.App(context=context, outdir=str(outdir), builtin_cloud_formation_validation=not linted)
    settings = load_settings(context)
    stacks = build_stacks(app, settings)
    add_compliance_packs(app)
    error = None
    try:
        app.synth()
    except RuntimeError as exc:  # cdk-nag findings fail synth; the templates are still written
        error = str(exc)
    report_file = outdir / "validation-report.json"
    report = json.loads(report_file.read_text()) if report_file.exists() else None
    return Synth(stage, settings, app, stacks, cx_api.CloudAssembly(str(outdir)), error, report)


@pytest.fixture(scope="session")
def dev(tmp_path_factory) -> Synth:
    return synthesize("dev", tmp_path_factory.mktemp("cdk-dev"), linted=True)  # tests/compliance/test_nag_gate.py


@pytest.fixture(scope="session")
def prod(tmp_path_factory) -> Synth:
    return synthesize("prod", tmp_path_factory.mktemp("cdk-prod"), linted=True)  # tests/compliance/test_nag_gate.py


# The private CA's zip an ephemeral stage's base may use instead of the generated certificate.
PRIVATE_CA_ZIP = "s3://my-pki-artifacts/emr/datalake.zip"


@pytest.fixture(scope="session")
def ephemeral(tmp_path_factory) -> Synth:
    """`-c stage=pr42 -c base_stage=prod`, prod's cluster taking a private CA's zip: one synth for both variants."""
    emr = {**CDK_CONTEXT["stages"]["prod"]["emr"], "tls_certificate_s3_uri": PRIVATE_CA_ZIP}
    return synthesize("pr42", tmp_path_factory.mktemp("cdk-pr42"), base_stage="prod", emr=emr)


@pytest.fixture(scope="session")
def studio_stage(dev, tmp_path_factory) -> Synth:
    """A stage with EMR Studio on, for the Studio and interactive-cluster tests: dev, which ships
    with it, else dev synthesized with it switched on, so a fork that turns Studio off still
    tests the stacks it may turn on again."""
    if dev.settings.studio.enabled:
        return dev
    studio = {**CDK_CONTEXT["stages"]["dev"].get("studio", {}), "enabled": True}
    return synthesize("dev", tmp_path_factory.mktemp("cdk-dev-studio"), studio=studio)


@pytest.fixture(scope="session", params=["dev", "prod"])
def stage(request) -> Synth:
    """Runs a test against both stages."""
    return request.getfixturevalue(request.param)


@pytest.fixture(scope="session")
def fork_datasets(tmp_path_factory) -> Path:
    """The fork's datasets folder: the shipped datasets and the fork's own (tests/fixtures)."""
    datasets_dir = tmp_path_factory.mktemp("datasets")
    for name in CDK_CONTEXT["datasets"]:
        shutil.copytree(DATASETS_DIR / name, datasets_dir / name)
    for own in FORK_DATASETS:
        if not (datasets_dir / own.name).exists():  # a fork of this repository may ship it already
            shutil.copytree(own, datasets_dir / own.name)
    return datasets_dir


@pytest.fixture(scope="session")
def fork(fork_datasets, tmp_path_factory) -> Synth:
    """A fork, synthesized once: another project name, a new stage (prod's settings with some
    values changed) and datasets that only contracts in its own datasets folder declare."""
    context = fork_context(fork_datasets)
    return synthesize(context["stage"], tmp_path_factory.mktemp("cdk-fork"), context=context)


@pytest.fixture(scope="session")
def fork_lean(fork_datasets, tmp_path_factory) -> Synth:
    """The same fork's stage with components switched off: dev's settings without EMR Studio and
    QuickSight (the dashboards it declares are still checked)."""
    context = fork_context(fork_datasets) | {"stage": "lean"}
    return synthesize("lean", tmp_path_factory.mktemp("cdk-fork-lean"), context=context)


@pytest.fixture(scope="session", params=["dev", "prod", "fork", "fork_lean"])
def lake(request) -> Synth:
    """Runs a test against both shipped stages and the fork's two: for assertions that derive
    every name and dataset from the settings."""
    return request.getfixturevalue(request.param)
