"""Glue crawlers and catalog tables."""

from dataclasses import dataclass, field

from botocore.exceptions import ClientError

from lakeops.aws import error_code
from lakeops.discovery import dataset_param
from lakeops.errors import LakeOpsError, NotDeployedError
from lakeops.waiting import custom_waiter, wait_for

DATABASE_PARAM = {"raw": "catalog/raw-database", "curated": "catalog/curated-database"}


def crawler_param(dataset: str) -> str:
    """Only the raw zone is crawled; curated tables are declared from the contracts."""
    return dataset_param(dataset, "raw-crawler")
CRAWLER_LOG_GROUP = "/aws-glue/crawlers"  # where Glue writes every crawler's log, stream = crawler name
CRAWL_FAILED_STATES = ("FAILED", "CANCELLED")


@dataclass
class CrawlReport:
    crawler: str
    database: str
    status: str
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    deleted: list[str] = field(default_factory=list)
    tables: list[str] = field(default_factory=list)


def table_versions(glue, database: str) -> dict[str, tuple]:
    """Table name -> what changes when a crawler rewrites it (version and update time)."""
    versions = {}
    try:
        for page in glue.get_paginator("get_tables").paginate(DatabaseName=database):
            for table in page["TableList"]:
                versions[table["Name"]] = (table.get("VersionId"), table.get("UpdateTime"))
    except ClientError as err:
        if error_code(err) != "EntityNotFoundException":
            raise
    return versions


def partition_count(glue, database: str, table: str) -> int:
    pages = glue.get_paginator("get_partitions").paginate(DatabaseName=database, TableName=table)
    return sum(len(page["Partitions"]) for page in pages)


def get_crawler(lake, glue, param: str) -> dict:
    name = lake.param(param)
    try:
        return glue.get_crawler(Name=name)["Crawler"]
    except ClientError as err:
        if error_code(err) == "EntityNotFoundException":
            raise NotDeployedError(
                f"crawler {name} (from {lake.stage.parameter_name(param)}) does not exist; "
                f"redeploy stack {lake.resources.publisher(param)}."
            ) from err
        raise


def crawl(lake, dataset: str, timeout: float) -> CrawlReport:
    """Runs the dataset's raw crawler to the end and reports which tables it created, updated or deleted.

    The table lists come from comparing the catalog before and after, which also names them
    (GetCrawlerMetrics only counts them).
    """
    glue = lake.client("glue")
    crawler = get_crawler(lake, glue, crawler_param(dataset))
    name, database = crawler["Name"], crawler["DatabaseName"]
    before = table_versions(glue, database)
    try:
        glue.start_crawler(Name=name)
        lake.progress(f"  started crawler {name}")
    except glue.exceptions.CrawlerRunningException:
        lake.progress(f"  crawler {name} is already running; waiting for that run instead")
    wait_for(
        custom_waiter("CrawlerReady", glue),
        label=f"crawler {name}", state_path="Crawler.State", timeout=timeout,
        poll_interval=lake.poll_interval, progress=lake.progress,
        on_timeout=f"check it with 'aws glue get-crawler --name {name}'.",
        Name=name,
    )
    last_crawl = glue.get_crawler(Name=name)["Crawler"].get("LastCrawl", {})
    status = last_crawl.get("Status", "UNKNOWN")
    if status in CRAWL_FAILED_STATES:
        raise LakeOpsError(
            f"crawler {name} {status}: {last_crawl.get('ErrorMessage', '(no error message)')}\n"
            f"  Logs: CloudWatch Logs group {last_crawl.get('LogGroup', CRAWLER_LOG_GROUP)}, "
            f"stream {last_crawl.get('LogStream', name)}"
        )
    after = table_versions(glue, database)
    return CrawlReport(
        crawler=name,
        database=database,
        status=status,
        created=sorted(set(after) - set(before)),
        updated=sorted(table for table in after if table in before and after[table] != before[table]),
        deleted=sorted(set(before) - set(after)),
        tables=sorted(after),
    )
