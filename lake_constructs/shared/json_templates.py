"""Definitions kept as JSON files, with `${Name}` placeholders the code fills.

- a string that is exactly `"${Name}"` becomes `values[Name]`, whatever its JSON type (a list,
  an object, a number, a CDK token);
- `${Name}` inside a longer string is replaced by `values[Name]`, which must then be a string.
An unknown placeholder is an error, never left in.
"""
import json
import re
from pathlib import Path
from typing import Any, Mapping

_WHOLE = re.compile(r"^\$\{([A-Za-z][A-Za-z0-9]*)\}$")
_PART = re.compile(r"\$\{([A-Za-z][A-Za-z0-9]*)\}")


def load(path: Path) -> Any:
    return json.loads(path.read_text())


def fill(node: Any, values: Mapping[str, Any]) -> Any:
    """`node` with every placeholder replaced."""
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
