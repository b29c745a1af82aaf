"""State machine definitions as data: ASL fragments in asl/*.json, filled and chained in code.

A fragment is `{"StartAt": ..., "States": {...}}`. Two kinds of placeholder:

- a string that is exactly `"${Name}"` becomes `values[Name]`, whatever its JSON type (a list of
  datasets, a retry policy, the RunJobFlow request);
- `${Name}` inside a longer string is replaced by `values[Name]`, which must then be a string.

`${Next}` and `${OnError}` are the names of the states a fragment continues with; `chain` fills
them from the next fragment's `StartAt` and the error handler's.
"""
import json
import re
from functools import cache
from pathlib import Path
from typing import Any, Mapping, Sequence

ASL_DIR = Path(__file__).resolve().parent / "asl"
_WHOLE = re.compile(r"^\$\{([A-Za-z][A-Za-z0-9]*)\}$")
_PART = re.compile(r"\$\{([A-Za-z][A-Za-z0-9]*)\}")


@cache
def _load(name: str) -> str:
    return (ASL_DIR / f"{name}.json").read_text()


def fragment(name: str) -> dict:
    """A fresh copy of asl/<name>.json."""
    return json.loads(_load(name))


def fill(node: Any, values: Mapping[str, Any]) -> Any:
    """`node` with every placeholder replaced; an unknown placeholder is an error, not left in."""
    if isinstance(node, dict):
        return {key: fill(value, values) for key, value in node.items()}
    if isinstance(node, list):
        return [fill(item, values) for item in node]
    if isinstance(node, str):
        whole = _WHOLE.match(node)
        if whole:
            return values[whole.group(1)]
        return _PART.sub(lambda match: _text(values, match.group(1)), node)
    return node


def _text(values: Mapping[str, Any], name: str) -> str:
    value = values[name]
    if not isinstance(value, str):
        raise TypeError(f"placeholder ${{{name}}} is inside a string, so its value must be a string (got {value!r})")
    return value


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
