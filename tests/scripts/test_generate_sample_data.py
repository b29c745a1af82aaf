"""The sample-data generator: the shipped samples are exactly what it makes, the dirt it
documents is the dirt it writes, and the first week of every sample is clean (the named
queries compare raw and curated over 2026-01-01..07)."""
import functools
import importlib.util
import json
import re
import subprocess
import sys
from collections import Counter, defaultdict

import pytest

from lake_config import load_settings
from tests.helpers import ROOT, stage_context
from tests.spark_jobs.sample_expectations import folder_of, raw_records

GENERATOR = ROOT / "scripts" / "generate_sample_data.py"
_spec = importlib.util.spec_from_file_location("generate_sample_data", GENERATOR)
gen = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(gen)
DATASETS = {d.name: d for d in load_settings(stage_context("dev")).datasets if d.name in gen.GENERATORS}
FIRST_DIRTY_DAY = "2026-01-08"


@functools.cache
def made(name):
    """The shipped-size sample of `name`, generated once for this module."""
    return gen.GENERATORS[name][0]()


@pytest.fixture(params=sorted(DATASETS))
def sample(request):
    return DATASETS[request.param], made(request.param)


def test_every_deployed_dataset_ships_a_sample():
    """The shipped datasets' samples come from the generator; a fork's own dataset may ship its
    sample files by hand (`lakeops upload-sample` and the smoke test need one either way)."""
    datasets = load_settings(stage_context("dev")).datasets
    for dataset in datasets:
        assert sorted(dataset.sample_dir.glob("dt=*/*")), f"{dataset.name}: no sample under {dataset.sample_dir}"
    assert set(gen.GENERATORS) <= {d.name for d in datasets}, "every generated sample belongs to a deployed dataset"


def test_shipped_sample_is_what_the_generator_makes(sample):
    dataset, generated = sample
    shipped = {str(p.relative_to(dataset.sample_dir)): p.read_bytes()
               for p in dataset.sample_dir.rglob("*") if p.is_file()}
    assert sorted(shipped) == sorted(generated.files)
    assert [name for name in generated.files if shipped[name] != generated.files[name]] == []


def test_command_line_writes_the_same_files(tmp_path):
    subprocess.run([sys.executable, str(GENERATOR), "--dataset", "clickstream", "--out", str(tmp_path)],
                   check=True, capture_output=True)
    assert {str(p.relative_to(tmp_path / "clickstream")): p.read_bytes()
            for p in (tmp_path / "clickstream").rglob("*") if p.is_file()} == made("clickstream").files
    refused = subprocess.run([sys.executable, str(GENERATOR), "--rows", "100"], capture_output=True, text=True)
    assert refused.returncode == 2 and "--rows needs --out" in refused.stderr


def test_ledger_is_the_documented_dirt(sample):
    dataset, generated = sample
    documented = {kind: count for kind, (count, _) in gen.GENERATORS[dataset.name][1].items()}
    assert Counter(d.kind for d in generated.dirt) == documented
    assert len({(d.folder, d.key, d.kind) for d in generated.dirt}) == len(generated.dirt), "one kind per dirty row"


@pytest.mark.parametrize("name", sorted(DATASETS))
def test_rows_option_makes_exactly_that_many_rows_with_scaled_dirt(name):
    dataset = DATASETS[name]
    make, dirt = gen.GENERATORS[name]
    large = make(6000)
    assert sum(len(raw_records(dataset, data)) for data in large.files.values()) == 6000
    factor = 6000 / gen.SCALE_BASE[name]
    assert Counter(d.kind for d in large.dirt) == {k: max(1, round(n * factor)) for k, (n, _) in dirt.items()}


def _clean_text_problems(dataset, record):
    problems = []
    for column in dataset.raw_columns:
        text = record[column.raw_name]
        if text is None:
            problems += [f"{column.name} missing"] if column.required else []
            continue
        if text != text.strip() or (column.normalize and text != getattr(text, column.normalize)()):
            problems.append(f"{column.name} needs cleaning: {text!r}")
        if column.pattern and not re.search(column.pattern, text):
            problems.append(f"{column.name} breaks its pattern: {text!r}")
        if column.allowed is not None and text not in {str(v) for v in column.allowed}:
            problems.append(f"{column.name} not in its enum: {text!r}")
    return problems


def test_first_week_is_clean(sample):
    dataset, generated = sample
    assert all(d.folder >= FIRST_DIRTY_DAY and d.event_day >= FIRST_DIRTY_DAY for d in generated.dirt)
    checked = 0
    for path, data in generated.files.items():
        folder = folder_of(path)
        if folder >= FIRST_DIRTY_DAY:
            continue
        for record in raw_records(dataset, data):
            assert record is not None, path
            assert _clean_text_problems(dataset, record) == [], path
            assert record[dataset.column(dataset.event_time).raw_name].startswith(folder), "no late event in week 1"
            checked += 1
    assert checked > 1000


def test_clickstream_looks_like_a_web_shop():
    dataset = DATASETS["clickstream"]
    events = [json.loads(line) for data in made("clickstream").files.values()
              for line in data.decode().splitlines() if line.endswith("}")]
    assert all(re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", e["event_ts"]) for e in events[:100])
    assert list(events[0]) == [c.raw_name for c in dataset.raw_columns]
    sessions = defaultdict(list)
    for event in events:
        sessions[event["session_id"]].append(event)
    steps = ("add_to_cart", "checkout", "purchase")
    funnel = Counter(e["event_type"] for e in events)
    assert funnel["page_view"] > funnel["add_to_cart"] > funnel["checkout"] > funnel["purchase"] > 0
    for session in sessions.values():
        types = [e["event_type"] for e in sorted(session, key=lambda e: e["event_ts"])]
        for before, after in zip(steps, steps[1:]):
            if after in types:
                assert before in types[:types.index(after)], types
    assert 300 < len(sessions) and len({e["user_id"] for e in events}) < len(sessions)
    assert {e["referrer"] for e in events if e["referrer"]} and any(e["referrer"] is None for e in events)


def test_generator_lateness_is_the_contract_s():
    assert gen.LATENESS_DAYS == DATASETS["clickstream"].allowed_lateness_days


def _readme_table(header):
    """Cells of the sample-data page's table whose header row starts with `header`."""
    lines = (ROOT / "docs" / "sample-data.md").read_text().splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith(header))
    rows = []
    for line in lines[start + 2:]:
        if not line.startswith("|"):
            break
        rows.append([cell.strip().strip("`") for cell in line.strip().strip("|").split("|")])
    return rows


def test_readme_sample_table_is_counted():
    from tests.spark_jobs.sample_expectations import expected_report

    rows = {row[0]: row for row in _readme_table("| sample | format |")}
    assert sorted(rows) == sorted(DATASETS)
    for name, dataset in DATASETS.items():
        sample = made(name)
        want = expected_report(dataset, sample, gen.GENERATORS[name][1], gen)
        counted = [len(sample.files), want["rows_read"], sum(len(d) for d in sample.files.values()),
                   want["rows_rejected"], want["duplicates_removed"], want["late_rows"],
                   sum(want["rows_per_partition"].values())]
        assert [int(cell) for cell in rows[name][2:]] == counted, name


def test_readme_dirt_table_is_the_generator_s():
    rows = _readme_table("| dataset | dirt | rows |")
    assert [(r[0], r[1], int(r[2])) for r in rows] == [
        (name, kind, count) for name in DATASETS for kind, (count, _) in gen.GENERATORS[name][1].items()]
    for name, kind, _, does in rows:
        effect = gen.GENERATORS[name][1][kind][1]
        expected = {gen.DUPLICATE: "duplicate removed", gen.KEPT: "kept", gen.LATE: "kept"}.get(effect, "quarantined: `%s`" % effect)
        assert does.startswith(expected.strip("`")), (name, kind, does)
