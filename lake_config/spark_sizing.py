"""Spark settings of a curation step, from the cluster's instance types and the dataset's size class.

A contract may declare `customProperties: [{property: sizeClass, value: small|medium|large}]`
(default small): the most raw data one daily run reads. With the EMR settings it gives the
`spark-submit --conf` options of the dataset's step (`step_spark_conf`). The arithmetic, with
the defaults (spark_jobs/curate/README.md, "Spark settings on EMR", shows it worked out):

* Executors: 4 cores each, one capacity unit (an xlarge, 4 vCPUs), so an executor fits every
  type of the fleets and larger types hold several. Memory: the YARN share of the smallest
  memory per vCPU among the core and task types (`YARN_SHARE` of the instance's memory, which
  is what EMR gives YARN on the m and r families, 12288 of 16384 MiB on an xlarge), per 4
  vCPUs, minus a 10 % memory overhead, in whole 512 MiB steps.
* Shuffle partitions: enough for the class's biggest day at `ADVISORY_BYTES` per partition,
  at least two per core at the fleets' maximum capacity; adaptive execution (on) coalesces
  small ones, so a small day does not pay for many partitions.
* Curated files per partition: the class's biggest day as Snappy Parquet (`PARQUET_SHARE` of
  the raw bytes, measured by scripts/bench_spark_job.py) in files of about `TARGET_FILE_BYTES`;
  Athena (Trino) reads files under 3 MB whole and opens each file separately, so few large
  files beat many small ones.
"""
from __future__ import annotations

import math
import re

from lake_config.emr_settings import EmrSettings, capacity_units

GIB = 1024**3
MIB = 1024**2
# The most raw bytes one day of a dataset of each class reads.
SIZE_CLASSES = {"small": 1 * GIB, "medium": 20 * GIB, "large": 200 * GIB}
DEFAULT_SIZE_CLASS = "small"
VCPUS_PER_UNIT = 4
EXECUTOR_CORES = VCPUS_PER_UNIT
# GiB of memory per vCPU by family letter (c compute, m general, r memory, x extra memory).
MEMORY_PER_VCPU_GIB = {"c": 2, "m": 4, "r": 8, "x": 16}
# Families not listed count as the least memory per vCPU, so executors always fit.
UNKNOWN_MEMORY_PER_VCPU_GIB = min(MEMORY_PER_VCPU_GIB.values())
YARN_SHARE = 0.75
MEMORY_OVERHEAD = 0.10
ADVISORY_BYTES = 128 * MIB
# Curated Snappy Parquet bytes per raw byte: 0.25 rounds up what the bench measures (CSV and JSON lines).
PARQUET_SHARE = 0.25
TARGET_FILE_BYTES = 512 * MIB
# Read by spark_jobs/curate/curate.py (FILES_PER_PARTITION_CONF).
FILES_PER_PARTITION_CONF = "spark.lake.curate.filesPerPartition"


def size_class(value: object) -> str:
    """The contract's sizeClass (None: the default), or ValueError naming what is allowed."""
    if value is None:
        return DEFAULT_SIZE_CLASS
    if value not in SIZE_CLASSES:
        raise ValueError(f"customProperties.sizeClass must be one of {', '.join(SIZE_CLASSES)} (got {value!r})")
    return value


def memory_per_vcpu_gib(instance_type: str) -> int:
    family = re.match(r"[a-z]+", instance_type).group(0)  # m6g.xlarge -> m, x2gd.xlarge -> x, im4gn -> im
    return MEMORY_PER_VCPU_GIB.get(family, UNKNOWN_MEMORY_PER_VCPU_GIB)


def executor_memory_mib(emr: EmrSettings) -> tuple[int, int]:
    """(heap, overhead) MiB of one 4-core executor on the leanest type of the core and task fleets."""
    leanest = min(memory_per_vcpu_gib(t) for t in emr.core_instance_types + emr.task_instance_types)
    container = int(leanest * EXECUTOR_CORES * 1024 * YARN_SHARE)
    heap = int(container / (1 + MEMORY_OVERHEAD)) // 512 * 512
    return heap, container - heap


def max_cores(emr: EmrSettings) -> int:
    """Executor cores at the fleets' maximum capacity (managed scaling counts core and task units)."""
    return emr.max_capacity_units * VCPUS_PER_UNIT


def step_spark_conf(emr: EmrSettings, size: str) -> dict[str, str]:
    """The Spark settings of a curation step of a dataset of class `size` on this cluster."""
    day = SIZE_CLASSES[size_class(size)]
    heap, overhead = executor_memory_mib(emr)
    partitions = max(2 * max_cores(emr), math.ceil(day / ADVISORY_BYTES))
    files = max(1, math.ceil(day * PARQUET_SHARE / TARGET_FILE_BYTES))
    return {
        "spark.executor.cores": str(EXECUTOR_CORES),
        "spark.executor.memory": f"{heap}m",
        "spark.executor.memoryOverhead": f"{overhead}m",
        "spark.sql.adaptive.enabled": "true",
        "spark.sql.adaptive.coalescePartitions.enabled": "true",
        "spark.sql.adaptive.advisoryPartitionSizeInBytes": str(ADVISORY_BYTES),
        "spark.sql.shuffle.partitions": str(partitions),
        FILES_PER_PARTITION_CONF: str(files),
    }


def spark_submit_options(emr: EmrSettings, size: str) -> list[str]:
    """`--conf key=value` pairs for spark-submit, in a stable order."""
    return [arg for key, value in sorted(step_spark_conf(emr, size).items()) for arg in ("--conf", f"{key}={value}")]


def fleet_units(emr: EmrSettings) -> dict[str, int]:
    """Capacity units by fleet at maximum capacity: on-demand core, spot task (for cost estimates)."""
    return {"core_on_demand": emr.on_demand_capacity_units, "task_spot": emr.max_capacity_units - emr.on_demand_capacity_units}


__all__ = ["SIZE_CLASSES", "DEFAULT_SIZE_CLASS", "size_class", "step_spark_conf", "spark_submit_options",
           "executor_memory_mib", "max_cores", "fleet_units", "capacity_units"]
