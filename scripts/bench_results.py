"""The benchmark figures the documentation shows: written by the `make bench` scripts, rendered
into docs/development/benchmarks.md when the site is built (scripts/docs_pages.py; history
stays in git).

Each script records its own section of docs/development/bench-results.json with the commit and
the machine it ran on; `tables()` turns the file into the page's Markdown.
"""
from __future__ import annotations

import json
import os
import platform
import statistics
import subprocess
import sys
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "docs" / "development" / "bench-results.json"


def _commit() -> str:
    found = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True, timeout=30)
    dirty = subprocess.run(["git", "status", "--porcelain"], cwd=ROOT, capture_output=True, text=True, timeout=30).stdout.strip()
    return (found.stdout.strip() or "unknown") + (" + local changes" if dirty else "")


def machine() -> str:
    return f"{platform.system()} {platform.release()}, {os.cpu_count()} CPUs, Python {platform.python_version()}"


def load() -> dict:
    return json.loads(RESULTS.read_text()) if RESULTS.exists() else {}


def record(section: str, figures: dict) -> None:
    """Replaces `section` of the results file with `figures`, stamped with commit, date and machine."""
    results = load()
    results[section] = {"commit": _commit(), "date": date.today().isoformat(), "machine": machine(), **figures}
    RESULTS.write_text(json.dumps(results, indent=2) + "\n")
    print(f"recorded {section} in {RESULTS.relative_to(ROOT)}; make docs renders the page", file=sys.stderr)


def _runs(values: list[float], digits: int = 1) -> str:
    return " / ".join(f"{v:.{digits}f}" for v in values)


def _stamp(section: dict) -> str:
    return f"Commit {section['commit']}, {section['date']}, {section['machine']}."


def suite_table(results: dict) -> str:
    suite = results["suite"]
    rows = [_stamp(suite), "", f"| command | tests | wall, median of {len(suite['targets'][0]['walls'])} | wall per run (s) | CPU per run (s) |",
            "|---|---:|---:|---|---|"]
    for target in suite["targets"]:
        rows.append(f"| `{target['command']}` | {target['tests']} | **{statistics.median(target['walls']):.1f} s** | "
                    f"{_runs(target['walls'])} | {_runs(target['cpus'])} |")
    rows += ["", "Ten slowest tests of the last `make test` run (a worker's seconds on each phase):", "",
             "| seconds | phase | test |", "|---:|---|---|"]
    rows += [f"| {seconds:.1f} | {phase} | {test} |" for seconds, phase, test in suite["slowest"]]
    return "\n".join(rows) + "\n"


def synth_table(results: dict) -> str:
    synth = results["synth"]
    lake, one = statistics.median(synth["lake"]), statistics.median(synth["one_bucket"])
    rows = [_stamp(synth), "", f"| app | median of {len(synth['lake'])} | runs (s) |", "|---|---:|---|",
            f"| data lake, dev, all stacks, four nag packs | {lake:.2f} s | {_runs(synth['lake'], 2)} |",
            f"| one bucket, no nag | {one:.2f} s | {_runs(synth['one_bucket'], 2)} |",
            f"| **ratio** | **{lake / one:.2f}x** | |"]
    return "\n".join(rows) + "\n"


def curation_tables(results: dict) -> str:
    job = results["curation"]
    rows = [_stamp(job) + f" Spark master {job['master']}; Spark session start {job['startup']}.", "",
            "| dataset | input | raw rows | raw bytes | job time, median (runs) | rows/s | written | rejected | duplicates |",
            "|---|---|---:|---:|---|---:|---:|---:|---:|"]
    for r in job["runs"]:
        median = statistics.median(r["times"])
        rows.append(f"| {r['dataset']} | {r['label']} | {r['rows_read']:,} | {r['raw_bytes']:,} | {median:.2f} s ({_runs(r['times'])}) | "
                    f"{r['rows_read'] / median:,.0f} | {r['rows_written']:,} | {r['rows_rejected']:,} | {r['duplicates_removed']:,} |")
    rows += ["", "| dataset | input | query | partitions | columns read | raw files | Parquet whole files | Parquet column chunks + footers | chunks / raw |",
             "|---|---|---|---:|---|---:|---:|---:|---:|"]
    for r in job["runs"]:
        for q in r["queries"]:
            rows.append(f"| {r['dataset']} | {r['label']} | {q['query']} | {q['partitions']} | {', '.join(q['columns'])} | {q['raw']:,} | "
                        f"{q['whole']:,} | {q['chunks']:,} | {100 * q['chunks'] / q['raw']:.1f}% |")
    return "\n".join(rows) + "\n"


GENERATED = {
    "bench-suite": lambda: suite_table(load()),
    "bench-synth": lambda: synth_table(load()),
    "bench-curation": lambda: curation_tables(load()),
}
