"""`lakeops quicksight export | diff | embed-url`: the console round trip and embedding of a stage's
QuickSight dashboards.

The definitions live in `datasets/<name>/dashboard.json` (lake_config.dashboard_definitions). An
edit made in the QuickSight console lands in the analysis `<prefix>-<name>-analysis`; `export`
reads it back (`DescribeAnalysisDefinition`, or the published dashboard's
`DescribeDashboardDefinition` with `--published`), turns the stage's data set ARNs back into the
repository's `{dataset-arn:<name>}` placeholders, refuses to write anything still naming the
account, region or stage, and writes the file in the repository's canonical formatting, so the
edit becomes a reviewable diff. `diff` shows what differs without writing. `embed-url` asks
`GenerateEmbedUrlForRegisteredUser` for a dashboard URL limited to the configured domains.

ML anomaly detection is not part of the definition API: botocore's QuickSight model has no
member for it (only the user capability `AddOrRunAnomalyDetectionForAnalyses`), and botocore
keeps only modelled members of a response, so an export cannot carry it. Add it in the console
after each deployment (docs/quicksight.md, "Anomaly detection (console only)").

The stage's settings come from the repository's cdk.json, like `cdk synth`.
"""
import difflib
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterator
from urllib.parse import urlencode

import click
from botocore.exceptions import ClientError

from lake_config import ConfigError, LakeSettings, load_settings
from lake_config.dashboard_definitions import (
    DashboardDefinition,
    canonical_json,
    check_definition,
    load_dashboards,
    localize,
)
from lake_config.datasets import REPOSITORY
from lakeops.aws import error_code
from lakeops.context import Lake
from lakeops.errors import LakeOpsError, NotDeployedError

CDK_JSON = REPOSITORY / "cdk.json"
SOURCES = ("analysis", "dashboard")
# STS caller ARNs that name a QuickSight user: an IAM user, or an assumed role's session
# (QuickSight names IAM-federated users `<role>/<session>`).
CALLER = re.compile(r"arn:(?P<partition>[\w-]+):(iam|sts)::(?P<account>\d{12}):(user/(?P<user>[\w+=,.@/-]+)|assumed-role/(?P<role>[\w+=,.@-]+/[\w+=,.@-]+))")
NOT_FOUND = {"ResourceNotFoundException"}


def partition(region: str) -> str:
    return "aws-cn" if region.startswith("cn-") else "aws-us-gov" if region.startswith("us-gov-") else "aws"


def stage_settings(lake: Lake) -> LakeSettings:
    """The stage's settings from cdk.json, as `cdk synth -c stage=<stage>` reads them."""
    context = json.loads(CDK_JSON.read_text())["context"]
    try:
        settings = load_settings({**context, "stage": lake.stage.name})
    except ConfigError as error:
        raise LakeOpsError(f"cannot read stage {lake.stage.name!r} from {CDK_JSON.name}: {error}") from None
    if settings.project != lake.project:
        raise click.UsageError(f"{CDK_JSON.name} names project {settings.project!r}; pass --project {settings.project}")
    if not settings.quicksight.enabled or not settings.quicksight.dashboards.enabled:
        raise LakeOpsError(f"stage {settings.stage!r} has no dashboards: quicksight.enabled and quicksight.dashboards.enabled are not both true")
    return settings


@dataclass
class StageDashboards:
    """A stage's dashboards as deployed in one account and region."""

    settings: LakeSettings
    account: str
    region: str
    definitions: dict[str, DashboardDefinition] = field(init=False)

    def __post_init__(self):
        try:
            self.definitions = {d.dataset.name: d for d in load_dashboards(self.settings.datasets)}
        except ConfigError as error:
            raise LakeOpsError(f"the repository's definitions do not pass the synth check: {error}") from None

    def definition(self, name: str) -> DashboardDefinition:
        if name not in self.definitions:
            raise click.UsageError(f"no dashboard {name!r}: this stage has {', '.join(self.definitions) or 'none'}")
        return self.definitions[name]

    def resource_id(self, name: str, source: str) -> str:
        return f"{self.settings.prefix}-{name}" + ("-analysis" if source == "analysis" else "")

    @property
    def data_set_arns(self) -> dict[str, str]:
        """The ARN of each dataset's data set in this account and region -> the dataset name."""
        base = f"arn:{partition(self.region)}:quicksight:{self.region}:{self.account}:dataset/{self.settings.prefix}-"
        return {f"{base}{dataset.name}": dataset.name for dataset in self.settings.datasets}

    def dashboard_arn(self, name: str) -> str:
        return f"arn:{partition(self.region)}:quicksight:{self.region}:{self.account}:dashboard/{self.resource_id(name, 'dashboard')}"


@dataclass
class Export:
    """A live definition in the repository's form, and what the file cannot or will not hold."""

    name: str
    source: str
    resource_id: str
    text: str
    warnings: list[str]


def export(quicksight, stage: StageDashboards, name: str, source: str) -> Export:
    """The live definition of dashboard `name`'s analysis or published dashboard, localized."""
    definition = stage.definition(name)
    resource_id = stage.resource_id(name, source)
    try:
        if source == "analysis":
            response = quicksight.describe_analysis_definition(AwsAccountId=stage.account, AnalysisId=resource_id)
        else:
            response = quicksight.describe_dashboard_definition(AwsAccountId=stage.account, DashboardId=resource_id)
    except ClientError as error:
        if error_code(error) in NOT_FOUND:
            raise NotDeployedError(
                f"{source} {resource_id} not found in account {stage.account}, {stage.region}: deploy {stage.settings.prefix}-quicksight first"
            ) from None
        raise
    warnings = [f"QuickSight reports {e.get('Type')}: {e.get('Message')}" for e in response.get("Errors") or []]
    status = response.get("ResourceStatus", "")
    if status.endswith("FAILED"):
        warnings.append(f"the {source} is {status}: QuickSight may describe only part of it")
    localized = localize(response["Definition"], stage.data_set_arns)
    leftovers = sorted(_leftovers(localized, stage))
    if leftovers:
        listed = "; ".join(f"{path} = {value!r}" for path, value in leftovers[:5])
        raise LakeOpsError(
            f"{source} {resource_id} names this account, region or stage outside its data sets, so the file would not deploy "
            f"elsewhere; not written. Replace these in the console (or in the file by hand): {listed}"
        )
    warnings += _insights_without_computations(localized)  # before the text is made: it edits `localized`
    try:
        check_definition(localized, stage.settings.datasets, definition.where)
    except ConfigError as error:
        warnings.append(f"synth will refuse this definition until the contracts or the visuals change: {error}")
    return Export(name, source, resource_id, canonical_json(localized), warnings)


def _leftovers(node: Any, stage: StageDashboards, path: str = "") -> Iterator[tuple[str, str]]:
    if isinstance(node, dict):
        for key, value in node.items():
            yield from _leftovers(value, stage, f"{path}.{key}" if path else key)
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _leftovers(value, stage, f"{path}[{index}]")
    elif isinstance(node, str) and (stage.account in node or f":{stage.region}:" in node or f"{stage.settings.prefix}-" in node):
        yield path, node


def _insights_without_computations(definition: dict) -> list[str]:
    """Drops the computations botocore could not describe (they arrive as `{}`) and says so."""
    warnings = []
    for sheet in definition.get("Sheets") or []:
        for visual in sheet.get("Visuals") or []:
            configuration = (visual.get("InsightVisual") or {}).get("InsightConfiguration")
            if configuration is None:
                continue
            described = [computation for computation in configuration.get("Computations") or [] if computation]
            if len(described) < len(configuration.get("Computations") or []) or not described:
                configuration["Computations"] = described
                warnings.append(
                    f"insight visual {visual['InsightVisual']['VisualId']!r} has a computation the definition API does not "
                    "describe (ML anomaly detection is one): the file cannot keep it; add it again in the console after "
                    "deploying (docs/quicksight.md, 'Anomaly detection (console only)')"
                )
    return warnings


def unified_diff(repository_text: str, live: Export, where: str) -> str:
    return "".join(
        difflib.unified_diff(
            repository_text.splitlines(keepends=True), live.text.splitlines(keepends=True),
            fromfile=f"{where} (repository)", tofile=f"{live.source} {live.resource_id} (account)",
        )
    )  # fmt: skip


def caller_user_arn(sts_arn: str, identity_region: str) -> str:
    """The QuickSight user of the caller: an IAM user's name, or `<role>/<session>` for a role."""
    match = CALLER.fullmatch(sts_arn)
    if not match:
        raise click.UsageError(f"cannot tell the QuickSight user of {sts_arn}: pass --user arn:aws:quicksight:<region>:<account>:user/default/<name>")
    name = match["user"] or match["role"]
    return f"arn:{match['partition']}:quicksight:{identity_region}:{match['account']}:user/default/{name}"


def embed_url(quicksight, stage: StageDashboards, name: str, user_arn: str) -> str:
    """A one-time embed URL of dashboard `name` for `user_arn`, valid on the configured domains."""
    stage.definition(name)
    embedding = stage.settings.quicksight.dashboards.embedding
    if not embedding.allowed_domains:
        raise LakeOpsError(
            f"stages.{stage.settings.stage}.quicksight.dashboards.embedding.allowed_domains is empty: list the https:// origins "
            "(or http://localhost:<port>) of the pages that embed the dashboard"
        )
    response = quicksight.generate_embed_url_for_registered_user(
        AwsAccountId=stage.account,
        SessionLifetimeInMinutes=embedding.session_lifetime_minutes,
        UserArn=user_arn,
        ExperienceConfiguration={"Dashboard": {"InitialDashboardId": stage.resource_id(name, "dashboard")}},
        AllowedDomains=list(embedding.allowed_domains),
    )
    return response["EmbedUrl"]


def embedding_page_url(page: str, embed: str, parameters: dict[str, list[str]]) -> str:
    """The embedding page with the URL and dashboard parameters in its query (embedding/index.html reads them)."""
    query = [("embedUrl", embed)] + [(f"p.{name}", value) for name, values in parameters.items() for value in values]
    return f"{page}{'&' if '?' in page else '?'}{urlencode(query)}"


def _stage(lake: Lake, account_id: str | None) -> StageDashboards:
    settings = stage_settings(lake)
    account = account_id or lake.client("sts").get_caller_identity()["Account"]
    return StageDashboards(settings, account, lake.client("quicksight").meta.region_name)


def _names(stage: StageDashboards, name: str | None) -> list[str]:
    return [stage.definition(name).dataset.name] if name else list(stage.definitions)


account_option = click.option("--account-id", help="Account of the dashboards (default: the account of your credentials, from STS).")
dashboard_option = click.option("--dashboard", "name", metavar="NAME", help="The dataset whose dashboard it is (a folder under datasets/ with a dashboard.json).")


@click.group("quicksight")
def quicksight_group():
    """Dashboards as code: export console edits to the repository, diff, embed."""


@quicksight_group.command("export")
@click.option("--dashboard", "name", metavar="NAME", required=True, help="The dataset whose dashboard it is (a folder under datasets/ with a dashboard.json).")
@click.option("--published", is_flag=True, help="Read the published dashboard instead of the analysis the console edits.")
@click.option("--output", type=click.Path(dir_okay=False, allow_dash=True, path_type=Path),
              help="Write here instead of datasets/<NAME>/dashboard.json ('-': standard output).")
@account_option
@click.pass_obj
def export_command(lake: Lake, name: str, published: bool, output: Path | None, account_id: str | None):
    """Write the live definition to datasets/NAME/dashboard.json, with the repository's placeholders.

    Anomaly detection cannot be exported: the definition API has no place for it (docs/quicksight.md).
    """
    stage = _stage(lake, account_id)
    result = export(lake.client("quicksight"), stage, name, "dashboard" if published else "analysis")
    for warning in result.warnings:
        lake.progress(f"warning: {warning}")
    if output == Path("-"):
        click.echo(result.text, nl=False)
        return
    target = output or stage.definition(name).path
    changed = not target.is_file() or target.read_text() != result.text
    target.write_text(result.text)
    click.echo(f"{'Wrote' if changed else 'Unchanged:'} {target} from {result.source} {result.resource_id}")


@quicksight_group.command("diff")
@dashboard_option
@account_option
@click.pass_obj
def diff_command(lake: Lake, name: str | None, account_id: str | None):
    """Show how the account's analyses and dashboards differ from the repository's files.

    Exit codes: 0 no differences, 1 differences (printed as unified diffs).
    """
    stage = _stage(lake, account_id)
    quicksight = lake.client("quicksight")
    differences = 0
    for dashboard in _names(stage, name):
        definition = stage.definition(dashboard)
        repository_text = definition.path.read_text()
        for source in SOURCES:
            live = export(quicksight, stage, dashboard, source)
            for warning in live.warnings:
                lake.progress(f"warning: {warning}")
            patch = unified_diff(repository_text, live, definition.where)
            differences += bool(patch)
            click.echo(patch or f"{source} {live.resource_id}: same as {definition.where}\n", nl=False)
    if differences:
        raise LakeOpsError(f"{differences} of the account's definitions differ from the repository: "
                           "`lakeops quicksight export --dashboard NAME` writes one to its file")


@quicksight_group.command("embed-url")
@click.option("--dashboard", "name", metavar="NAME", required=True, help="The dataset whose dashboard it is (a folder under datasets/ with a dashboard.json).")
@click.option("--user", "user_arn", metavar="ARN", help="QuickSight user to embed for (default: the user of your credentials).")
@click.option("--page-url", metavar="URL", help="Also print this embedding page's URL with the embed URL and parameters in its query.")
@click.option("--param", "params", metavar="NAME=VALUE", multiple=True, help="A dashboard parameter for the page, e.g. StartDate=2026-01-01.")
@account_option
@click.pass_obj
def embed_url_command(lake: Lake, name: str, user_arn: str | None, page_url: str | None, params: tuple[str, ...], account_id: str | None):
    """Print a registered-user embed URL of dashboard NAME (valid once, for five minutes).

    It embeds only in the pages of quicksight.dashboards.embedding.allowed_domains.
    """
    stage = _stage(lake, account_id)
    parameters = _parameters(stage.definition(name), params)
    if params and not page_url:
        raise click.UsageError("--param needs --page-url: the page passes parameters to the dashboard")
    identity_region = stage.settings.quicksight.identity_region
    user = user_arn or caller_user_arn(lake.client("sts").get_caller_identity()["Arn"], identity_region)
    url = embed_url(lake.client("quicksight"), stage, name, user)
    click.echo(url)
    if page_url:
        click.echo(embedding_page_url(page_url, url, parameters))


def _parameters(definition: DashboardDefinition, params: tuple[str, ...]) -> dict[str, list[str]]:
    parameters: dict[str, list[str]] = {}
    for param in params:
        key, _, value = param.partition("=")
        if key not in definition.parameter_names or not value:
            raise click.UsageError(f"--param {param!r}: give NAME=VALUE with NAME one of {', '.join(definition.parameter_names)}")
        parameters.setdefault(key, []).append(value)
    return parameters
