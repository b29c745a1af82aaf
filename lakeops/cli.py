"""Command line: ``python -m lakeops --stage dev [--project P] [--profile P] [--region R] COMMAND``.

Datasets are the stage's (published in SSM), read from their contracts in the repository;
`--project` defaults to cdk.json's, as `cdk synth` reads it.

Commands print their result on stdout and their progress on stderr; every failure is one
message on stderr and an exit code from lakeops.errors.
"""

import json
from pathlib import Path

import click
from botocore.exceptions import BotoCoreError, ClientError

from lakeops import athena, emr, glue, pipeline, quality, quicksight_check, s3data, smoke, status
from lakeops.access_command import access_command
from lakeops.aws import explain_client_error
from lakeops.context import Lake
from lakeops.errors import LakeOpsError, error_with_exit_code
from lakeops.quicksight_dashboards import quicksight_group
from lakeops.table import format_bytes, format_table

DEFAULT_TIMEOUT = 1800.0


class LakeOpsGroup(click.Group):
    """Turns the CLI's failures and unhandled AWS errors into one message and a documented exit code."""

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except LakeOpsError as err:
            self._fail(ctx, err)
        except ClientError as err:
            self._fail(ctx, explain_client_error(err))
        except BotoCoreError as err:  # no credentials, endpoint unreachable, ...
            self._fail(ctx, LakeOpsError(f"{err} (check --profile, --region and your network)"))

    @staticmethod
    def _fail(ctx: click.Context, err: LakeOpsError):
        click.echo(f"error: {err}", err=True)
        ctx.exit(err.exit_code)


def timeout_option(command):
    return click.option(
        "--timeout", type=float, default=DEFAULT_TIMEOUT, show_default=True,
        help="Seconds to wait for each long operation before giving up with exit code 4.",
    )(command)


def dataset_option(required: bool, help: str):
    return click.option("--dataset", required=required, metavar="NAME", help=help)


@click.group(cls=LakeOpsGroup)
@click.option("--stage", envvar="LAKEOPS_STAGE", help="Deployment stage, e.g. dev or prod.  [required]")
@click.option("--project", envvar="LAKEOPS_PROJECT",
              help="Project prefix of the stacks and SSM parameters.  [default: the stage's project in cdk.json]")
@click.option("--profile", help="AWS profile (default: the usual boto3 credential chain).")
# AWS_REGION as well as boto3's AWS_DEFAULT_REGION: the CDK CLI and the README's deploy steps use it.
@click.option("--region", envvar="AWS_REGION",
              help="AWS region (default: AWS_REGION, else AWS_DEFAULT_REGION or the profile's region).")
@click.option("--poll-interval", envvar="LAKEOPS_POLL_INTERVAL", type=float, default=5.0, show_default=True,
              help="Seconds between status checks while waiting.")
@click.option("--datasets-dir", type=click.Path(file_okay=False, path_type=Path),
              help="Where the dataset contracts and their sample/ folders are.  [default: cdk.json's datasets_dir, "
                   "else datasets/]")
@click.pass_context
def cli(ctx, stage, project, profile, region, poll_interval, datasets_dir):
    """Operate a deployed data-lake stage. Every resource is found through the SSM parameters
    under /{project}/{stage}/ that the stacks publish.

    Exit codes: 0 ok, 1 operation failed, 2 usage, 3 not deployed, 4 timeout, 5 access denied.
    """
    ctx.obj = Lake(project, stage, profile, region, poll_interval, datasets_dir)


@cli.command("upload-sample")
@dataset_option(False, "Only this dataset (default: every deployed dataset).")
@click.pass_obj
def upload_sample(lake: Lake, dataset):
    """Upload each dataset's sample/ data to its raw prefix (SSE-KMS with the lake key)."""
    for selected in lake.datasets(dataset):
        report = s3data.upload_sample(lake, selected)
        click.echo(format_table(["KEY", "BYTES"], [[key, f"{size:,}"] for key, size in report.objects]))
        click.echo(f"Uploaded {len(report.objects)} files, {format_bytes(report.total_bytes)}, to "
                   f"s3://{report.bucket}/{report.prefix} encrypted with KMS key {report.kms_key_arn}")


@cli.command()
@dataset_option(True, "The dataset whose raw crawler to run.")
@timeout_option
@click.pass_obj
def crawl(lake: Lake, dataset: str, timeout: float):
    """Run a dataset's raw crawler and report the tables it created or updated.

    Curated tables are declared by the catalog stack and get their partitions from the job."""
    (selected,) = lake.datasets(dataset)
    report = glue.crawl(lake, selected.name, timeout)
    click.echo(f"Crawler {report.crawler}: last crawl {report.status}")
    click.echo(f"Database {report.database}: {len(report.tables)} tables ({', '.join(report.tables) or 'none'})")
    for change, tables in (("created", report.created), ("updated", report.updated), ("deleted", report.deleted)):
        click.echo(f"  tables {change}: {', '.join(tables) or 'none'}")


@cli.command()
@click.argument("name", required=False)
@click.option("--sql", help="Ad-hoc SQL instead of a named query.")
@click.option("--database", help="raw, curated, or a Glue database name. Default: the named query's "
                                 "database, or curated for --sql.")
@click.option("--max-rows", type=click.IntRange(min=1), default=100, show_default=True,
              help="Print at most this many rows.")
@timeout_option
@click.pass_obj
def query(lake: Lake, name, sql, database, max_rows, timeout):
    """Run a named query of the workgroup (by NAME) or --sql; print rows, bytes scanned and cost."""
    if bool(name) == bool(sql):
        raise click.UsageError("give either a named query NAME or --sql, not both")
    if name:
        result = athena.run_named_query(lake, name, database, timeout, max_rows)
    else:
        result = athena.run_query(lake, sql, athena.resolve_database(lake, database or "curated"),
                                  "ad-hoc", timeout, max_rows)
    click.echo(format_table(result.columns, result.rows))
    count = f"{len(result.rows)} row{'' if len(result.rows) == 1 else 's'}"
    click.echo(f"(first {count} shown, see --max-rows)" if result.truncated else f"({count})")
    click.echo(f"Query {result.label}: execution {result.execution_id}, workgroup {result.workgroup}, "
               f"database {result.database or '-'}")
    click.echo(athena.describe_cost(result.bytes_scanned))


@cli.command("run-job")
@dataset_option(True, "The dataset to curate.")
@click.option("--start-date", type=click.DateTime(["%Y-%m-%d"]), help="First dt to curate (with --end-date).")
@click.option("--end-date", type=click.DateTime(["%Y-%m-%d"]), help="Last dt to curate (with --start-date).")
@timeout_option
@click.pass_obj
def run_job(lake: Lake, dataset, start_date, end_date, timeout):
    """Submit a dataset's curation Spark job as an EMR step, wait for it, print its report."""
    if bool(start_date) != bool(end_date):
        raise click.UsageError("give both --start-date and --end-date, or neither (curate everything)")
    if start_date and start_date > end_date:
        raise click.UsageError("--start-date is after --end-date")
    start, end = (start_date.date(), end_date.date()) if start_date else (None, None)
    emr.refuse_transient(lake)
    lake.require(*emr.RUN_JOB_PARAMS)  # every missing parameter at once, before anything runs
    (selected,) = lake.datasets(dataset)
    run = emr.run_curation(lake, selected, start, end, timeout)
    click.echo(f"Step {run.step.step_id} on cluster {run.step.cluster_id}: {run.step.state} "
               f"in {run.step.elapsed_seconds:.0f}s")
    click.echo(f"Step logs: {run.step.log_location or '(the cluster has no LogUri)'}")
    for line in emr.report_lines(run):
        click.echo(line)


@cli.command("run-pipeline")
@click.option("--name", help="Execution name (default: manual-<UTC time>); names are unique per state machine.")
@timeout_option
@click.pass_obj
def run_pipeline(lake: Lake, name, timeout):
    """Start one run of the stage's curation pipeline and follow it: progress on stderr, each
    step's result and log location on stdout. Exit codes as for every command (1 if the run
    failed, timed out or was stopped; 4 if --timeout passed first)."""
    report = pipeline.run_pipeline(lake, name, timeout)
    for line in pipeline.step_lines(report.output):
        click.echo(line)
    click.echo(f"Pipeline run {report.execution_arn}: {report.status} in {report.elapsed_seconds:.0f}s")


@cli.command("status")
@click.pass_obj
def status_command(lake: Lake):
    """Show whether each resource of the stage exists, with its key facts."""
    rows = status.stage_status(lake)
    click.echo(format_table(["RESOURCE", "NAME", "EXISTS", "DETAILS"],
                            [[row.resource, row.name, row.exists, row.details] for row in rows]))
    code = status.exit_code(rows)
    if code:
        raise error_with_exit_code(
            code, f"stage '{lake.stage.name}' is not fully usable: see the rows whose EXISTS is 'no' or 'unknown'.")


@cli.command("smoke-test")
@dataset_option(False, "Only this dataset (default: every deployed dataset).")
@timeout_option
@click.pass_obj
def smoke_test(lake: Lake, dataset, timeout: float):
    """Per dataset: upload, crawl, query raw, curate, query curated; fail unless curated scans fewer bytes."""
    lake.require(*smoke.stage_params(lake))  # every missing parameter at once, before anything changes
    test = smoke.SmokeTest(lake, lake.datasets(dataset), timeout)
    checks = test.run()
    click.echo(format_table(["STEP", "RESULT", "DETAIL"], [[c.step, c.result, c.detail] for c in checks]))
    for run in test.runs:
        click.echo("")
        for line in emr.report_lines(run):
            click.echo(line)
    if test.error:
        click.echo("Smoke test FAILED")
        raise test.error
    click.echo("Smoke test PASSED")


@cli.command("data-quality")
@dataset_option(True, "The dataset whose curated table to evaluate.")
@click.option("--min-score", type=click.FloatRange(0, 1), default=1.0, show_default=True,
              help="Exit 1 when the score is below this (1.0: every rule must pass).")
@timeout_option
@click.pass_obj
def data_quality(lake: Lake, dataset, min_score, timeout):
    """Run a dataset's Glue Data Quality ruleset on its curated table and print the score."""
    (selected,) = lake.datasets(dataset)
    report = quality.evaluate(lake, selected.name, timeout)
    click.echo(format_table(["RULE", "RESULT", "DETAIL"], [[r.rule, r.result, r.message] for r in report.rules]))
    click.echo(f"Data quality of {report.dataset} ({report.table}, ruleset {report.ruleset}, run {report.run_id}): "
               f"score {report.score:.2f}, {report.passed} of {len(report.rules)} rules passed")
    if report.score < min_score:
        raise LakeOpsError(f"the data quality score {report.score:.2f} of {report.dataset} is below --min-score {min_score:g}")


@cli.command("check-quicksight")
@click.option("--account-id", help="Account to check (default: the account of your credentials, from STS).")
@click.option("--subscription-only", is_flag=True,
              help="Check only the account subscription; needs no deployed stage.")
@click.option("--print-manifest", is_flag=True,
              help="Print the S3 data source's manifest to upload, and exit (reads only SSM).")
@click.option("--no-manifest", is_flag=True, help="The stage has no S3 data source (quicksight.s3_source: false).")
@click.option("--table", "tables", multiple=True,
              help="A curated table a QuickSight dataset reads: it must exist with partitions (repeatable).")
@click.pass_obj
def check_quicksight(lake: Lake, account_id, subscription_only, print_manifest, no_manifest, tables):
    """Before deploying QuickSight: the account subscription (DescribeAccountSubscription), the S3
    manifest, the curated tables, and the stacks the QuickSight stack builds on.

    Exit codes: 0 ready, 1 not ready, 3 a prerequisite stack not deployed, 5 access denied.
    """
    if print_manifest:
        click.echo(json.dumps(quicksight_check.manifest(lake.param("storage/curated-bucket")), indent=2))
        return
    curated_bucket, database = None, None
    if not subscription_only:
        # The QuickSight stack reads the workgroup and the curated database: their stacks must be there.
        curated_bucket, database, _ = lake.require("storage/curated-bucket", "catalog/curated-database", "analytics/workgroup")
    verdicts = quicksight_check.run_checks(
        lake.client, account_id, None if no_manifest else curated_bucket, () if subscription_only else tables, database
    )
    for verdict in verdicts:
        click.echo(verdict.line())
    code = quicksight_check.exit_code(verdicts)
    if code:
        raise error_with_exit_code(code, "QuickSight is not ready for this stage: fix the lines marked NOT READY, then deploy.")


# `quicksight export | diff | embed-url` (lakeops.quicksight_dashboards).
cli.add_command(quicksight_group)
cli.add_command(access_command)
