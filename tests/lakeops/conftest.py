"""Fixtures: a deployed dev stage in moto, the simulator, sample data and a CLI runner."""

import functools

import pytest
from botocore.loaders import create_loader
from click.testing import CliRunner
from moto import mock_aws
from moto.kms.utils import generate_private_key

from lakeops.cli import cli
from tests.lakeops.fakes import REGION, Simulator, deploy_stage


@pytest.fixture
def aws(monkeypatch, tmp_path):
    """Moto with fake credentials; no real profile or config file can leak into a test."""
    for name, value in {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
                        "AWS_DEFAULT_REGION": REGION, "AWS_CONFIG_FILE": str(tmp_path / "no-config"),
                        "AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "no-credentials")}.items():
        monkeypatch.setenv(name, value)
    for name in ("AWS_PROFILE", "AWS_REGION", "AWS_SESSION_TOKEN", "LAKEOPS_STAGE", "LAKEOPS_PROJECT"):
        monkeypatch.delenv(name, raising=False)
    # Moto gives every KMS key an RSA private key, even a symmetric one, which costs up to half
    # a second; the tests never sign, so one key pair serves them all.
    monkeypatch.setattr("moto.kms.models.generate_private_key", _shared_private_key)
    # Each CLI run makes a new boto3 session, which parses the service models again (~0.3 s);
    # sharing botocore's loader between sessions keeps the suite fast and changes nothing else.
    monkeypatch.setattr("botocore.session.create_loader", _shared_loader)
    with mock_aws():
        yield


_shared_loader = functools.cache(create_loader)


@functools.cache
def _shared_private_key(key_spec):
    return generate_private_key(key_spec)


@pytest.fixture
def deployed(aws):
    return deploy_stage()


@pytest.fixture
def sim(aws, monkeypatch):
    simulator = Simulator()
    simulator.install(monkeypatch)
    yield simulator
    simulator.uninstall()


@pytest.fixture
def sample_dir(tmp_path):
    """Two days of sales, like sample_data/ but tiny."""
    root = tmp_path / "sample_data"
    for dt, rows in (("2024-01-01", "o1,10.00\no2,2.50\n"), ("2024-01-02", "o3,7.25\n")):
        partition = root / "sales" / f"dt={dt}"
        partition.mkdir(parents=True)
        (partition / "sales.csv").write_text("order_id,amount\n" + rows)
    return root


@pytest.fixture
def run_cli():
    """Runs ``python -m lakeops --stage dev --poll-interval 0 ARGS`` in-process."""
    def run(*args, stage="dev", env=None):
        prefix = ["--stage", stage] if stage else []
        return CliRunner(env=env).invoke(cli, [*prefix, "--poll-interval", "0", *args])
    return run
