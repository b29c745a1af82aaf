"""Athena queries: named or ad hoc, run in the stage's workgroup, with their cost."""

import re
from dataclasses import dataclass
from decimal import Decimal

from lakeops.errors import LakeOpsError
from lakeops.table import format_bytes
from lakeops.waiting import custom_waiter, wait_for

WORKGROUP_PARAM = "analytics/workgroup"
DATABASE_ALIASES = {"raw": "catalog/raw-database", "curated": "catalog/curated-database"}

# Published Athena SQL price (https://aws.amazon.com/athena/pricing/): USD 5.00 per TB of data
# scanned, data scanned rounded up to the nearest megabyte, with a 10 MB minimum per query.
# AWS bills in binary units, so a MB is 2**20 bytes and a TB is 2**20 MB.
PRICE_USD_PER_TB = Decimal("5.00")
BYTES_PER_MB = 2**20
MB_PER_TB = 2**20
MINIMUM_BILLED_MB = 10

# Athena stops a query at the workgroup's BytesScannedCutoffPerQuery and says so only in the
# StateChangeReason (e.g. "Bytes scanned limit was exceeded"); the state may be FAILED or CANCELLED.
_DATA_LIMIT_REASON = re.compile(r"bytes scanned limit|data[ -]usage limit|BytesScannedCutoffPerQuery", re.I)
_BATCH_GET_LIMIT = 50  # BatchGetNamedQuery accepts at most 50 ids


def billed_megabytes(bytes_scanned: int) -> int:
    return max(MINIMUM_BILLED_MB, -(-bytes_scanned // BYTES_PER_MB))


def query_cost_usd(bytes_scanned: int) -> Decimal:
    """What Athena charges for one query that scanned ``bytes_scanned``."""
    return PRICE_USD_PER_TB * billed_megabytes(bytes_scanned) / MB_PER_TB


def describe_cost(bytes_scanned: int) -> str:
    return (
        f"Data scanned: {format_bytes(bytes_scanned)}; billed {billed_megabytes(bytes_scanned)} MB "
        f"= USD {query_cost_usd(bytes_scanned):.8f} at USD {PRICE_USD_PER_TB} per TB"
    )


@dataclass
class QueryResult:
    label: str
    execution_id: str
    workgroup: str
    database: str
    columns: list[str]
    rows: list[list[str]]
    truncated: bool
    bytes_scanned: int

    @property
    def cost_usd(self) -> Decimal:
        return query_cost_usd(self.bytes_scanned)


def find_named_query(athena, workgroup: str, name: str) -> dict:
    """The workgroup's named query called ``name`` (names are not unique in Athena; first wins)."""
    ids = [
        query_id
        for page in athena.get_paginator("list_named_queries").paginate(WorkGroup=workgroup)
        for query_id in page["NamedQueryIds"]
    ]
    found = []
    for start in range(0, len(ids), _BATCH_GET_LIMIT):
        batch = athena.batch_get_named_query(NamedQueryIds=ids[start:start + _BATCH_GET_LIMIT])
        found.extend(batch["NamedQueries"])
    for query in found:
        if query["Name"] == name:
            return query
    available = ", ".join(sorted(query["Name"] for query in found)) or "none"
    raise LakeOpsError(f"no named query '{name}' in workgroup {workgroup} (available: {available})")


def resolve_database(lake, database: str | None) -> str | None:
    """``raw``/``curated`` mean the stage's databases; anything else is a literal database name."""
    if database in DATABASE_ALIASES:
        return lake.param(DATABASE_ALIASES[database])
    return database


def run_named_query(lake, name: str, database: str | None, timeout: float, max_rows: int) -> QueryResult:
    workgroup = lake.param(WORKGROUP_PARAM)
    query = find_named_query(lake.client("athena"), workgroup, name)
    database = resolve_database(lake, database) or query.get("Database")
    return run_query(lake, query["QueryString"], database, name, timeout, max_rows)


def run_query(lake, sql: str, database: str | None, label: str, timeout: float, max_rows: int) -> QueryResult:
    """Runs ``sql`` in the stage's workgroup, whose settings (result location, encryption,
    bytes-scanned cutoff) are enforced, so the CLI passes no ResultConfiguration of its own."""
    workgroup = lake.param(WORKGROUP_PARAM)
    athena = lake.client("athena")
    request = {"QueryString": sql, "WorkGroup": workgroup}
    if database:
        request["QueryExecutionContext"] = {"Database": database}
    execution_id = athena.start_query_execution(**request)["QueryExecutionId"]
    lake.progress(f"  started {label} as query execution {execution_id}")
    wait_for(
        custom_waiter("QueryExecutionFinished", athena),
        label=f"query {label}", state_path="QueryExecution.Status.State", timeout=timeout,
        poll_interval=lake.poll_interval, progress=lake.progress,
        on_timeout=(f"check it with 'aws athena get-query-execution --query-execution-id {execution_id}' "
                    f"or stop it with 'aws athena stop-query-execution --query-execution-id {execution_id}'."),
        QueryExecutionId=execution_id,
    )
    execution = athena.get_query_execution(QueryExecutionId=execution_id)["QueryExecution"]
    bytes_scanned = execution.get("Statistics", {}).get("DataScannedInBytes", 0)
    if execution["Status"]["State"] != "SUCCEEDED":
        raise _query_failure(lake, athena, label, workgroup, execution, bytes_scanned)
    columns, rows, truncated = _fetch_rows(athena, execution_id, max_rows)
    return QueryResult(label, execution_id, workgroup, database or "", columns, rows, truncated, bytes_scanned)


def _fetch_rows(athena, execution_id: str, max_rows: int) -> tuple[list[str], list[list[str]], bool]:
    columns, rows = None, []
    for page in athena.get_paginator("get_query_results").paginate(QueryExecutionId=execution_id):
        page_rows = [[cell.get("VarCharValue", "") for cell in row["Data"]] for row in page["ResultSet"]["Rows"]]
        if columns is None:
            info = page["ResultSet"]["ResultSetMetadata"]["ColumnInfo"]
            columns = [column.get("Label") or column["Name"] for column in info]
            # A SELECT's first row repeats the column names; SHOW/DESCRIBE results have no such row.
            if page_rows and page_rows[0] == columns:
                page_rows = page_rows[1:]
        rows.extend(page_rows)
        if len(rows) > max_rows:
            return columns, rows[:max_rows], True
    return columns or [], rows, False


def _query_failure(lake, athena, label: str, workgroup: str, execution: dict, bytes_scanned: int) -> LakeOpsError:
    status = execution["Status"]
    state, execution_id = status["State"], execution["QueryExecutionId"]
    reason = status.get("StateChangeReason") or status.get("AthenaError", {}).get("ErrorMessage") or "(no reason given)"
    # Failed queries are free; cancelled ones (including those stopped by the cutoff) are billed.
    billing = f"{describe_cost(bytes_scanned)}." if state == "CANCELLED" else "Failed queries are not billed."
    look = f"Details: 'aws athena get-query-execution --query-execution-id {execution_id}'."
    if _DATA_LIMIT_REASON.search(reason):
        configuration = athena.get_work_group(WorkGroup=workgroup)["WorkGroup"]["Configuration"]
        cutoff = configuration.get("BytesScannedCutoffPerQuery")
        limit = format_bytes(cutoff) if cutoff else "(not readable)"
        return LakeOpsError(
            f"query {label} {state}: it exceeded the per-query data usage limit of workgroup {workgroup}: {reason}\n"
            f"  The workgroup setting BytesScannedCutoffPerQuery is {limit}. Raise it on workgroup {workgroup} "
            f"(set by stack {lake.resources.publisher(WORKGROUP_PARAM)}), or make the query scan less: "
            "filter on the dt partition, or query the curated Parquet table.\n"
            f"  {billing} {look}"
        )
    return LakeOpsError(
        f"query {label} {state} (execution {execution_id}, workgroup {workgroup}): {reason}\n  {billing} {look}"
    )
