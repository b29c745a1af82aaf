"""crawl: a dataset's raw crawler, waited for with progress; table changes; a failed crawl explained."""

from moto.moto_api import state_manager

from tests.lakeops.conftest import SAMPLE_DATES
from tests.lakeops.fakes import FIRST, PARAMS, PREFIX, SETTINGS, client, create_table


def test_crawl_reports_the_table_it_created(deployed, sim, run_cli):
    for dataset in SETTINGS.datasets:
        crawler = deployed.raw_crawler(dataset.name)
        sim.plan_crawl(crawler, on_finish=lambda d=dataset: create_table(d, deployed.raw_database, deployed.raw_bucket, list(SAMPLE_DATES)))
        result = run_cli("crawl", "--dataset", dataset.name)
        assert result.exit_code == 0, result.output
        assert result.stdout.startswith(f"Crawler {crawler}: last crawl SUCCEEDED\n")
        assert f"  tables created: {dataset.raw_table}\n  tables updated: none\n  tables deleted: none\n" in result.stdout
        assert f"crawler {crawler}: RUNNING (0s elapsed)" in result.stderr


def test_a_recrawl_reports_updated_tables(deployed, sim, run_cli):
    create_table(FIRST, deployed.raw_database, deployed.raw_bucket, [SAMPLE_DATES[0]])

    def add_column():
        glue = client("glue")
        table = glue.get_table(DatabaseName=deployed.raw_database, Name=FIRST.raw_table)["Table"]
        table["StorageDescriptor"]["Columns"].append({"Name": "extra", "Type": "string"})
        glue.update_table(DatabaseName=deployed.raw_database, TableInput={
            key: table[key] for key in ("Name", "StorageDescriptor", "PartitionKeys")})

    sim.plan_crawl(deployed.raw_crawler(FIRST.name), on_finish=add_column)
    result = run_cli("crawl", "--dataset", FIRST.name)
    assert result.exit_code == 0, result.output
    assert f"  tables created: none\n  tables updated: {FIRST.raw_table}\n" in result.stdout


def test_failed_crawl_prints_error_and_log_location(deployed, sim, run_cli):
    crawler = deployed.raw_crawler(FIRST.name)
    sim.plan_crawl(crawler, status="FAILED",
                   error="Service Principal: glue.amazonaws.com is not authorized to perform: kms:Decrypt")
    result = run_cli("crawl", "--dataset", FIRST.name)
    assert result.exit_code == 1
    assert result.stderr.endswith(
        f"error: crawler {crawler} FAILED: Service Principal: glue.amazonaws.com is not "
        "authorized to perform: kms:Decrypt\n"
        f"  Logs: CloudWatch Logs group /aws-glue/crawlers, stream {crawler}\n"
    )
    assert "Crawler" not in result.stdout


def test_crawl_times_out_with_exit_4(deployed, sim, run_cli):
    state_manager.set_transition("glue::crawl", {"progression": "manual", "times": 10**9})
    crawler = deployed.raw_crawler(FIRST.name)
    result = run_cli("crawl", "--dataset", FIRST.name, "--timeout", "0.05")
    assert result.exit_code == 4
    assert f"waiting for crawler {crawler}, still RUNNING" in result.stderr
    assert f"'aws glue get-crawler --name {crawler}'" in result.stderr


def test_crawl_needs_a_dataset(run_cli):
    assert run_cli("crawl").exit_code == 2
    assert run_cli("crawl", "raw").exit_code == 2


def test_a_crawl_already_running_is_waited_for(deployed, sim, run_cli):
    state_manager.set_transition("glue::crawl", {"progression": "manual", "times": 4})  # a longer crawl
    crawler = deployed.raw_crawler(FIRST.name)
    client("glue").start_crawler(Name=crawler)
    result = run_cli("crawl", "--dataset", FIRST.name)
    assert result.exit_code == 0, result.output
    assert f"crawler {crawler} is already running; waiting for that run instead" in result.stderr
    assert "last crawl SUCCEEDED" in result.stdout


def test_a_crawler_that_does_not_exist_means_not_deployed(deployed, sim, run_cli):
    crawler = deployed.raw_crawler(FIRST.name)
    client("glue").delete_crawler(Name=crawler)
    result = run_cli("crawl", "--dataset", FIRST.name)
    assert result.exit_code == 3
    assert (f"crawler {crawler} (from {PARAMS}catalog/datasets/{FIRST.name}/raw-crawler) does not exist; "
            f"redeploy stack {PREFIX}-catalog.") in result.stderr
