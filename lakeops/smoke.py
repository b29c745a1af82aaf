"""``smoke-test``: the whole pipeline once per dataset after a deploy, ending in a pass/fail summary.

For each deployed dataset: upload-sample -> crawl raw -> query <q>_raw -> run-job (its report is
printed) -> curated partitions registered -> query <q>_curated -> same results? -> does curated
scan fewer bytes? `<q>` is the first named query the contract declares over both zones; a
dataset without one skips the comparison. On a transient stage (emr.mode transient) there is no
cluster to submit to: one run-pipeline, which curates every dataset on a cluster of its own,
takes the place of the run-job steps.

Nothing crawls the curated zone: its tables are declared from the contracts and the curation
job registers the partitions it writes, so the smoke test checks that it did.
A failed step skips the rest of its dataset; the other datasets still run.
"""

from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from botocore.exceptions import ClientError

from lakeops import access, athena, emr, glue, pipeline, s3data
from lakeops.aws import error_code, explain_client_error
from lakeops.discovery import dataset_param
from lakeops.errors import LakeOpsError
from lakeops.table import format_bytes

MAX_ROWS = 1000
SMOKE_PARAMS = tuple(dict.fromkeys(s3data.UPLOAD_PARAMS + (athena.WORKGROUP_PARAM,) + emr.RUN_JOB_PARAMS))
# A transient stage has no cluster between runs: the pipeline creates one.
TRANSIENT_SMOKE_PARAMS = tuple(p for p in SMOKE_PARAMS if p != emr.CLUSTER_PARAM) + (pipeline.PIPELINE_PARAM,)


def stage_params(lake) -> tuple[str, ...]:
    """What the smoke test needs of the stage: a cluster, or on a transient stage its pipeline."""
    return TRANSIENT_SMOKE_PARAMS if lake.resources.get("emr/mode") == "transient" else SMOKE_PARAMS


@dataclass
class Check:
    step: str
    result: str  # PASS / FAIL / SKIPPED
    detail: str


@dataclass
class SmokeTest:
    """Runs each dataset's steps in order; after a failure the rest of that dataset is SKIPPED."""

    lake: object
    datasets: list
    timeout: float
    checks: list[Check] = field(default_factory=list)
    runs: list = field(default_factory=list)
    error: LakeOpsError | None = None

    def run(self) -> list[Check]:
        transient = self.lake.resources.get("emr/mode") == "transient"
        # Report every missing parameter before changing anything in the account.
        self.lake.require(*stage_params(self.lake), *(dataset_param(d.name, p) for d in self.datasets for p in ("raw-crawler", "curated-table")))
        self._governance_step()
        smokes = [_DatasetSmoke(self, dataset) for dataset in self.datasets]
        if not transient:
            for smoke in smokes:
                smoke.before_curation()
                smoke.step("run-job", smoke.run_job)
                smoke.after_curation()
            return self.checks
        for smoke in smokes:
            smoke.before_curation()
        ran = self._pipeline_step()
        for smoke in smokes:
            if not ran:
                smoke.failed = True
            smoke.after_curation()
        return self.checks

    def _governance_step(self) -> None:
        """A governed stage: no opted-in consumer (analysts, QuickSight) may read a restricted column."""
        if (self.lake.resources.get(access.MODE) or "iam") == "iam":
            return
        try:
            self.checks.append(Check("governance", "PASS", access.check_restricted_hidden(self.lake)))
        except LakeOpsError as err:
            self.error = self.error or err
            self.checks.append(Check("governance", "FAIL", str(err).splitlines()[0]))

    def _pipeline_step(self) -> bool:
        """One pipeline run for every dataset; False (and the rest SKIPPED) when it did not succeed."""
        self.lake.progress("== run-pipeline")
        try:
            report = pipeline.run_pipeline(self.lake, None, self.timeout)
        except ClientError as err:
            return self._pipeline_failed(explain_client_error(err))
        except LakeOpsError as err:
            return self._pipeline_failed(err)
        detail = f"{report.status} in {report.elapsed_seconds:.0f}s: " + "; ".join(pipeline.step_lines(report.output))
        self.checks.append(Check("run-pipeline", "PASS", detail))
        self._read_reports(report)
        return True

    def _read_reports(self, report) -> None:
        """Each dataset's curation report of the run: the pipeline's steps use its execution name as run id."""
        run_id = report.execution_arn.rsplit(":", 1)[-1]
        curated_bucket = self.lake.param("storage/curated-bucket")
        logs = {step.get("dataset"): step.get("logs") for step in report.output.get("steps", [])}
        for dataset in self.datasets:
            key = f"{dataset.report_prefix}{run_id}.json"
            step = emr.StepReport("(transient)", "-", "COMPLETED", report.elapsed_seconds, logs.get(dataset.name))
            job_report = emr.read_report(self.lake, curated_bucket, key, logs.get(dataset.name))
            self.runs.append(emr.CurationRun(dataset.name, run_id, step, f"s3://{curated_bucket}/{key}", job_report))

    def _pipeline_failed(self, err: LakeOpsError) -> bool:
        self.error = self.error or err
        self.checks.append(Check("run-pipeline", "FAIL", str(err).splitlines()[0]))
        return False


class _DatasetSmoke:
    def __init__(self, test: SmokeTest, dataset):
        self.test, self.lake, self.dataset = test, test.lake, dataset
        self.failed = False
        self.raw = None
        both = [q for q in dataset.named_queries if set(q.zones) == {"raw", "curated"}]
        self.query = both[0] if both else None

    def step(self, name: str, action):
        step = f"{self.dataset.name}: {name}"
        if self.failed:
            self.test.checks.append(Check(step, "SKIPPED", "an earlier step failed"))
            return None
        self.lake.progress(f"== {step}")
        try:
            value, detail = action()
        except ClientError as err:
            return self._fail(step, explain_client_error(err))
        except LakeOpsError as err:
            return self._fail(step, err)
        self.test.checks.append(Check(step, "PASS", detail))
        return value

    def _fail(self, step: str, err: LakeOpsError) -> None:
        """Keeps the first failure: the CLI raises it after the summary, with its full message."""
        self.failed = True
        self.test.error = self.test.error or err
        self.test.checks.append(Check(step, "FAIL", str(err).splitlines()[0]))

    def before_curation(self) -> None:
        self.step("upload-sample", self._upload)
        self.step("crawl raw", self._crawl_raw)
        self.raw = self._query("raw")

    def after_curation(self) -> None:
        self.step("curated partitions registered", self._curated_partitions)
        curated = self._query("curated")
        if self.query:
            self.step("same results raw vs curated", lambda: _same_results(self.raw, curated))
            self.step("curated scans fewer bytes", lambda: _cheaper(self.raw, curated))

    def _query(self, zone: str):
        if not self.query:
            self.test.checks.append(Check(f"{self.dataset.name}: query {zone}", "SKIPPED",
                                          "the contract declares no named query over both zones"))
            return None
        name = self.query.query_name(zone)
        return self.step(f"query {name}", lambda: _run_query(self.lake, name, self.test.timeout))

    def _upload(self):
        report = s3data.upload_sample(self.lake, self.dataset)
        return report, f"{len(report.objects)} files, {format_bytes(report.total_bytes)}"

    def _crawl_raw(self):
        report = glue.crawl(self.lake, self.dataset.name, self.test.timeout)
        table = self.dataset.raw_table
        if table not in report.tables:
            raw_bucket = self.lake.param("storage/raw-bucket")
            raise LakeOpsError(
                f"crawler {report.crawler} {report.status} but database {report.database} has no table "
                f"'{table}': check the crawler's S3 target (s3://{raw_bucket}/{self.dataset.raw_prefix}) "
                f"and its log stream {report.crawler} in {glue.CRAWLER_LOG_GROUP}"
            )
        return report, f"{report.status}; created: {', '.join(report.created) or 'none'}; " \
                       f"updated: {', '.join(report.updated) or 'none'}"

    def run_job(self):
        run = emr.run_curation(self.lake, self.dataset, None, None, self.test.timeout)
        self.test.runs.append(run)
        report = run.report
        return run, (f"step {run.step.step_id} {run.step.state} in {run.step.elapsed_seconds:.0f}s; "
                     f"read {report.get('rows_read', '?')}, written {report.get('rows_written', '?')}, "
                     f"rejected {report.get('rows_rejected', '?')}")

    def _curated_partitions(self):
        database = self.lake.param("catalog/curated-database")
        table = self.lake.param(dataset_param(self.dataset.name, "curated-table"))
        try:
            partitions = glue.partition_count(self.lake.client("glue"), database, table)
        except ClientError as err:
            if error_code(err) != "EntityNotFoundException":
                raise
            raise LakeOpsError(
                f"table {database}.{table} does not exist: the catalog stack declares it; redeploy "
                f"{self.lake.resources.publisher('catalog/curated-database')}"
            ) from err
        if not partitions:
            raise LakeOpsError(f"table {database}.{table} has no partitions after the curation job, which registers "
                               "the partitions it writes: check the step logs")
        return None, f"{database}.{table}, {partitions} partitions"


def _run_query(lake, name: str, timeout: float):
    result = athena.run_named_query(lake, name, None, timeout, MAX_ROWS)
    return result, f"{len(result.rows)} rows, {format_bytes(result.bytes_scanned)} scanned, USD {result.cost_usd:.8f}"


# Raw sums doubles (1234.5600000000002), curated sums decimal(12,2) (1234.56): numbers are
# compared to within a cent, everything else exactly.
MONEY_TOLERANCE = Decimal("0.01")


def _number(value: str) -> Decimal | None:
    try:
        number = Decimal(value)
    except InvalidOperation:
        return None
    return number if number.is_finite() else None


def _by_dimensions(rows: list[list[str]]) -> list[list[str]]:
    """Rows ordered by their non-numeric cells (dt, channel), whatever ORDER BY each query has."""
    return sorted(rows, key=lambda row: [value for value in row if _number(value) is None])


def _cells_match(raw: str, curated: str) -> bool:
    raw_number, curated_number = _number(raw), _number(curated)
    if raw_number is None or curated_number is None:
        return raw == curated
    return abs(raw_number - curated_number) <= MONEY_TOLERANCE


def _same_results(raw, curated):
    if len(raw.rows) != len(curated.rows):
        raise LakeOpsError(f"{raw.label} returned {len(raw.rows)} rows but {curated.label} {len(curated.rows)}")
    for raw_row, curated_row in zip(_by_dimensions(raw.rows), _by_dimensions(curated.rows)):
        if len(raw_row) != len(curated_row) or not all(map(_cells_match, raw_row, curated_row)):
            raise LakeOpsError(f"{raw.label} has row {raw_row} where {curated.label} has {curated_row}")
    return None, f"{len(raw.rows)} rows match"


def _cheaper(raw, curated):
    """Compares bytes scanned, not cost: small samples are all billed at the 10 MB minimum."""
    if curated.bytes_scanned >= raw.bytes_scanned:
        raise LakeOpsError(
            f"the curated query scanned {format_bytes(curated.bytes_scanned)}, not less than the raw query's "
            f"{format_bytes(raw.bytes_scanned)}: check that the curated table is Parquet and partitioned by dt"
        )
    saving = 100 * (raw.bytes_scanned - curated.bytes_scanned) / raw.bytes_scanned
    return None, f"raw {raw.bytes_scanned:,} vs curated {curated.bytes_scanned:,} bytes ({saving:.0f}% less)"
