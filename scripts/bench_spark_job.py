#!/usr/bin/env python3
"""Benchmark the curation job locally and compare raw CSV with curated Parquet bytes.

Prints Markdown. Timings: the Spark session start (JVM + SparkContext) is measured once,
then the job runs --runs times in that warm session, each into a fresh folder; the
median of those runs is the job time. Bytes:

* storage: all raw ``*.csv`` vs all curated ``*.parquet`` files (Hadoop's ``.crc`` and
  ``_SUCCESS`` side files are not counted: they are not written to S3);
* the example query ``SELECT dt, channel, SUM(quantity * unit_price) FROM sales
  WHERE dt BETWEEN '2026-01-01' AND '2026-01-07' GROUP BY dt, channel``:
  - raw: Athena reads the whole CSV files of the matching partitions;
  - Parquet, reported estimate: for each file of the matching partitions, the
    compressed size of the column chunks of ``channel``, ``quantity`` and ``unit_price``
    (``ColumnChunkMetaData.getTotalSize``, read from the footers with parquet-hadoop
    through Spark's JVM), plus the footer and its 8-byte trailer, which Athena reads to
    locate the chunks. ``dt`` is a folder name, not stored in the files;
  - Parquet, upper bound: the whole files of the matching partitions. For files this
    small it is also the likely Athena figure: Trino, Athena v3's engine, reads a Parquet
    file under ``parquet.small-file-threshold`` (3 MB by default) whole, and reads
    footers in one 48 KB tail request. Column pruning pays off on files of many MB.
Athena bills at least 10 MB per query, so on a sample this small both cost the same;
the ratios are what carries over to real volumes.
"""
import argparse
import importlib.util
import statistics
import struct
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
JOB = REPO / "spark_jobs" / "curate_sales" / "curate_sales.py"
QUERY_COLUMNS = ("channel", "quantity", "unit_price")
QUERY_DAYS = ("2026-01-01", "2026-01-07")


def load_job():
    spec = importlib.util.spec_from_file_location("curate_sales", JOB)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def files(root, suffix):
    """Data files only: names starting with '.' or '_' are Hadoop side files."""
    return [p for p in Path(root).rglob("*" + suffix) if not p.name.startswith((".", "_"))]


def in_range(path):
    dt = next(part[3:] for part in path.parts if part.startswith("dt="))
    return QUERY_DAYS[0] <= dt <= QUERY_DAYS[1]


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
    conf = spark._jsc.hadoopConfiguration()
    hfile = jvm.org.apache.parquet.hadoop.util.HadoopInputFile.fromPath(
        jvm.org.apache.hadoop.fs.Path("file://" + str(path.resolve())), conf)
    reader = jvm.org.apache.parquet.hadoop.ParquetFileReader.open(hfile)
    try:
        total = 0
        for block in reader.getFooter().getBlocks():
            for chunk in block.getColumns():
                if chunk.getPath().toDotString() in columns:
                    total += chunk.getTotalSize()
        return total
    finally:
        reader.close()


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--source", default=str(REPO / "sample_data" / "sales"))
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--master", default="local[2]")
    parser.add_argument("--shuffle-partitions", default="4")
    args = parser.parse_args(argv)

    job = load_job()
    from pyspark.sql import SparkSession

    t0 = time.perf_counter()
    spark = (SparkSession.builder.master(args.master).appName("bench_curate_sales")
             .config("spark.ui.enabled", "false").config("spark.ui.showConsoleProgress", "false")
             .config("spark.sql.shuffle.partitions", args.shuffle_partitions)
             .config("spark.driver.host", "127.0.0.1")
             .config("spark.driver.bindAddress", "127.0.0.1")
             .getOrCreate())
    spark.sparkContext.setLogLevel("ERROR")
    startup = time.perf_counter() - t0

    with tempfile.TemporaryDirectory(prefix="bench_curate_") as tmp:
        times = []
        for i in range(args.runs):
            target = Path(tmp) / ("run%d" % i) / "sales"
            t = time.perf_counter()
            summary = job.main(["--source", args.source, "--target", str(target), "--no-catalog"],
                               spark=spark)
            times.append(time.perf_counter() - t)
        csvs, parquets = files(args.source, ".csv"), files(target, ".parquet")
        raw_total = sum(p.stat().st_size for p in csvs)
        pq_total = sum(p.stat().st_size for p in parquets)
        raw_query = sum(p.stat().st_size for p in csvs if in_range(p))
        pq_files = [p for p in parquets if in_range(p)]
        pq_upper = sum(p.stat().st_size for p in pq_files)
        pq_chunks = sum(column_chunk_bytes(spark, p, QUERY_COLUMNS) for p in pq_files)
        pq_footers = sum(footer_bytes(p) for p in pq_files)
    spark.stop()

    pq_query = pq_chunks + pq_footers
    print("## Curation job, local (%s, spark.sql.shuffle.partitions=%s)\n"
          % (args.master, args.shuffle_partitions))
    print("| measure | value |\n|---|---:|")
    print("| Spark session start (JVM + SparkContext), once | %.2f s |" % startup)
    print("| job runs in the warm session | %s |" % " / ".join("%.2f s" % t for t in times))
    print("| **job median of %d runs** | **%.2f s** |" % (len(times), statistics.median(times)))
    print("| rows read / written | %d / %d |" % (summary["rows_read"], summary["rows_written"]))
    print("| partitions written | %d |\n" % len(summary["partitions_written"]))
    print("## Bytes: raw CSV vs curated Snappy Parquet\n")
    print("| bytes | raw CSV | curated Parquet | Parquet / CSV |\n|---|---:|---:|---:|")
    print("| stored, all %d days (%d vs %d files) | %d | %d | %.1f%% |"
          % (len(summary["partitions_written"]), len(csvs), len(parquets),
             raw_total, pq_total, 100.0 * pq_total / raw_total))
    span = "dt %s..%s" % QUERY_DAYS
    print("| query reads, %s: whole files of the matching partitions | %d | %d | %.1f%% |"
          % (span, raw_query, pq_upper, 100.0 * pq_upper / raw_query))
    print("| query reads, %s: Parquet column chunks + footers only | %d | %d | %.1f%% |"
          % (span, raw_query, pq_query, 100.0 * pq_query / raw_query))
    print("\nRaw: whole CSV files of the matching partitions (CSV cannot skip columns).")
    print("Parquet, column-pruned: %d bytes of column chunks (%s) + %d bytes of footers, %d files;"
          % (pq_chunks, ", ".join(QUERY_COLUMNS), pq_footers, len(pq_files)))
    print("what Athena reads from large files. Open-source Trino (Athena v3's engine) reads")
    print("files under 3 MB whole (parquet.small-file-threshold), so for this sample Athena")
    print("likely reports the whole-file figure.")
    print("Athena bills at least 10 MB per query: on this sample both queries cost the same.")


if __name__ == "__main__":
    main()
