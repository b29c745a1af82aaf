"""State machine definitions as data: ASL fragments in asl/*.json, filled and chained in code.

A fragment is `{"StartAt": ..., "States": {...}}` with `${Name}` placeholders
(lake_constructs/shared/json_templates.py). `${Next}` and `${OnError}` are the names of the
states a fragment continues with; `chain` fills them from the next fragment's `StartAt` and the
error handler's.
"""
import json
from functools import cache
from pathlib import Path
from typing import Any, Mapping, Sequence

from lake_constructs.shared.json_templates import fill

ASL_DIR = Path(__file__).resolve().parent / "asl"


@cache
def _load(name: str) -> str:
    return (ASL_DIR / f"{name}.json").read_text()


def fragment(name: str) -> dict:
    """A fresh copy of asl/<name>.json."""
    return json.loads(_load(name))


def chain(fragments: Sequence[tuple[str, Mapping[str, Any]]], *, on_error: str) -> dict:
    """The states of `fragments` (name, values) in order, each one's `${Next}` the next one's
    start; the last fragment's `${Next}` must not be used. Returns {"StartAt", "States"}."""
    filled = [fragment(name) for name, _ in fragments]
    states: dict[str, Any] = {}
    for index, ((name, values), body) in enumerate(zip(fragments, filled)):
        following = filled[index + 1]["StartAt"] if index + 1 < len(filled) else None
        links = {"OnError": on_error, **({"Next": following} if following else {})}
        for state_name, state in fill(body["States"], {**values, **links}).items():
            if state_name in states:
                raise ValueError(f"state {state_name} is defined twice (fragment {name})")
            states[state_name] = state
    return {"StartAt": filled[0]["StartAt"], "States": states}
