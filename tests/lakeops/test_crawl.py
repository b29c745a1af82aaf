"""crawl: waits with progress, reports table changes, explains a failed crawl."""

from moto.moto_api import state_manager

from tests.lakeops.fakes import client, create_sales_table


def test_crawl_raw_reports_created_tables(deployed, sim, run_cli):
    sim.plan_crawl(deployed.raw_crawler, on_finish=lambda: create_sales_table(
        deployed.raw_database, deployed.raw_bucket, ["2024-01-01", "2024-01-02"]))
    result = run_cli("crawl", "raw")
    assert result.exit_code == 0, result.output
    assert result.stdout == (
        f"Crawler {deployed.raw_crawler}: last crawl SUCCEEDED\n"
        f"Database {deployed.raw_database}: 1 tables (sales)\n"
        "  tables created: sales\n"
        "  tables updated: none\n"
        "  tables deleted: none\n"
    )
    assert f"crawler {deployed.raw_crawler}: RUNNING (0s elapsed)" in result.stderr


def test_crawl_curated_reports_updated_tables(deployed, sim, run_cli):
    create_sales_table(deployed.curated_database, deployed.curated_bucket, ["2024-01-01"], parquet=True)

    def add_column():
        glue = client("glue")
        table = glue.get_table(DatabaseName=deployed.curated_database, Name="sales")["Table"]
        table["StorageDescriptor"]["Columns"].append({"Name": "currency", "Type": "string"})
        glue.update_table(DatabaseName=deployed.curated_database, TableInput={
            key: table[key] for key in ("Name", "StorageDescriptor", "PartitionKeys")})

    sim.plan_crawl(deployed.curated_crawler, on_finish=add_column)
    result = run_cli("crawl", "curated")
    assert result.exit_code == 0, result.output
    assert "  tables created: none\n  tables updated: sales\n" in result.stdout


def test_failed_crawl_prints_error_and_log_location(deployed, sim, run_cli):
    sim.plan_crawl(deployed.raw_crawler, status="FAILED",
                   error="Service Principal: glue.amazonaws.com is not authorized to perform: kms:Decrypt")
    result = run_cli("crawl", "raw")
    assert result.exit_code == 1
    assert result.stderr.endswith(
        f"error: crawler {deployed.raw_crawler} FAILED: Service Principal: glue.amazonaws.com is not "
        "authorized to perform: kms:Decrypt\n"
        f"  Logs: CloudWatch Logs group /aws-glue/crawlers, stream {deployed.raw_crawler}\n"
    )
    assert "Crawler" not in result.stdout


def test_crawl_times_out_with_exit_4(deployed, sim, run_cli):
    state_manager.set_transition("glue::crawl", {"progression": "manual", "times": 10**9})
    result = run_cli("crawl", "raw", "--timeout", "0.05")
    assert result.exit_code == 4
    assert f"waiting for crawler {deployed.raw_crawler}, still RUNNING" in result.stderr
    assert f"'aws glue get-crawler --name {deployed.raw_crawler}'" in result.stderr


def test_crawl_rejects_an_unknown_zone(run_cli):
    result = run_cli("crawl", "bronze")
    assert result.exit_code == 2


def test_a_crawl_already_running_is_waited_for(deployed, sim, run_cli):
    state_manager.set_transition("glue::crawl", {"progression": "manual", "times": 4})  # a longer crawl
    client("glue").start_crawler(Name=deployed.raw_crawler)
    result = run_cli("crawl", "raw")
    assert result.exit_code == 0, result.output
    assert f"crawler {deployed.raw_crawler} is already running; waiting for that run instead" in result.stderr
    assert "last crawl SUCCEEDED" in result.stdout


def test_a_crawler_that_does_not_exist_means_not_deployed(deployed, sim, run_cli):
    client("glue").delete_crawler(Name=deployed.curated_crawler)
    result = run_cli("crawl", "curated")
    assert result.exit_code == 3
    assert (f"crawler {deployed.curated_crawler} (from /datalake/dev/catalog/curated-crawler) does not exist; "
            "redeploy stack datalake-dev-catalog.") in result.stderr
