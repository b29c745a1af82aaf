"""A dataset's validity rules as a Glue Data Quality ruleset (DQDL), from the same contract the
curation job enforces, so the catalog can check the curated table for what the job promised.

| contract | DQDL |
|---|---|
| the table | `RowCount > 0` |
| `required: true` | `IsComplete "c"` |
| `primaryKey` (one or more columns) | `IsPrimaryKey "a" "b"` |
| `logicalTypeOptions.pattern` | `ColumnValues "c" matches "..."` |
| `enum` | `ColumnValues "c" in [...]` |
| `minimum` / `exclusiveMinimum` / `maximum` / `exclusiveMaximum` | `ColumnValues "c" >= / > / <= / < n` |
| `minLength` / `maxLength` | `ColumnLength "c" >= / <= n` |

A type rule needs no DQDL: the table's column types are the contract's. `ColumnValues` fails
NULL rows (DQDL reference, "ColumnValues", null behavior), so a rule on an optional column
gets `where "<c> is not null"`: an absent value is allowed, a present one must be valid.
"""
from decimal import Decimal

from lake_config.datasets import Dataset, Rule

COMPARISONS = {"minimum": ">=", "exclusive_minimum": ">", "maximum": "<=", "exclusive_maximum": "<"}
LENGTHS = {"min_length": ">=", "max_length": "<="}


def quoted(text: str) -> str:
    """A DQDL string: double quotes, with backslash and quote escaped (its lexer's two escapes)."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _number(value) -> str:
    if isinstance(value, bool):
        raise ValueError(f"not a number: {value!r}")
    return format(Decimal(str(value)), "f")


def _literal(value) -> str:
    return quoted(value) if isinstance(value, str) else _number(value)


def rule_dqdl(rule: Rule) -> str | None:
    """One contract rule as one DQDL rule (without the optional-column filter), or None if the
    catalog already enforces it (types)."""
    column = quoted(rule.column)
    if rule.kind == "required":
        return f"IsComplete {column}"
    if rule.kind == "pattern":
        return f"ColumnValues {column} matches {quoted(rule.value)}"
    if rule.kind == "enum":
        return f"ColumnValues {column} in [{', '.join(_literal(v) for v in rule.value)}]"
    if rule.kind in COMPARISONS:
        return f"ColumnValues {column} {COMPARISONS[rule.kind]} {_number(rule.value)}"
    if rule.kind in LENGTHS:
        return f"ColumnLength {column} {LENGTHS[rule.kind]} {_number(rule.value)}"
    if rule.kind == "type":
        return None
    raise ValueError(f"no DQDL for rule kind {rule.kind}")


def dqdl_rules(dataset: Dataset) -> list[str]:
    rules = ["RowCount > 0"]
    for column in dataset.columns:
        for rule in column.rules:
            text = rule_dqdl(rule)
            if text is None:
                continue
            if not column.required:
                text += f' where {quoted(f"{column.name} is not null")}'
            rules.append(text)
    rules.append("IsPrimaryKey " + " ".join(quoted(column) for column in dataset.key))
    return rules


def dqdl(dataset: Dataset) -> str:
    """The ruleset document: `Rules = [ ... ]`, one rule per line."""
    return "Rules = [\n    " + ",\n    ".join(dqdl_rules(dataset)) + "\n]"
