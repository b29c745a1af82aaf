"""``smoke-test``: the whole pipeline once after a deploy, ending in a pass/fail summary.

upload-sample -> crawl raw -> query revenue_by_day_raw -> run-job (run-pipeline on a transient
stage) -> check the curated table -> query revenue_by_day_curated -> same results? -> does
curated scan fewer bytes?

The curated crawler is not run: the curation job registers the curated table and its
partitions itself (it is given --database and --table), so a crawl would only repeat that,
cost crawler time, and could overwrite the schema the job declared. The smoke test instead
checks that the job did register the table, which is the job's contract.
"""

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from botocore.exceptions import ClientError

from lakeops import athena, emr, glue, pipeline, s3data
from lakeops.aws import error_code, explain_client_error
from lakeops.errors import LakeOpsError
from lakeops.table import format_bytes

RAW_QUERY = "revenue_by_day_raw"
CURATED_QUERY = "revenue_by_day_curated"
MAX_ROWS = 1000
SALES_TABLE = emr.CURATED_TABLE  # the raw crawler and the job both name the table "sales"
SMOKE_PARAMS = tuple(dict.fromkeys(
    s3data.UPLOAD_PARAMS + (glue.CRAWLER_PARAM["raw"], athena.WORKGROUP_PARAM) + emr.RUN_JOB_PARAMS
))
# A transient stage has no cluster between runs: the pipeline creates one.
TRANSIENT_SMOKE_PARAMS = tuple(p for p in SMOKE_PARAMS if p != emr.CLUSTER_PARAM) + (pipeline.PIPELINE_PARAM,)


@dataclass
class Check:
    step: str
    result: str  # PASS / FAIL / SKIPPED
    detail: str


class SmokeTest:
    """Runs steps in order; after the first failure the rest are SKIPPED, since each needs the last."""

    def __init__(self, lake, sample_dir, timeout: float):
        self.lake, self.sample_dir, self.timeout = lake, sample_dir, timeout
        self.checks: list[Check] = []
        self.error: LakeOpsError | None = None

    def _step(self, name: str, action):
        if self.error:
            self.checks.append(Check(name, "SKIPPED", "an earlier step failed"))
            return None
        self.lake.progress(f"== {name}")
        try:
            value, detail = action()
        except ClientError as err:
            return self._fail(name, explain_client_error(err))
        except LakeOpsError as err:
            return self._fail(name, err)
        self.checks.append(Check(name, "PASS", detail))
        return value

    def _fail(self, name: str, err: LakeOpsError) -> None:
        """Keeps the first failure: the CLI raises it after the summary, with its full message."""
        self.error = err
        self.checks.append(Check(name, "FAIL", str(err).splitlines()[0]))

    def run(self) -> list[Check]:
        transient = self.lake.resources.get("emr/mode") == "transient"
        # Report every missing parameter before changing anything in the account.
        self.lake.require(*(TRANSIENT_SMOKE_PARAMS if transient else SMOKE_PARAMS))
        self._step("upload-sample", self._upload)
        self._step("crawl raw", self._crawl_raw)
        raw = self._step(f"query {RAW_QUERY}", lambda: self._query(RAW_QUERY))
        if transient:
            self._step("run-pipeline", self._run_pipeline)
        else:
            self._step("run-job", self._run_job)
        self._step("curated table registered", self._curated_table)
        curated = self._step(f"query {CURATED_QUERY}", lambda: self._query(CURATED_QUERY))
        self._step("same results raw vs curated", lambda: _same_results(raw, curated))
        self._step("curated scans fewer bytes", lambda: _cheaper(raw, curated))
        return self.checks

    def _upload(self):
        report = s3data.upload_sample(self.lake, self.sample_dir)
        return report, f"{len(report.objects)} files, {format_bytes(report.total_bytes)}"

    def _crawl_raw(self):
        report = glue.crawl(self.lake, "raw", self.timeout)
        if SALES_TABLE not in report.tables:
            raw_bucket = self.lake.param("storage/raw-bucket")
            raise LakeOpsError(
                f"crawler {report.crawler} {report.status} but database {report.database} has no table "
                f"'{SALES_TABLE}': check the crawler's S3 target (s3://{raw_bucket}/{s3data.SALES_PREFIX}) "
                f"and its log stream {report.crawler} in {glue.CRAWLER_LOG_GROUP}"
            )
        return report, f"{report.status}; created: {', '.join(report.created) or 'none'}; " \
                       f"updated: {', '.join(report.updated) or 'none'}"

    def _query(self, name: str):
        result = athena.run_named_query(self.lake, name, None, self.timeout, MAX_ROWS)
        return result, f"{len(result.rows)} rows, {format_bytes(result.bytes_scanned)} scanned, " \
                       f"USD {result.cost_usd:.8f}"

    def _run_job(self):
        report = emr.run_curation(self.lake, None, None, self.timeout)
        return report, f"step {report.step_id} {report.state} in {report.elapsed_seconds:.0f}s"

    def _run_pipeline(self):
        report = pipeline.run_pipeline(self.lake, None, self.timeout)
        return report, f"{report.status} in {report.elapsed_seconds:.0f}s: " + "; ".join(pipeline.step_lines(report.output))

    def _curated_table(self):
        database = self.lake.param("catalog/curated-database")
        glue_client = self.lake.client("glue")
        try:
            glue_client.get_table(DatabaseName=database, Name=SALES_TABLE)
        except ClientError as err:
            if error_code(err) != "EntityNotFoundException":
                raise
            raise LakeOpsError(
                f"table {database}.{SALES_TABLE} does not exist after the curation job, which should "
                "register it: check the step logs; 'crawl curated' registers it from the files."
            ) from err
        partitions = glue.partition_count(glue_client, database, SALES_TABLE)
        if not partitions:
            raise LakeOpsError(f"table {database}.{SALES_TABLE} has no partitions after the curation job")
        return None, f"{database}.{SALES_TABLE}, {partitions} partitions"


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
        raise LakeOpsError(f"{RAW_QUERY} returned {len(raw.rows)} rows but {CURATED_QUERY} {len(curated.rows)}")
    for raw_row, curated_row in zip(_by_dimensions(raw.rows), _by_dimensions(curated.rows)):
        if len(raw_row) != len(curated_row) or not all(map(_cells_match, raw_row, curated_row)):
            raise LakeOpsError(f"{RAW_QUERY} has row {raw_row} where {CURATED_QUERY} has {curated_row}")
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
