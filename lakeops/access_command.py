"""The `access` command (registered in lakeops.cli)."""
import click

from lakeops import access
from lakeops.errors import LakeOpsError
from lakeops.table import format_table


@click.command("access")
@click.option("--check", is_flag=True, help="Fail (exit 1) if a governed consumer may read a restricted column.")
@click.pass_obj
def access_command(lake, check: bool):
    """Who may read which curated tables and columns, from the deployed Lake Formation grants."""
    mode, rows = access.stage_access(lake)
    if mode == "iam":
        click.echo(f"stage '{lake.stage.name}' uses governance mode iam: IAM policies decide access; no Lake Formation grants.")
        return
    click.echo(f"governance mode: {mode}")
    click.echo(format_table(["PRINCIPAL", "TABLE", "READS", "HIDDEN"],
                            [[r.principal, r.table, ", ".join(r.readable), ", ".join(r.hidden) or "-"] for r in rows]))
    if check and (leaks := access.restricted_leaks(lake, rows)):
        raise LakeOpsError("restricted columns readable by governed consumers: " + "; ".join(leaks))
