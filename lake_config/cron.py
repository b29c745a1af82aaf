"""Cron expressions as Glue and EventBridge accept them, checked field by field at synth.

`cron(Minutes Hours Day-of-month Month Day-of-week Year)`, UTC (EventBridge User Guide,
"Cron expressions reference"; Glue Developer Guide, "Time-based schedules for jobs and
crawlers"): values, names, ranges `a-b` (low to high), lists `a,b`, increments `x/n`, `*`
everywhere, `?` in exactly one of day-of-month and day-of-week (a value or `*` in one of
them needs `?` in the other), `L` and `W` in day-of-month, `L` and `#` in day-of-week.
"""
import re
from typing import Annotated, NamedTuple

from pydantic import AfterValidator

MONTHS = ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC")
DAYS = ("SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT")
EXAMPLE = "cron(0 3 * * ? *)"


class _Field(NamedTuple):
    name: str
    low: int
    high: int
    names: tuple[str, ...] = ()


FIELDS = (
    _Field("minutes", 0, 59),
    _Field("hours", 0, 23),
    _Field("day-of-month", 1, 31),
    _Field("month", 1, 12, MONTHS),
    _Field("day-of-week", 1, 7, DAYS),
    _Field("year", 1970, 2199),
)
DAY_OF_MONTH, DAY_OF_WEEK = 2, 4


def cron_problem(expression: str) -> str | None:
    """Why Glue/EventBridge would refuse `expression`, or None if they accept it."""
    match = re.fullmatch(r"cron\((.*)\)", expression)
    fields = match.group(1).split() if match else []
    if len(fields) != len(FIELDS):
        return f"must be a cron expression with six fields (minutes hours day-of-month month day-of-week year), e.g. '{EXAMPLE}'"
    if (fields[DAY_OF_MONTH] == "?") == (fields[DAY_OF_WEEK] == "?"):
        return "needs '?' in exactly one of day-of-month and day-of-week (a value or '*' in one needs '?' in the other)"
    for index, (field, text) in enumerate(zip(FIELDS, fields)):
        if problem := _field_problem(index, field, text):
            return f"{field.name} field {text!r}: {problem}"
    return None


def _field_problem(index: int, field: _Field, text: str) -> str | None:
    if text == "*" or (text == "?" and index in (DAY_OF_MONTH, DAY_OF_WEEK)):
        return None
    for item in text.split(","):
        if problem := _item_problem(index, field, item):
            return problem
    return None


def _item_problem(index: int, field: _Field, item: str) -> str | None:
    if index == DAY_OF_MONTH and (item in ("L", "LW") or re.fullmatch(r"\d+W", item)):
        return _value_problem(field, item.removesuffix("W")) if item[0].isdigit() else None
    if index == DAY_OF_WEEK and (item == "L" or re.fullmatch(r"\w+L", item)):
        return _value_problem(field, item.removesuffix("L")) if item != "L" else None
    if index == DAY_OF_WEEK and "#" in item:
        day, _, nth = item.partition("#")
        if not re.fullmatch(r"[1-5]", nth):
            return "'#' takes the week of the month, 1-5"
        return _value_problem(field, day)
    base, slash, step = item.partition("/")
    if slash and (not step.isdigit() or not 1 <= int(step) <= field.high):
        return f"the increment after '/' must be a number from 1 to {field.high}"
    if base == "*" and slash:
        return None
    low, dash, high = base.partition("-")
    if problem := _value_problem(field, low) or (dash and _value_problem(field, high)):
        return problem
    if dash and _number(field, low) > _number(field, high):
        return "a range goes from low to high"
    return None


def _value_problem(field: _Field, value: str) -> str | None:
    if _number(field, value) is None:
        names = f" or {field.names[0]}-{field.names[-1]}" if field.names else ""
        return f"values are {field.low}-{field.high}{names}"
    return None


def _number(field: _Field, value: str) -> int | None:
    if value.upper() in field.names:
        return field.names.index(value.upper()) + field.low
    if value.isdigit() and field.low <= int(value) <= field.high:
        return int(value)
    return None


def _checked(value: str) -> str:
    if problem := cron_problem(value):
        raise ValueError(problem)
    return value


CronExpression = Annotated[str, AfterValidator(_checked)]
