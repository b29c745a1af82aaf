#!/usr/bin/env python3
"""Times `make test` and `make test-fast` (the targets themselves, so the selection and the
environment are the Makefile's): wall and CPU time of each run, their medians, and the ten
slowest tests of the last full run. Prints Markdown.

CPU time is the machine's busy time while the run lasted (/proc/stat: every process, the
workers' Node and Java children included, which a parent's rusage misses when they are not
waited for), so run it on an otherwise idle machine. A benchmark, not a test: nothing fails
on a slow machine.
"""
import argparse
import os
import re
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))

from bench_results import record  # noqa: E402
# pytest's options for the benchmark: no cache (each run starts alike), the slowest tests listed.
FLAGS = "-q -p no:cacheprovider --durations=10"
DURATION = re.compile(r"^(\d+\.\d+)s (setup|call|teardown)\s+(\S+)$")
SUMMARY = re.compile(r"^=+ (.*) in [\d.]+s")


def busy_seconds() -> float:
    """CPU time the machine spent outside idle and iowait since boot, all cores."""
    fields = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = fields[3] + fields[4]
    return (sum(fields[:8]) - idle) / os.sysconf("SC_CLK_TCK")


def run_suite(target: str) -> dict:
    command = ["make", "--no-print-directory", "-s", target, f"PYTEST_FLAGS={FLAGS}"]
    cpu, started = busy_seconds(), time.perf_counter()
    result = subprocess.run(command, cwd=ROOT, capture_output=True, text=True)
    wall, cpu = time.perf_counter() - started, busy_seconds() - cpu
    lines = result.stdout.splitlines()
    summary = next((m.group(1) for line in lines if (m := SUMMARY.match(line))), lines[-1] if lines else "")
    if result.returncode != 0:
        sys.exit(f"the suite failed ({summary}); benchmark a green suite\n{result.stdout[-3000:]}")
    slowest = [(float(m.group(1)), m.group(2), m.group(3)) for line in lines if (m := DURATION.match(line))]
    return {"wall": wall, "cpu": cpu, "summary": summary, "slowest": slowest}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=3, help="runs of each selection (default 3)")
    runs = parser.parse_args().runs
    results = {"make test": [], "make test-fast": []}
    for _ in range(runs):  # interleaved, so that load drift hits both alike
        results["make test"].append(run_suite("test"))
        results["make test-fast"].append(run_suite("test-fast"))
    print(f"| command | tests | wall, median of {runs} (s) | wall per run (s) | CPU per run (s) |")
    print("|---|---|---:|---|---|")
    for name, found in results.items():
        walls, cpus = [r["wall"] for r in found], [r["cpu"] for r in found]
        per_run = " / ".join(f"{w:.1f}" for w in walls)
        cpu_per_run = " / ".join(f"{c:.1f}" for c in cpus)
        print(f"| `{name}` | {found[-1]['summary']} | {statistics.median(walls):.1f} | {per_run} | {cpu_per_run} |")
    print("\nTen slowest tests of the last `make test` run (a worker's time on each phase):\n")
    print("| seconds | phase | test |")
    print("|---:|---|---|")
    for seconds, phase, test in results["make test"][-1]["slowest"]:
        print(f"| {seconds:.2f} | {phase} | `{test}` |")
    record("suite", {
        "targets": [{"command": name, "tests": found[-1]["summary"], "walls": [r["wall"] for r in found], "cpus": [r["cpu"] for r in found]}
                    for name, found in results.items()],
        "slowest": [[seconds, phase, f"`{test}`"] for seconds, phase, test in results["make test"][-1]["slowest"]],
    })


if __name__ == "__main__":
    main()
