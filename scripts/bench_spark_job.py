#!/usr/bin/env python3
"""Benchmark the generic curation job on every shipped dataset against the engine's floor.

Prints Markdown and records the same figures in docs/development/bench-results.json
(scripts/bench_results.py; sections `curation`, the samples and query bytes, and
`curation_floor`, the ratios), which the docs render. For each dataset: the shipped sample, then each `--rows` size
of raw rows made by scripts/generate_sample_data.py (its command line) into a temporary
folder, never into the repository.

* Ratio to the floor: in one warm Spark session (local[2], driver 2 GB, 4 shuffle
  partitions), `--runs` alternating pairs of the job and of a bare copy of the same raw
  files (read as text with the same reader, full-row `dropDuplicates`, Snappy Parquet
  partitioned by the same column), each into a fresh folder. The figure that counts is the
  median of the pairs' ratios (job / floor of neighbouring runs); seconds vary with the
  host. With `--before-job OLD.py` an older version of the job runs in the same
  alternation, for before/after figures of one hour.
* Rows per second: raw rows / median time. Bytes written: the Parquet data files of the
  run (curated and quarantine). Input scans: the file scans of the raw folder that ran in the
  run's executed Spark plans (from the session's SQL status store: scan nodes whose row
  counter moved; a cached relation read again is not a scan). Input bytes read: bytes the run
  read through Hadoop's FileSystem divided by the raw files' bytes (1.00: read once).
* Same results: `--fingerprints FILE` writes the job's output fingerprint per input
  (tests/spark_jobs/fingerprint.py); `--compare FILE` checks each against such a file
  (written by an older job) and fails the bench on a difference.
* Bytes, for each of the dataset's shipped curated queries (datasets/<name>/queries/*.sql):
  Spark plans the query over the curated Parquet, and its file scan says which partitions
  and columns the query needs. Parquet figure: the compressed column chunks of those
  columns (`ColumnChunkMetaData.getTotalSize`, from the footers with parquet-hadoop
  through Spark's JVM) plus each file's footer and 8-byte trailer, which an engine reads
  to locate them. Raw figure: the whole CSV / JSON files of the same `dt` folders, which a
  text format cannot skip into. Whole Parquet files are shown too: Trino (Athena v3's
  engine) reads files under 3 MB whole (parquet.small-file-threshold), as the shipped
  samples' files are.
"""
import argparse
import contextlib
import importlib.util
import io
import json
import os
import platform
import shutil
import statistics
import struct
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from lake_config import load_settings  # noqa: E402
from lake_config.curation_step import curation_step_arguments  # noqa: E402
from scripts.bench_results import RESULTS, record  # noqa: E402
from tests.spark_jobs.fingerprint import differences, run_fingerprint  # noqa: E402

RAW_BUCKET, CURATED_BUCKET = "raw-bucket", "curated-bucket"
GENERATOR = REPO / "scripts" / "generate_sample_data.py"
RUN_ID = "reference"  # the run id of the fingerprints in tests/spark_jobs/reference/
CONTEXT = json.loads((REPO / "cdk.json").read_text())["context"]


def load(path, name):
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def data_files(root):
    """Data files only: names starting with '.' or '_' are Hadoop side files, not uploaded."""
    return [p for p in Path(root).rglob("*") if p.is_file() and not p.name.startswith((".", "_"))]


def folder_day(path):
    return next(part[3:] for part in Path(path).parts if part.startswith("dt="))


def footer_bytes(path):
    """Footer length + 8: the last 8 bytes are a little-endian int32 length and 'PAR1'."""
    with open(path, "rb") as fh:
        fh.seek(-8, 2)
        length, magic = struct.unpack("<i4s", fh.read(8))
    assert magic == b"PAR1", path
    return length + 8


def column_chunk_bytes(spark, path, columns):
    """Compressed bytes of the named columns' chunks in one Parquet file, from its footer."""
    jvm = spark._jvm
    hfile = jvm.org.apache.parquet.hadoop.util.HadoopInputFile.fromPath(
        jvm.org.apache.hadoop.fs.Path(path), spark._jsc.hadoopConfiguration())
    reader = jvm.org.apache.parquet.hadoop.ParquetFileReader.open(hfile)
    try:
        return sum(chunk.getTotalSize() for block in reader.getFooter().getBlocks()
                   for chunk in block.getColumns() if chunk.getPath().toDotString() in columns)
    finally:
        reader.close()


def scanned(spark, sql):
    """(partition values, files with sizes, columns) the query's Parquet scan needs, from its plan."""
    leaves = spark.sql(sql)._jdf.queryExecution().sparkPlan().collectLeaves()
    days, paths, columns = set(), [], set()
    for i in range(leaves.size()):
        leaf = leaves.apply(i)
        if not leaf.nodeName().startswith("Scan parquet"):
            continue
        columns |= set(leaf.requiredSchema().fieldNames())
        for directory in leaf.selectedPartitions():
            days.add(directory.values().getUTF8String(0).toString())
            files = directory.files()
            paths += [(files.apply(j).getPath().toString(), files.apply(j).getLen()) for j in range(files.size())]
    return days, paths, columns


def hadoop_bytes(spark):
    """(read, written) bytes through Hadoop's local FileSystem so far, every thread."""
    read = written = 0
    for stats in spark._jvm.org.apache.hadoop.fs.FileSystem.getAllStatistics():
        if stats.getScheme() == "file":
            read, written = read + stats.getBytesRead(), written + stats.getBytesWritten()
    return read, written


def sql_executions(spark):
    """Ids of the SQL executions the session has recorded so far (its status store)."""
    spark._jsc.sc().listenerBus().waitUntilEmpty()
    executions = spark._jsparkSession.sharedState().statusStore().executionsList()
    return {executions.apply(i).executionId() for i in range(executions.size())}


def input_scans(spark, raw_dir, before):
    """File scans of `raw_dir` that ran in the SQL executions not in `before`: the nodes of each
    execution's final plan (a cached relation's plan included) whose rows counter moved in that
    execution, so a cache read does not count as a scan of the input."""
    spark._jsc.sc().listenerBus().waitUntilEmpty()
    store = spark._jsparkSession.sharedState().statusStore()
    location = "[file:%s]" % Path(raw_dir).resolve()
    scans = 0
    for execution in sorted(sql_executions(spark) - before):
        values = store.executionMetrics(execution)
        nodes = store.planGraph(execution).allNodes()
        for i in range(nodes.size()):
            node = nodes.apply(i)
            if not node.name().startswith("Scan ") or location not in node.desc():
                continue
            metrics = node.metrics()
            rows = [values.get(metrics.apply(j).accumulatorId()) for j in range(metrics.size())
                    if metrics.apply(j).name() == "number of output rows"]
            scans += any(r.isDefined() and int(r.get().replace(",", "") or 0) > 0 for r in rows)
    return scans


def parquet_bytes(root):
    return sum(p.stat().st_size for p in data_files(root) if p.suffix == ".parquet")


class Bench:
    def __init__(self, spark, job, root):
        self.spark, self.job, self.root = spark, job, Path(root)
        self.count = 0

    def _out(self, dataset, label):
        self.count += 1
        return self.root / "out" / ("%s-%s-%d" % (dataset.name, label, self.count))

    def curate(self, dataset, raw_dir, label, runs, job=None):
        """Times of `runs` job runs over raw_dir, and the last run's report and target."""
        times, report = [], None
        for i in range(runs):
            run = self.curate_once(dataset, raw_dir, label, job, keep=i == runs - 1)
            times.append(run["seconds"])
            report, out = run["report"], run["out"]
        return times, report, out / dataset.curated_prefix

    def curate_once(self, dataset, raw_dir, label, job=None, keep=False, fingerprint=False):
        out = self._out(dataset, label)
        args = curation_step_arguments(dataset, script_uri="-", raw_bucket=RAW_BUCKET, curated_bucket=CURATED_BUCKET,
                                       database="unused", run_id=RUN_ID)[4:] + ["--no-catalog"]
        args = [a.replace("s3://%s/%s" % (RAW_BUCKET, dataset.raw_prefix), str(raw_dir) + "/")
                 .replace("s3://%s/" % CURATED_BUCKET, str(out) + "/") for a in args]
        read0, _ = hadoop_bytes(self.spark)
        executions = sql_executions(self.spark)
        started = time.perf_counter()
        with contextlib.redirect_stdout(io.StringIO()):
            report = (job or self.job).main(args, spark=self.spark)
        seconds = time.perf_counter() - started
        read1, _ = hadoop_bytes(self.spark)
        run = {"seconds": seconds, "report": report, "out": out, "read": read1 - read0,
               "scans": input_scans(self.spark, raw_dir, executions), "written": parquet_bytes(out)}
        if fingerprint:
            run["fingerprint"] = run_fingerprint(self.spark, report, out / dataset.curated_prefix,
                                                 out / dataset.quarantine_prefix)
        if not keep:
            shutil.rmtree(out)
        return run

    def floor_once(self, dataset, raw_dir):
        """The bare copy: the same raw files read as text, full-row dedupe, Parquet by partition."""
        out = self._out(dataset, "floor")
        names = ["`%s` string" % c.raw_name for c in dataset.raw_columns]
        reader = self.spark.read.schema(", ".join(names + ["dt string"]))
        read0, _ = hadoop_bytes(self.spark)
        executions = sql_executions(self.spark)
        started = time.perf_counter()
        if dataset.raw_format == "csv":
            frame = reader.option("header", "true").option("sep", dataset.csv_delimiter).csv(str(raw_dir))
        elif dataset.raw_format == "json":
            frame = reader.json(str(raw_dir))
        else:
            frame = self.spark.read.parquet(str(raw_dir))
        if dataset.partition != "dt":
            frame = frame.withColumnRenamed("dt", dataset.partition)
        (frame.dropDuplicates().write.mode("overwrite").option("compression", "snappy")
         .partitionBy(dataset.partition).parquet(str(out)))
        seconds = time.perf_counter() - started
        read1, _ = hadoop_bytes(self.spark)
        run = {"seconds": seconds, "read": read1 - read0, "scans": input_scans(self.spark, raw_dir, executions),
               "written": parquet_bytes(out)}
        shutil.rmtree(out)
        return run

    def query_bytes(self, dataset, raw_dir, target):
        view = "bench_%s" % dataset.name
        self.spark.conf.set("spark.sql.sources.partitionColumnTypeInference.enabled", "false")
        self.spark.read.parquet(str(target)).createOrReplaceTempView(view)
        rows = []
        for query in dataset.named_queries:
            if "curated" not in query.zones:
                continue
            days, paths, columns = scanned(self.spark, query.sql.replace("{database}.{table}", view))
            raw = sum(p.stat().st_size for p in data_files(raw_dir) if folder_day(p) in days)
            chunks = sum(column_chunk_bytes(self.spark, path, columns) for path, _ in paths)
            footers = sum(footer_bytes(path.replace("file:", "", 1)) for path, _ in paths)
            whole = sum(size for _, size in paths)
            rows.append((query.name, len(days), sorted(columns), raw, whole, chunks + footers))
        return rows


def generate(dataset, rows, data_root):
    """DIR/<dataset>/dt=... with `rows` raw rows, through the generator's command line;
    reused when a previous bench left it in `data_root`."""
    raw_dir = Path(data_root) / str(rows) / dataset.name
    done = raw_dir.parent / (".%s.done" % dataset.name)
    if not done.exists():
        subprocess.run([sys.executable, str(GENERATOR), "--dataset", dataset.name, "--rows", str(rows),
                        "--out", str(raw_dir.parent)], check=True, stdout=subprocess.DEVNULL, timeout=7200)
        done.touch()
    return raw_dir


def compare_runs(bench, dataset, raw_dir, label, runs, before_job):
    """Alternating runs of the floor, the job and optionally an older job; returns the figures."""
    raw_bytes = sum(p.stat().st_size for p in data_files(raw_dir))
    contenders = [("floor", None)] + ([("before", before_job)] if before_job else []) + [("job", None)]
    measured = {name: [] for name, _ in contenders}
    fingerprint = None
    for i in range(runs):
        order = contenders if i % 2 == 0 else contenders[::-1]
        for name, job in order:
            if name == "floor":
                run = bench.floor_once(dataset, raw_dir)
            else:
                last = name == "job" and fingerprint is None
                run = bench.curate_once(dataset, raw_dir, label, job=job, fingerprint=last)
                if last:
                    fingerprint, report = run["fingerprint"], run["report"]
            measured[name].append(run)
            print("  %s %s %s: %.1f s" % (dataset.name, label, name, run["seconds"]), file=sys.stderr, flush=True)
    rows = report["rows_read"]
    result = {"dataset": dataset.name, "input": label, "raw_rows": rows, "raw_bytes": raw_bytes, "runs": runs}
    for name, runs_ in measured.items():
        median = statistics.median(r["seconds"] for r in runs_)
        result[name] = {"seconds": [round(r["seconds"], 2) for r in runs_], "median_s": round(median, 2),
                        "rows_per_s": round(rows / median), "bytes_written": runs_[-1]["written"],
                        "input_scans": runs_[-1]["scans"], "input_read": round(runs_[-1]["read"] / raw_bytes, 2)}
    # The ratio is the median of the pairs' ratios: on a shared host the load moves between
    # pairs, and a pair's two runs are neighbours in time where the two medians may not be.
    pairs = lambda name: [j["seconds"] / f["seconds"] for j, f in zip(measured[name], measured["floor"])]  # noqa: E731
    result["pair_ratios"] = [round(r, 2) for r in pairs("job")]
    result["ratio"] = round(statistics.median(pairs("job")), 2)
    result["ratio_of_medians"] = round(result["job"]["median_s"] / result["floor"]["median_s"], 2)
    if before_job:
        result["pair_ratios_before"] = [round(r, 2) for r in pairs("before")]
        result["ratio_before"] = round(statistics.median(pairs("before")), 2)
    result["report"] = {k: report[k] for k in ("rows_written", "rows_rejected", "duplicates_removed", "late_rows")}
    return result, fingerprint


def print_ratios(ratios, machine):
    print("## Curation job against the floor (bare dedupe-and-copy to Parquet), %s\n" % machine)
    before = any("before" in r for r in ratios)
    print("| dataset | input | raw rows | raw MB | floor median | job median | **job / floor** (median pair) | per pair |"
          + (" before median | before / floor (median pair) |" if before else "")
          + " job rows/s | floor rows/s | job MB written | floor MB written | input scans job / floor | input bytes read job / floor | same as reference |")
    print("|---|---|---:|---:|---:|---:|---:|---|" + ("---:|---:|" if before else "") + "---:|---:|---:|---:|---|---|---|")
    for r in ratios:
        print("| %s | %s | %d | %.0f | %.2f s | %.2f s | **%.2fx** | %s |" % (
            r["dataset"], r["input"], r["raw_rows"], r["raw_bytes"] / 1e6, r["floor"]["median_s"],
            r["job"]["median_s"], r["ratio"], " / ".join("%.2f" % x for x in r["pair_ratios"]))
            + (" %.2f s | %.2fx |" % (r["before"]["median_s"], r["ratio_before"]) if before else "")
            + " %d | %d | %.1f | %.1f | %d / %d | %.2f / %.2f | %s |" % (
            r["job"]["rows_per_s"], r["floor"]["rows_per_s"], r["job"]["bytes_written"] / 1e6,
            r["floor"]["bytes_written"] / 1e6, r["job"]["input_scans"], r["floor"]["input_scans"],
            r["job"]["input_read"], r["floor"]["input_read"],
            r.get("same_as_reference", "not compared")))
    print()


def print_tables(results, startup, master):
    print("## Curation job, local (%s)\n" % master)
    print("Machine: %s, %d CPUs visible, Python %s; Spark session start %.1f s (once).\n"
          % (platform.platform(terse=True), os.cpu_count(), platform.python_version(), startup))
    print("| dataset | input | raw rows | raw bytes | runs (s) | median | rows/s | written | rejected | duplicates |")
    print("|---|---|---:|---:|---|---:|---:|---:|---:|---:|")
    for r in results:
        report = r["report"]
        print("| %s | %s | %d | %d | %s | %.2f s | %d | %d | %d | %d |" % (
            r["dataset"], r["label"], report["rows_read"], r["raw_bytes"], " / ".join("%.1f" % t for t in r["times"]),
            statistics.median(r["times"]), report["rows_read"] / statistics.median(r["times"]),
            report["rows_written"], report["rows_rejected"], report["duplicates_removed"]))
    print("\n## Bytes a shipped query reads: raw text vs curated Snappy Parquet\n")
    print("| dataset | input | query | partitions | columns | raw files | Parquet, whole files | Parquet, column chunks + footers | chunks / raw |")
    print("|---|---|---|---:|---|---:|---:|---:|---:|")
    for r in results:
        for name, days, columns, raw, whole, chunks in r["queries"]:
            print("| %s | %s | %s | %d | %s | %d | %d | %d | %.1f%% |" % (
                r["dataset"], r["label"], name, days, ", ".join(columns), raw, whole, chunks, 100.0 * chunks / raw))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", default="1000000,10000000",
                        help="comma-separated raw rows of the generated sets (0: samples only)")
    parser.add_argument("--runs", type=int, default=3, help="alternating job/floor pairs per generated set (and job runs per sample)")
    parser.add_argument("--master", default="local[2]")
    parser.add_argument("--stage", default="dev", help="stage whose datasets are benchmarked")
    parser.add_argument("--dataset", action="append", help="only this dataset (repeatable)")
    parser.add_argument("--data", help="keep generated sets in DIR and reuse them (default: a temporary folder)")
    parser.add_argument("--before-job", help="an older curate.py to alternate with, for before/after figures")
    parser.add_argument("--fingerprints", help="write the job's output fingerprints (per input) to FILE")
    parser.add_argument("--compare", help="fingerprints FILE of an older job: fail on any difference")
    parser.add_argument("--no-record", action="store_true", help=f"do not record the figures in {RESULTS.name}")
    args = parser.parse_args(argv)
    sizes = [int(n) for n in args.rows.split(",") if int(n)]

    job = load(REPO / "spark_jobs" / "curate" / "curate.py", "curate")
    before_job = load(args.before_job, "curate_before") if args.before_job else None
    datasets = [d for d in load_settings({**CONTEXT, "stage": args.stage}).datasets
                if d.sample_dir.is_dir() and (not args.dataset or d.name in args.dataset)]
    reference = json.loads(Path(args.compare).read_text()) if args.compare else {}
    from pyspark.sql import SparkSession

    started = time.perf_counter()
    spark = (SparkSession.builder.master(args.master).appName("bench-curate")
             .config("spark.ui.enabled", "false").config("spark.ui.showConsoleProgress", "false")
             .config("spark.driver.memory", "2g").config("spark.sql.shuffle.partitions", "4")
             .config("spark.driver.host", "127.0.0.1").config("spark.driver.bindAddress", "127.0.0.1")
             .getOrCreate())
    spark.sparkContext.setLogLevel("ERROR")
    startup = time.perf_counter() - started
    machine = "%s, %d CPUs visible, Python %s, %s" % (platform.platform(terse=True), os.cpu_count(),
                                                     platform.python_version(), args.master)
    results, ratios, fingerprints, mismatches = [], [], {}, []
    with tempfile.TemporaryDirectory(prefix="bench_curate_") as tmp:
        data_root = Path(args.data or Path(tmp) / "generated")
        bench = Bench(spark, job, tmp)
        try:
            for dataset in datasets:
                inputs = [("sample", dataset.sample_dir)] + [
                    ("%d rows" % n, generate(dataset, n, data_root)) for n in sizes]
                for label, raw_dir in inputs:
                    if label == "sample":
                        times, report, target = bench.curate(dataset, raw_dir, label, args.runs)
                        sample = bench.curate_once(dataset, raw_dir, label, fingerprint=True)
                        fingerprint = sample["fingerprint"]
                        results.append({"dataset": dataset.name, "label": label, "times": times, "report": report,
                                        "raw_bytes": sum(p.stat().st_size for p in data_files(raw_dir)),
                                        "queries": bench.query_bytes(dataset, raw_dir, target)})
                        bench.floor_once(dataset, raw_dir)  # warms the floor's code paths too
                    else:
                        result, fingerprint = compare_runs(bench, dataset, raw_dir, label, args.runs, before_job)
                        ratios.append(result)
                    key = "%s/%s" % (dataset.name, label)
                    fingerprints[key] = fingerprint
                    if key in reference:
                        found = differences(reference[key], fingerprint)
                        mismatches += ["%s: %s" % (key, f) for f in found]
                        if label != "sample":
                            ratios[-1]["same_as_reference"] = "no" if found else "yes"
        finally:
            spark.stop()
    print_ratios(ratios, machine)
    print_tables(results, startup, args.master)
    if not args.no_record:
        record("curation", {"master": args.master, "startup": "%.1f s" % startup, "runs": [
            {"dataset": r["dataset"], "label": r["label"], "rows_read": r["report"]["rows_read"], "raw_bytes": r["raw_bytes"],
             "times": r["times"], "rows_written": r["report"]["rows_written"], "rows_rejected": r["report"]["rows_rejected"],
             "duplicates_removed": r["report"]["duplicates_removed"],
             "queries": [{"query": name, "partitions": days, "columns": list(columns), "raw": raw, "whole": whole, "chunks": chunks}
                         for name, days, columns, raw, whole, chunks in r["queries"]]}
            for r in results]})
        if ratios:
            record("curation_floor", {"spark_session": {"master": args.master, "driver_memory": "2g", "shuffle_partitions": 4},
                                      "host": machine, "results": ratios})
        print("recorded in %s" % RESULTS, file=sys.stderr)
    if args.fingerprints:
        Path(args.fingerprints).write_text(json.dumps(fingerprints, indent=1, sort_keys=True) + "\n")
    if mismatches:
        sys.exit("outputs differ from %s:\n  %s" % (args.compare, "\n  ".join(mismatches)))


if __name__ == "__main__":
    main()
