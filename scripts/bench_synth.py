"""Times `cdk synth` of the whole default app (all four nag packs) against a one-bucket app.

Both run through the pinned CDK CLI on the same machine, interleaved so that load drift
hits both equally; the report is the median of each and their ratio. Run `make bench`.
"""
import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PYTHON = Path(sys.executable)
sys.path.insert(0, str(ROOT / "scripts"))

from bench_results import record  # noqa: E402


def synth_seconds(app_command: str | None, outdir: str) -> float:
    command = ["npx", "cdk", "synth", "--quiet", "--no-notices", "-o", outdir]
    if app_command:
        command += ["--app", app_command]
    env = {**os.environ, "PATH": f"{PYTHON.parent}{os.pathsep}{os.environ['PATH']}", "CDK_DISABLE_CLI_TELEMETRY": "true"}
    started = time.perf_counter()
    subprocess.run(command, cwd=ROOT, env=env, check=True, capture_output=True)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=5)
    runs = parser.parse_args().runs
    baseline_app = f"{PYTHON} {ROOT / 'scripts' / 'bench_one_bucket_app.py'}"
    lake, baseline = [], []
    with tempfile.TemporaryDirectory() as tmp:
        synth_seconds(None, f"{tmp}/warmup")  # the first run pays for cold caches
        for run in range(runs):
            lake.append(synth_seconds(None, f"{tmp}/lake{run}"))
            baseline.append(synth_seconds(baseline_app, f"{tmp}/one{run}"))
    lake_median, baseline_median = statistics.median(lake), statistics.median(baseline)
    print(f"| app | median of {runs} (s) | runs (s) |")
    print("|---|---|---|")
    print(f"| data lake, all stacks, 4 nag packs | {lake_median:.2f} | {', '.join(f'{s:.2f}' for s in lake)} |")
    print(f"| one bucket, no nag | {baseline_median:.2f} | {', '.join(f'{s:.2f}' for s in baseline)} |")
    print(f"\nratio: {lake_median / baseline_median:.2f}x")
    record("synth", {"lake": lake, "one_bucket": baseline})


if __name__ == "__main__":
    main()
