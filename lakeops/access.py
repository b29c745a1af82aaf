"""`lakeops access`: who may read which curated tables and columns, from the deployed Lake
Formation grants and LF-tags (not from the templates), and whether a governed consumer can
read a restricted column (the smoke test's governance check).

The rules are Lake Formation's (docs/governance.md): a column's tag for a key is its own, else
its table's, else its database's; a tag-policy grant covers the columns whose tags match every
key of its expression; a named table grant covers every column; ALL covers SELECT.
"""
from __future__ import annotations

from dataclasses import dataclass

from lakeops.errors import LakeOpsError

MODE, TAG, RESTRICTED, CONSUMERS = (f"governance/{name}" for name in ("mode", "classification-tag", "restricted-classifications", "governed-consumers"))


@dataclass(frozen=True)
class TableAccess:
    principal: str
    table: str
    readable: tuple[str, ...]
    hidden: tuple[str, ...]


def _pairs(tags: list[dict]) -> dict[str, str]:
    return {tag["TagKey"]: tag["TagValues"][0] for tag in tags or [] if tag.get("TagValues")}


def _column_tags(lf, database: str, table: str, columns: list[str]) -> dict[str, dict[str, str]]:
    """Each column's effective LF-tags, inherited from the table and the database."""
    inherited = _pairs(lf.get_resource_lf_tags(Resource={"Database": {"Name": database}}).get("LFTagOnDatabase"))
    inherited |= _pairs(lf.get_resource_lf_tags(Resource={"Table": {"DatabaseName": database, "Name": table}}).get("LFTagsOnTable"))
    own = lf.get_resource_lf_tags(Resource={"TableWithColumns": {"DatabaseName": database, "Name": table, "ColumnNames": columns}})
    by_column = {entry["Name"]: _pairs(entry["LFTags"]) for entry in own.get("LFTagsOnColumns") or []}
    return {column: inherited | by_column.get(column, {}) for column in columns}


def _grants(lf) -> list[dict]:
    found, token = [], None
    while True:
        page = lf.list_permissions(**({"NextToken": token} if token else {}))
        found += page.get("PrincipalResourcePermissions", [])
        token = page.get("NextToken")
        if not token:
            return found


def _selects(grant: dict, database: str, table: str, column: str, tags: dict[str, str]) -> bool:
    if not {"SELECT", "ALL"} & set(grant.get("Permissions", [])):
        return False
    resource = grant.get("Resource", {})
    if "Table" in resource:
        named = resource["Table"]
        return named.get("DatabaseName") == database and ("TableWildcard" in named or named.get("Name") == table)
    if "TableWithColumns" in resource:
        named = resource["TableWithColumns"]
        if (named.get("DatabaseName"), named.get("Name")) != (database, table):
            return False
        if "ColumnWildcard" in named:
            return column not in named["ColumnWildcard"].get("ExcludedColumnNames", [])
        return column in named.get("ColumnNames", [])
    if "LFTagPolicy" in resource:
        policy = resource["LFTagPolicy"]
        return policy.get("ResourceType") == "TABLE" and all(tags.get(e["TagKey"]) in e["TagValues"] for e in policy["Expression"])
    return False


def stage_access(lake) -> tuple[str, list[TableAccess]]:
    """The stage's governance mode and, where it is governed, each grantee's columns per curated table."""
    mode = lake.resources.get(MODE) or "iam"
    if mode == "iam":
        return mode, []
    (database,) = lake.require("catalog/curated-database")
    glue, lf = lake.client("glue"), lake.client("lakeformation")
    grants = _grants(lf)
    principals = sorted({g["Principal"]["DataLakePrincipalIdentifier"] for g in grants})
    rows = []
    for dataset in lake.datasets():
        table = glue.get_table(DatabaseName=database, Name=dataset.table)["Table"]
        columns = [c["Name"] for c in table["StorageDescriptor"]["Columns"]] + [c["Name"] for c in table.get("PartitionKeys", [])]
        tags = _column_tags(lf, database, dataset.table, columns)
        for principal in principals:
            mine = [g for g in grants if g["Principal"]["DataLakePrincipalIdentifier"] == principal]
            readable = tuple(c for c in columns if any(_selects(g, database, dataset.table, c, tags[c]) for g in mine))
            if readable:
                rows.append(TableAccess(principal, f"{database}.{dataset.table}", readable, tuple(c for c in columns if c not in readable)))
    return mode, rows


def restricted_leaks(lake, rows: list[TableAccess]) -> list[str]:
    """Restricted columns a governed consumer (analysts, QuickSight) may read: none in a sound stage."""
    tag_key, restricted, governed = lake.require(TAG, RESTRICTED, CONSUMERS)
    lf = lake.client("lakeformation")
    leaks = []
    for row in rows:
        if row.principal not in governed.split(","):
            continue
        database, table = row.table.split(".", 1)
        tags = _column_tags(lf, database, table, list(row.readable))
        leaks += [f"{row.principal} may read {row.table}.{c} ({tags[c].get(tag_key)})" for c in row.readable
                  if tags[c].get(tag_key) in restricted.split(",")]
    return leaks


def check_restricted_hidden(lake) -> str:
    """One line for the smoke test, or a LakeOpsError naming the leaks."""
    mode, rows = stage_access(lake)
    if mode == "iam":
        return "governance mode iam: IAM decides access, no column is hidden"
    if leaks := restricted_leaks(lake, rows):
        raise LakeOpsError("restricted columns readable by governed consumers: " + "; ".join(leaks))
    return f"governance mode {mode}: restricted columns hidden from {', '.join(lake.require(CONSUMERS)[0].split(','))}"
