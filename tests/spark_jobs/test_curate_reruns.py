"""Re-runs and late events: re-running one day rewrites exactly that day's partition, with
the same rows, and leaves every other curated and quarantine partition alone, even where the
raw folder of that day holds late events of the day before."""
import datetime
import shutil

import pytest

from tests.spark_jobs.local_lake import LocalLake, files, generated_datasets, read_parquet, shipped_datasets

# The re-run is checked against the generator's ledger of late and dirty rows.
DATASETS = sorted(d.name for d in generated_datasets())


def _rerun_day(dataset, sample, dirt_kinds, generator):
    """A day whose folder holds late events of the day before and whose own late events
    arrive after it, where there are any; else the day with the most dirt."""
    late = [d for d in sample.dirt if dirt_kinds[d.kind][1] == generator.LATE]
    both = sorted({d.folder for d in late} & {d.event_day for d in late})
    if both:
        return both[0]
    assert dataset.allowed_lateness_days == 0 or not late
    busiest = {}
    for dirt in sample.dirt:
        busiest[dirt.folder] = busiest.get(dirt.folder, 0) + 1
    return max(sorted(busiest), key=busiest.get)


def _days(first, count):
    start = datetime.date.fromisoformat(first)
    return [(start + datetime.timedelta(days=i)).isoformat() for i in range(count)]


def _partition_rows(spark, root, partition, day):
    df = read_parquet(spark, root).filter("`%s` = '%s'" % (partition, day))
    return sorted(tuple(str(v) for v in row) for row in df.collect())


@pytest.mark.parametrize("name", DATASETS)
def test_rerunning_one_day_rewrites_only_that_partition(name, full_run, job, spark, tmp_path, generator):
    dataset, sample, dirt_kinds, full = full_run(name)
    lake = LocalLake(tmp_path)
    lake.add_raw(dataset, dataset.sample_dir)
    shutil.copytree(full.target, lake.root / "curated" / dataset.curated_prefix)
    shutil.copytree(full.quarantine, lake.root / "curated" / dataset.quarantine_prefix)
    day = _rerun_day(dataset, sample, dirt_kinds, generator)
    before, quarantine_before = files(full.target), files(full.quarantine)
    rows_before = _partition_rows(spark, full.target, dataset.partition, day)

    rerun = lake.curate(job, spark, dataset, run_id="rerun-1", start_date=day, end_date=day)

    report = rerun.report
    read = [d for d in _days(day, dataset.allowed_lateness_days + 1) if d in full.report["rows_read_per_folder"]]
    assert sorted(report["rows_read_per_folder"]) == read
    assert report["partitions_written"] == [day]
    assert report["rows_per_partition"] == {day: full.report["rows_per_partition"][day]}
    assert _partition_rows(spark, rerun.target, dataset.partition, day) == rows_before
    rejected = [d for d in sample.dirt if d.folder in read and ":" in dirt_kinds[d.kind][1]]
    duplicates = [d for d in sample.dirt if d.event_day == day and dirt_kinds[d.kind][1] == generator.DUPLICATE]
    assert report["rows_rejected"] == len(rejected)
    assert report["duplicates_removed"] == len(duplicates)
    assert report["rows_outside_range"] == report["rows_read"] - report["rows_written"] - len(rejected) - len(duplicates)
    if dataset.allowed_lateness_days:
        assert report["rows_outside_range"] > 0, "the folders read hold rows of other days"

    after = files(rerun.target)
    own = "%s=%s/" % (dataset.partition, day)
    others = {k: v for k, v in before.items() if not k.startswith(own)}
    assert len(others) == len(before) - 1 and {k: v for k, v in after.items() if not k.startswith(own)} == others
    new_files = [k for k in after if k.startswith(own)]
    assert len(new_files) == 1 and new_files[0] not in before, "the partition was rewritten, not appended to"

    quarantine_after = files(rerun.quarantine)
    rewritten = {k for k in quarantine_after if k.split("/")[0][3:] in read}
    assert {k: v for k, v in quarantine_after.items() if k not in rewritten} == \
        {k: v for k, v in quarantine_before.items() if k.split("/")[0][3:] not in read}
    assert sorted({k.split("/")[0][3:] for k in rewritten}) == report["quarantine_partitions_written"]


def test_late_events_are_curated_into_their_own_day(full_run, spark, generator):
    late_checked = 0
    for name in DATASETS:
        dataset, sample, dirt_kinds, run = full_run(name)
        late = [d for d in sample.dirt if dirt_kinds[d.kind][1] == generator.LATE]
        if not late:
            continue
        df = read_parquet(spark, run.target)
        key = dataset.key[0]
        where = {r[0]: r[1] for r in df.filter(df[key].isin([d.key for d in late])).select(key, dataset.partition).collect()}
        assert where == {d.key: d.event_day for d in late}
        assert all(d.folder > d.event_day for d in late)
        late_checked += len(late)
    assert late_checked > 0, "a shipped sample has late events"


def test_a_range_without_raw_folders_writes_nothing_and_says_so(job, spark, tmp_path):
    dataset = next(d for d in shipped_datasets())
    lake = LocalLake(tmp_path)
    lake.add_raw(dataset, dataset.sample_dir)
    run = lake.curate(job, spark, dataset, run_id="empty-1", start_date="2030-01-01", end_date="2030-01-02")
    assert (run.report["rows_read"], run.report["rows_written"], run.report["partitions_written"]) == (0, 0, [])
    assert not run.target.exists() and not run.quarantine.exists()
    assert run.report_file.is_file()
