#!/usr/bin/env python3
"""Benchmark the generic curation job on every shipped dataset, and on large generated sets.

Prints Markdown. For each dataset: the shipped sample, then `--rows` raw rows made by
scripts/generate_sample_data.py into a temporary folder (never into the repository).

* Time: the Spark session starts once (measured); each job run is timed in that warm
  session, into a fresh folder; rows per second is raw rows read / median run time.
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
import statistics
import struct
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from lake_config import load_settings  # noqa: E402
from lake_config.datasets import curation_step_arguments  # noqa: E402
from scripts.bench_results import record  # noqa: E402

RAW_BUCKET, CURATED_BUCKET = "raw-bucket", "curated-bucket"
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


class Bench:
    def __init__(self, spark, job, root):
        self.spark, self.job, self.root = spark, job, Path(root)

    def curate(self, dataset, raw_dir, label, runs):
        """Times of `runs` job runs over raw_dir, and the last run's report and target."""
        times, report = [], None
        for i in range(runs):
            out = self.root / ("%s-%s-%d" % (dataset.name, label, i))
            args = curation_step_arguments(dataset, script_uri="-", raw_bucket=RAW_BUCKET, curated_bucket=CURATED_BUCKET,
                                           database="unused", run_id="bench")[4:] + ["--no-catalog"]
            args = [a.replace("s3://%s/%s" % (RAW_BUCKET, dataset.raw_prefix), str(raw_dir) + "/")
                     .replace("s3://%s/" % CURATED_BUCKET, str(out) + "/") for a in args]
            started = time.perf_counter()
            with contextlib.redirect_stdout(io.StringIO()):
                report = self.job.main(args, spark=self.spark)
            times.append(time.perf_counter() - started)
        return times, report, out / dataset.curated_prefix

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
    parser.add_argument("--rows", type=int, default=1_000_000, help="raw rows of each generated set (0: samples only)")
    parser.add_argument("--runs", type=int, default=3, help="job runs per sample (generated sets run once)")
    parser.add_argument("--master", default="local[2]")
    parser.add_argument("--stage", default="dev", help="stage whose datasets are benchmarked")
    args = parser.parse_args(argv)

    generator = load(REPO / "scripts" / "generate_sample_data.py", "generate_sample_data")
    job = load(REPO / "spark_jobs" / "curate" / "curate.py", "curate")
    # every dataset of the stage runs on its own sample; a generated set where it has a generator
    datasets = list(load_settings({**CONTEXT, "stage": args.stage}).datasets)
    from pyspark.sql import SparkSession

    started = time.perf_counter()
    spark = (SparkSession.builder.master(args.master).appName("bench-curate")
             .config("spark.ui.enabled", "false").config("spark.ui.showConsoleProgress", "false")
             .config("spark.driver.memory", "2g").config("spark.sql.shuffle.partitions", "4")
             .config("spark.driver.host", "127.0.0.1").config("spark.driver.bindAddress", "127.0.0.1")
             .getOrCreate())
    spark.sparkContext.setLogLevel("ERROR")
    startup = time.perf_counter() - started
    results = []
    with tempfile.TemporaryDirectory(prefix="bench_curate_") as tmp:
        bench = Bench(spark, job, tmp)
        for dataset in datasets:
            inputs = [("sample", dataset.sample_dir, args.runs)]
            if args.rows and dataset.name in generator.GENERATORS:
                raw_dir = Path(tmp) / "generated" / dataset.name
                generator.GENERATORS[dataset.name][0](args.rows).write(raw_dir)
                inputs.append(("%d rows" % args.rows, raw_dir, 1))
            for label, raw_dir, runs in inputs:
                times, report, target = bench.curate(dataset, raw_dir, label.replace(" ", ""), runs)
                results.append({"dataset": dataset.name, "label": label, "times": times, "report": report,
                                "raw_bytes": sum(p.stat().st_size for p in data_files(raw_dir)),
                                "queries": bench.query_bytes(dataset, raw_dir, target)})
                print("%s %s: %.1f s" % (dataset.name, label, statistics.median(times)), file=sys.stderr)
    spark.stop()
    print_tables(results, startup, args.master)
    record("curation", {"master": args.master, "startup": "%.1f s" % startup, "runs": [
        {"dataset": r["dataset"], "label": r["label"], "rows_read": r["report"]["rows_read"], "raw_bytes": r["raw_bytes"], "times": r["times"],
         "rows_written": r["report"]["rows_written"], "rows_rejected": r["report"]["rows_rejected"],
         "duplicates_removed": r["report"]["duplicates_removed"],
         "queries": [{"query": name, "partitions": days, "columns": list(columns), "raw": raw, "whole": whole, "chunks": chunks}
                     for name, days, columns, raw, whole, chunks in r["queries"]]}
        for r in results]})


if __name__ == "__main__":
    main()
