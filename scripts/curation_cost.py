#!/usr/bin/env python3
"""What curating a 100 GB day would take on the stage's EMR fleet, from the measured rows/s per core.

Reads the benchmark's results (section `curation_floor` of docs/development/bench-results.json,
recorded by scripts/bench_spark_job.py) and the stage's EMR settings (cdk.json), and prints Markdown and
records it (section `curation_cost`). The arithmetic, per dataset:

    raw bytes per row   = raw bytes / raw rows of the largest measured set
    rows                = day bytes / raw bytes per row
    rows/s per core     = the job's median rows/s / the bench's cores (local[N])
    core-seconds        = rows / rows/s per core
    hours               = core-seconds / (cores at maximum capacity x EFFICIENCY) / 3600
    cost                = hours x (primary + on-demand core units + spot task units, each at
                          its EC2 price plus the EMR fee; the EMR fee stays fixed on spot)

Assumptions, stated because they are not measured here: a Graviton vCPU on EMR curates as
fast as one core of the bench host; EFFICIENCY (0.7) covers S3 reads, task scheduling and
stragglers; the cluster is already up (long_running mode) and at maximum capacity for the
run. Prices are inputs (`--price-*`, USD per hour of one capacity unit, an xlarge): the
defaults are us-east-1 on-demand list prices of m6g.xlarge and must be checked against the
Amazon EMR and EC2 pricing pages before quoting. "When you use Spot Instances ... the Amazon
EMR rate remains fixed" (EMR Developer Guide, "Spot Instance Pricing in Amazon EMR").
"""
import argparse
import json
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from lake_config import load_settings  # noqa: E402
from lake_config.spark_sizing import VCPUS_PER_UNIT, max_cores  # noqa: E402
from scripts.bench_results import record  # noqa: E402

RESULTS = REPO / "docs" / "development" / "bench-results.json"
CONTEXT = json.loads((REPO / "cdk.json").read_text())["context"]
EFFICIENCY = 0.7


def estimate(result, bench_cores, emr, day_bytes, prices):
    rows_per_core = result["job"]["rows_per_s"] / bench_cores
    bytes_per_row = result["raw_bytes"] / result["raw_rows"]
    rows = day_bytes / bytes_per_row
    core_seconds = rows / rows_per_core
    cores = max_cores(emr)
    hours = core_seconds / (cores * EFFICIENCY) / 3600
    on_demand = emr.on_demand_capacity_units
    spot = emr.max_capacity_units - on_demand
    per_hour = (prices["primary"] + on_demand * (prices["ec2"] + prices["emr"])
                + spot * (prices["ec2"] * (1 - prices["spot_discount"]) + prices["emr"]))
    return {
        "dataset": result["dataset"], "measured_on": result["input"], "raw_bytes_per_row": round(bytes_per_row, 1),
        "rows_per_s_per_core": round(rows_per_core), "day_bytes": day_bytes, "rows": round(rows),
        "core_hours": round(core_seconds / 3600, 1), "cores": cores, "hours": round(hours, 2),
        "usd_per_hour": round(per_hour, 3), "usd": round(hours * per_hour, 2),
    }


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stage", default="dev")
    parser.add_argument("--gb", type=float, default=100, help="raw GB (10^9 bytes) in the day")
    parser.add_argument("--results", default=str(RESULTS))
    parser.add_argument("--no-record", action="store_true", help="do not record the estimate in the results file")
    parser.add_argument("--price-ec2", type=float, default=0.154, help="EC2 on-demand USD/h of one unit (m6g.xlarge)")
    parser.add_argument("--price-emr", type=float, default=0.0385, help="EMR fee USD/h of one unit (m6g.xlarge)")
    parser.add_argument("--spot-discount", type=float, default=0.6, help="spot price below on-demand (0.6: 60 %% off)")
    args = parser.parse_args(argv)
    bench = json.loads(Path(args.results).read_text())["curation_floor"]
    emr = load_settings({**CONTEXT, "stage": args.stage}).emr
    bench_cores = int(bench["spark_session"]["master"].strip("local[]*") or 1)
    prices = {"ec2": args.price_ec2, "emr": args.price_emr, "spot_discount": args.spot_discount,
              "primary": args.price_ec2 + args.price_emr}
    largest = {}
    for result in bench["results"]:
        if result["raw_rows"] >= largest.get(result["dataset"], {}).get("raw_rows", 0):
            largest[result["dataset"]] = result
    estimates = [estimate(r, bench_cores, emr, args.gb * 1e9, prices) for r in largest.values()]
    print("## A %g GB day on the %s stage's fleet (%d units of %d vCPUs at maximum capacity, %d on demand)\n"
          % (args.gb, args.stage, emr.max_capacity_units, VCPUS_PER_UNIT, emr.on_demand_capacity_units))
    print("| dataset | measured on | bytes/row | rows/s per core | rows | core-hours | cores | hours | USD/h | USD |")
    print("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    for e in estimates:
        print("| %s | %s | %.0f | %d | %d | %.1f | %d | %.2f | %.2f | %.2f |" % (
            e["dataset"], e["measured_on"], e["raw_bytes_per_row"], e["rows_per_s_per_core"], e["rows"],
            e["core_hours"], e["cores"], e["hours"], e["usd_per_hour"], e["usd"]))
    if not args.no_record:
        record("curation_cost", {"stage": args.stage, "gb": args.gb, "efficiency": EFFICIENCY, "prices": prices,
                                 "bench_commit": bench.get("commit"), "bench_date": bench.get("date"), "estimates": estimates})


if __name__ == "__main__":
    main()
