"""Named queries: their two placeholders, and their columns checked against the dataset's tables.

A query file is Athena SQL with `{database}` and `{table}` where the stage's database and the
zone's table go (docs/DATASETS.md). Every other brace stays as written: a regular expression
such as `'[0-9]{2}'` is valid Athena SQL, so the filling-in is not `str.format`. A word in
braces that is not one of the two is refused: it was meant as a placeholder and would reach
Athena as written.

At synth the filled-in query is parsed with sqlglot in the Trino dialect (Athena engine v3 is
Trino: https://docs.aws.amazon.com/athena/latest/ug/engine-versions-reference-0003.html) and
every column resolved against the zone's table (sqlglot's qualify, which raises on a column no
table in scope has), so a misspelt column fails synth with a line instead of in Athena.
"""
from __future__ import annotations

import functools
import re

PLACEHOLDERS = ("database", "table")
# A word in braces: a placeholder. Quantifiers ({2}, {2,4}) and other braces are not.
_PLACEHOLDER = re.compile(r"\{([A-Za-z_][A-Za-z0-9_-]*)\}")
_CHECK_DATABASE = "lake_database"


def render(sql: str, *, database: str, table: str) -> str:
    """`sql` with its placeholders filled in and every other brace left alone."""
    values = {"database": database, "table": table}
    return _PLACEHOLDER.sub(lambda match: values.get(match.group(1), match.group(0)), sql)


def template_problem(sql: str) -> str | None:
    """What makes the query file unusable as a template, or None."""
    if not sql.strip():
        return "is empty: it must hold one Athena SQL statement"
    if unknown := sorted({m.group(1) for m in _PLACEHOLDER.finditer(sql)} - set(PLACEHOLDERS)):
        return (
            f"uses the placeholder {{{unknown[0]}}}, which is not one of {{database}} and {{table}} "
            "(every other brace stays as written)"
        )
    return None


@functools.lru_cache(maxsize=256)
def column_problem(sql: str, table: str, columns: tuple[str, ...]) -> str | None:
    """Why `sql` (a template) does not run on a table `table` with `columns`, or None."""
    import sqlglot
    from sqlglot import exp
    from sqlglot.errors import OptimizeError, ParseError
    from sqlglot.optimizer.qualify import qualify

    text = render(sql, database=_CHECK_DATABASE, table=table)
    try:
        statements = [s for s in sqlglot.parse(text, dialect="trino") if s is not None]
    except ParseError as error:
        return f"is not valid Athena (Trino) SQL: {str(error).splitlines()[0]}"
    if len(statements) != 1:
        return f"must hold one SQL statement (found {len(statements)})"
    (statement,) = statements
    ctes = {cte.alias_or_name for cte in statement.find_all(exp.CTE)}
    for source in statement.find_all(exp.Table):
        if source.name not in ctes and (source.name != table or source.db not in ("", _CHECK_DATABASE)):
            return f"reads {source.sql(dialect='trino')}: a named query reads its own table, {{database}}.{{table}}"
    try:
        qualify(statement, schema={_CHECK_DATABASE: {table: {c: "string" for c in columns}}}, dialect="trino",
                validate_qualify_columns=True, quote_identifiers=False)
    except OptimizeError as error:
        return f"{str(error).split('. Line')[0]}: the table has {', '.join(columns)}"
    return None
