"""Every column a synthesized Data Quality ruleset names, its where clauses included, exists in
the table the ruleset targets (its columns or partition keys), for dev, prod and the fork.

AWS Glue Developer Guide, "Data Quality Definition Language (DQDL) reference"
(https://docs.aws.amazon.com/glue/latest/dg/dqdl.html): a ruleset is `Rules = [ ... ]` of
comma-separated rules, each "<RuleType> <Parameter> <Parameter> <Expression>"; the column rule
types take column names as their leading quoted parameters (IsComplete "order-id", IsUnique
"order-id", ColumnValues "col" in [...], ColumnCorrelation "a" "b" > 0.8, ...), and "Filtering
with Where Clause" adds `where "<SQL condition>"` on the target's columns. The where clauses and
CustomSql statements are parsed with sqlglot (Spark dialect) for the columns they read. A rule
type this test does not classify fails it, so a new kind of rule is checked, not skipped.
"""
import re
import uuid

import pytest
import sqlglot
from sqlglot import exp

from tests.aws_contracts.iam_policy import render

# Rule types whose leading quoted parameters are column names (DQDL rule type reference).
COLUMN_RULES = {
    "ColumnCorrelation", "ColumnDataType", "ColumnExists", "ColumnLength", "ColumnValues", "Completeness",
    "DataFreshness", "DistinctValuesCount", "Entropy", "IsComplete", "IsPrimaryKey", "IsUnique", "Mean",
    "StandardDeviation", "Sum", "Uniqueness", "UniqueValueRatio",
}
# Rule types that name no column of the target.
TABLE_RULES = {"RowCount", "ColumnCount", "CustomSql"}
QUOTED = r'"((?:[^"\\]|\\.)*)"'


def rules(ruleset: str) -> list[str]:
    body = ruleset.strip()
    assert body.startswith("Rules") and body.endswith("]"), body[:40]
    body = body[body.index("[") + 1:-1]
    found, depth, current, quoted = [], 0, "", False
    for char in body:
        if char == '"' and not current.endswith("\\"):
            quoted = not quoted
        if not quoted and char in "[(":
            depth += 1
        if not quoted and char in "])":
            depth -= 1
        if not quoted and depth == 0 and char == ",":
            found.append(current.strip())
            current = ""
        else:
            current += char
    return [r for r in found + [current.strip()] if r]


def sql_columns(sql: str) -> set[str]:
    return {column.name for column in sqlglot.parse_one(sql, read="spark").find_all(exp.Column)}


def columns_named(rule: str) -> set[str]:
    named = set()
    for clause in re.findall(r'\bwhere\s+' + QUOTED, rule):
        named |= sql_columns(f"SELECT * FROM t WHERE {clause}")
    head = re.split(r'\bwhere\s+"', rule)[0].strip().lstrip("(")
    kind = head.split()[0]
    assert kind in COLUMN_RULES | TABLE_RULES, f"unclassified DQDL rule type {kind!r}: {rule}"
    if kind == "CustomSql":
        (statement,) = re.findall(QUOTED, head)[:1]
        named |= sql_columns(statement) - {"primary"}
    elif kind in COLUMN_RULES:
        rest = head[len(kind):].strip()
        while match := re.match(QUOTED + r"\s*", rest):
            named.add(match.group(1))
            rest = rest[match.end():]
    return named


def targets(synth) -> list[tuple[str, str, set[str]]]:
    """(ruleset name, its DQDL, the target table's columns and partition keys)."""
    template = synth.template_json("catalog")
    tables = {}
    for table in (r["Properties"] for r in template["Resources"].values() if r["Type"] == "AWS::Glue::Table"):
        table_input = render(table["TableInput"], template)
        names = {c["Name"] for c in table_input["StorageDescriptor"]["Columns"]} | {c["Name"] for c in table_input.get("PartitionKeys", [])}
        tables[(render(table["DatabaseName"], template), table_input["Name"])] = names
    found = []
    for ruleset in (r["Properties"] for r in template["Resources"].values() if r["Type"] == "AWS::Glue::DataQualityRuleset"):
        target = render(ruleset["TargetTable"], template)
        found.append((ruleset["Name"], ruleset["Ruleset"], tables[(target["DatabaseName"], target["TableName"])]))
    return found


def unknown_columns(ruleset: str, columns: set[str]) -> dict[str, set[str]]:
    return {rule: missing for rule in rules(ruleset) if (missing := columns_named(rule) - columns)}


def test_every_column_a_ruleset_names_is_a_column_of_its_table(lake):
    found = targets(lake)
    assert len(found) == len(lake.settings.datasets)
    assert {name: unknown_columns(dqdl, columns) for name, dqdl, columns in found} == {name: {} for name, *_ in found}


def test_the_parser_reads_every_rule_of_the_shipped_rulesets(lake):
    for _, dqdl, columns in targets(lake):
        assert all(columns_named(rule) or rule.startswith(("RowCount", "ColumnCount")) for rule in rules(dqdl))


@pytest.mark.parametrize("where", [False, True])
def test_a_column_the_table_lacks_is_found(dev, where):
    name, dqdl, columns = targets(dev)[0]
    stranger = f"col_{uuid.uuid4().hex[:8]}"
    column = sorted(columns)[0]
    broken = (dqdl.replace(f'IsComplete "{column}"', f'IsComplete "{column}" where "{stranger} is not null"') if where
              else dqdl.replace(f'IsComplete "{column}"', f'IsComplete "{stranger}"'))
    assert broken != dqdl
    assert stranger in set().union(*unknown_columns(broken, columns).values())


def test_custom_sql_and_multi_column_rules_are_read():
    assert columns_named('CustomSql "select count(*) from primary where amount > 0" > 0') == {"amount"}
    assert columns_named('ColumnCorrelation "a" "b" > 0.8') == {"a", "b"}
    assert columns_named('(IsUnique "x" where "y = 1 and dt >= \'2026-01-01\'")') == {"x", "y", "dt"}
