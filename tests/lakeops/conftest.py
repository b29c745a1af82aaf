"""Fixtures: a deployed dev stage in moto, the simulator, sample data and a CLI runner."""

import itertools
import json
import shutil
import time
import types

import pytest
from click.testing import CliRunner
from moto import mock_aws

from lakeops.cli import cli
from tests.lakeops.fakes import REGION, SETTINGS, STAGE, Simulator, deploy_stage


@pytest.fixture
def aws(monkeypatch, tmp_path):
    """Moto with fake credentials; no real profile or config file can leak into a test."""
    for name, value in {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
                        "AWS_DEFAULT_REGION": REGION, "AWS_CONFIG_FILE": str(tmp_path / "no-config"),
                        "AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "no-credentials")}.items():
        monkeypatch.setenv(name, value)
    for name in ("AWS_PROFILE", "AWS_REGION", "AWS_SESSION_TOKEN", "LAKEOPS_STAGE", "LAKEOPS_PROJECT"):
        monkeypatch.delenv(name, raising=False)
    with mock_aws():
        yield


# The CLI runs here with --poll-interval 0: a fake that never reaches an end state (a step or a
# query nobody planned) would make it spin until its --timeout, 30 minutes by default. Every wait
# of a test here ends within a few polls (a timeout test within a few dozen), so this bound only
# ever stops a test that would otherwise hang, and says why.
MAX_POLLS = 1000


@pytest.fixture(autouse=True)
def bounded_polling(monkeypatch):
    polls = itertools.count(1)

    def sleep(seconds: float) -> None:
        if next(polls) > MAX_POLLS:
            pytest.fail(f"the CLI polled more than {MAX_POLLS} times: a fake never reached an end state "
                        "(plan its outcome with the Simulator, or pass a short --timeout)")
        time.sleep(seconds)

    monkeypatch.setattr("lakeops.waiting.time", types.SimpleNamespace(monotonic=time.monotonic, sleep=sleep))


@pytest.fixture
def deployed(aws):
    return deploy_stage()


@pytest.fixture
def sim(aws, monkeypatch):
    simulator = Simulator()
    simulator.install(monkeypatch)
    yield simulator
    simulator.uninstall()


# Two tiny days per dataset, in its raw format: enough for the CLI, which never parses them.
SAMPLE_DATES = ("2024-01-01", "2024-01-02")


def tiny_sample(dataset, day: int) -> tuple[str, str]:
    """(file name, content) of one small raw file of `dataset`."""
    names = [c.raw_name for c in dataset.raw_columns]
    if dataset.raw_format == "json":
        return f"{dataset.name}.jsonl", "".join(json.dumps({n: f"{n}-{day}-{i}" for n in names}) + "\n" for i in range(day + 1))
    rows = [dataset.csv_delimiter.join(f"{n}-{day}-{i}" for n in names) for i in range(day + 1)]
    return f"{dataset.name}.csv", "\n".join([dataset.csv_delimiter.join(names), *rows]) + "\n"


@pytest.fixture
def datasets_dir(tmp_path):
    """The dev stage's contracts, each with a tiny sample/ (the repository's own samples are the
    Spark tests' business); pass it to the CLI with --datasets-dir."""
    root = tmp_path / "datasets"
    for dataset in SETTINGS.datasets:
        shutil.copytree(dataset.directory, root / dataset.name, ignore=shutil.ignore_patterns("sample"))
        for day, dt in enumerate(SAMPLE_DATES, start=1):
            partition = root / dataset.name / "sample" / f"dt={dt}"
            partition.mkdir(parents=True)
            name, content = tiny_sample(dataset, day)
            (partition / name).write_text(content)
    return root


@pytest.fixture
def run_cli():
    """Runs ``python -m lakeops --stage dev --poll-interval 0 [--datasets-dir DIR] ARGS`` in-process."""
    def run(*args, stage=STAGE, env=None, datasets=None):
        prefix = ["--stage", stage] if stage else []
        prefix += ["--datasets-dir", str(datasets)] if datasets else []
        return CliRunner(env=env).invoke(cli, [*prefix, "--poll-interval", "0", *args])
    return run
