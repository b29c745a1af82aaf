"""query: named and ad-hoc queries, rows, bytes and cost; failed, cancelled, over the cutoff."""

import json

from moto.athena.models import athena_backends

from tests.helpers import absent_name
from tests.lakeops.fakes import ACCOUNT, FIRST, PREFIX, QUERY_NAMES, RAW_QUERY, REGION, client

REVENUE = {"columns": ["dt", "revenue"], "rows": [["2024-01-01", "12.5"], ["2024-01-02", "7.25"]]}


def last_execution():
    executions = athena_backends[ACCOUNT][REGION].executions
    return list(executions.values())[-1]


def test_named_query_prints_rows_bytes_and_cost(deployed, sim, run_cli):
    sim.plan_query(bytes_scanned=25_000_000, **REVENUE)
    result = run_cli("query", RAW_QUERY)
    assert result.exit_code == 0, result.output
    execution = last_execution()
    assert result.stdout == (
        "dt          revenue\n"
        "----------  -------\n"
        "2024-01-01  12.5\n"
        "2024-01-02  7.25\n"
        "(2 rows)\n"
        f"Query {RAW_QUERY}: execution {execution.id}, workgroup {deployed.workgroup}, "
        f"database {deployed.raw_database}\n"
        # 25,000,000 bytes = 23.84 MB, billed as 24 MB: 24 / 2**20 TB * USD 5
        "Data scanned: 25,000,000 bytes (23.8 MiB); billed 24 MB = USD 0.00011444 at USD 5.00 per TB\n"
    )
    # it ran the named query's SQL, in the workgroup, against the named query's database
    (query,) = [q for q in FIRST.named_queries if q.query_name("raw") == RAW_QUERY]
    assert execution.query == query.render(database=deployed.raw_database, table=FIRST.raw_table)
    assert execution.workgroup.name == deployed.workgroup
    assert execution.context == {"Database": deployed.raw_database}
    assert f"query {RAW_QUERY}: RUNNING (0s elapsed)" in result.stderr


def test_ad_hoc_sql_defaults_to_the_curated_database(deployed, sim, run_cli):
    sim.plan_query(bytes_scanned=0, columns=["n"], rows=[["3"]])
    result = run_cli("query", "--sql", "SELECT count(*) AS n FROM sales")
    assert result.exit_code == 0, result.output
    assert last_execution().context == {"Database": deployed.curated_database}
    assert "n\n-\n3\n(1 row)\n" in result.stdout
    assert "Data scanned: 0 bytes; billed 10 MB = USD 0.00004768" in result.stdout


def test_database_alias_raw_and_max_rows(deployed, sim, run_cli):
    sim.plan_query(bytes_scanned=1, columns=["dt"], rows=[[f"2024-01-0{d}"] for d in range(1, 6)])
    result = run_cli("query", "--sql", "SELECT dt FROM sales", "--database", "raw", "--max-rows", "2")
    assert result.exit_code == 0, result.output
    assert last_execution().context == {"Database": deployed.raw_database}
    assert "2024-01-02\n(first 2 rows shown, see --max-rows)" in result.stdout
    assert "2024-01-03" not in result.stdout


def test_failed_query_prints_the_state_change_reason(deployed, sim, run_cli):
    sim.plan_query(state="FAILED", reason="TABLE_NOT_FOUND: line 1:15: Table 'awsdatacatalog.raw.sales' does not exist")
    result = run_cli("query", RAW_QUERY)
    assert result.exit_code == 1
    execution_id = last_execution().id
    assert result.stderr.endswith(
        f"error: query {RAW_QUERY} FAILED (execution {execution_id}, workgroup {deployed.workgroup}): "
        "TABLE_NOT_FOUND: line 1:15: Table 'awsdatacatalog.raw.sales' does not exist\n"
        f"  Failed queries are not billed. Details: 'aws athena get-query-execution --query-execution-id "
        f"{execution_id}'.\n"
    )
    assert result.stdout == ""


def test_cancelled_query_says_it_was_billed(deployed, sim, run_cli):
    sim.plan_query(state="CANCELLED", bytes_scanned=52_428_800, reason="Query was cancelled by user")
    result = run_cli("query", RAW_QUERY)
    assert result.exit_code == 1
    assert f"error: query {RAW_QUERY} CANCELLED" in result.stderr
    assert "Query was cancelled by user" in result.stderr
    assert "Data scanned: 52,428,800 bytes (50.0 MiB); billed 50 MB = USD 0.00023842" in result.stderr


def test_bytes_scanned_limit_names_the_setting_to_raise(deployed, sim, run_cli):
    sim.plan_query(state="FAILED", bytes_scanned=deployed.cutoff_bytes,
                   reason="Query exhausted resources: Bytes scanned limit was exceeded")
    result = run_cli("query", "--sql", "SELECT * FROM sales")
    assert result.exit_code == 1
    assert (f"error: query ad-hoc FAILED: it exceeded the per-query data usage limit of workgroup "
            f"{deployed.workgroup}: Query exhausted resources: Bytes scanned limit was exceeded\n"
            "  The workgroup setting BytesScannedCutoffPerQuery is 1,073,741,824 bytes (1.0 GiB). "
            f"Raise it on workgroup {deployed.workgroup} (set by stack {PREFIX}-analytics), or make the "
            "query scan less") in result.stderr


def test_query_timeout_exits_4_and_says_how_to_stop_it(deployed, sim, run_cli):
    sim.stall_queries()
    result = run_cli("query", RAW_QUERY, "--timeout", "0.05")
    assert result.exit_code == 4
    execution_id = last_execution().id
    assert f"query {RAW_QUERY}: QUEUED (0s elapsed)" in result.stderr
    assert f"waiting for query {RAW_QUERY}, still QUEUED" in result.stderr
    assert f"'aws athena stop-query-execution --query-execution-id {execution_id}'" in result.stderr


def test_unknown_named_query_lists_the_available_ones(deployed, sim, run_cli):
    unknown = absent_name()
    result = run_cli("query", unknown)
    assert result.exit_code == 1
    assert (f"no named query '{unknown}' in workgroup {deployed.workgroup} "
            f"(available: {', '.join(QUERY_NAMES)})") in result.stderr


def test_named_queries_are_found_across_pages_and_batches(deployed, sim, run_cli):
    athena = client("athena")
    for i in range(60):  # ListNamedQueries pages at 50, BatchGetNamedQuery takes at most 50 ids
        athena.create_named_query(Name=f"filler_{i:02}", Database=deployed.raw_database,
                                  QueryString="SELECT 1", WorkGroup=deployed.workgroup)
    athena.create_named_query(Name="last_one", Database=deployed.curated_database,
                              QueryString="SELECT 'found' AS x", WorkGroup=deployed.workgroup)
    sim.plan_query(columns=["x"], rows=[["found"]])
    result = run_cli("query", "last_one")
    assert result.exit_code == 0, result.output
    assert last_execution().query == "SELECT 'found' AS x"


def test_name_and_sql_together_is_a_usage_error(run_cli):
    assert run_cli("query", RAW_QUERY, "--sql", "SELECT 1").exit_code == 2
    assert run_cli("query").exit_code == 2


def test_output_json_is_one_document_with_rows_bytes_and_cost(deployed, sim, run_cli):
    """`--output json`, as the AWS CLI's: stdout holds only the JSON, progress stays on stderr."""
    sim.plan_query(bytes_scanned=25_000_000, **REVENUE)
    result = run_cli("query", RAW_QUERY, "--output", "json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == {
        "query": RAW_QUERY, "execution_id": last_execution().id, "workgroup": deployed.workgroup,
        "database": deployed.raw_database, **REVENUE, "truncated": False,
        # as the text output above: 24 MB billed, USD 0.00011444
        "bytes_scanned": 25_000_000, "billed_megabytes": 24, "cost_usd": 24 * 5 / 2**20,
    }
    assert f"query {RAW_QUERY}: RUNNING (0s elapsed)" in result.stderr
