"""Turn cdk.json context into `LakeSettings`, or one clear `ConfigError`."""
import re
from pathlib import Path
from typing import Any, Mapping

from pydantic import ValidationError

from lake_config.base import Section
from lake_config.datasets import DATASET_NAME, DATASETS_DIR, REPOSITORY, load_datasets
from lake_config.config_error import ConfigError
from lake_config.models import LakeSettings

# Context keys that apply to every stage unless the stage sets its own.
SHARED_KEYS = ("project", "datasets")


def load_settings(context: Mapping[str, Any]) -> LakeSettings:
    """Pick the stage named by context `stage` from context `stages` and validate it."""
    stages = context.get("stages")
    if not isinstance(stages, Mapping) or not stages:
        raise ConfigError("cdk.json context 'stages' must map stage names to their settings")
    stage = context.get("stage", "dev")
    if stage not in stages:
        raise ConfigError(f"unknown stage {stage!r} (-c stage=...): allowed values are {', '.join(sorted(stages))}")
    values = stages[stage]
    if not isinstance(values, Mapping):
        raise ConfigError(f"invalid setting stages.{stage}: must be a mapping of settings (got {values!r})")
    shared = {key: context[key] for key in SHARED_KEYS if key in context and key not in values}
    names = {**shared, **values}.get("datasets")
    where = f"stages.{stage}.datasets" if "datasets" in values else "datasets"
    datasets = load_datasets(_dataset_names(names, where), _datasets_dir(context))
    try:
        return LakeSettings.model_validate({"stage": stage, **shared, **values, "datasets": datasets})
    except ValidationError as exc:
        raise ConfigError(_one_line(stage, exc, shared)) from None


def _dataset_names(names: Any, where: str) -> list[str]:
    if not isinstance(names, list) or not names or not all(isinstance(n, str) for n in names):
        raise ConfigError(f"invalid setting {where}: must be a non-empty list of dataset names, folders under datasets/ (got {names!r})")
    if duplicates := sorted({n for n in names if names.count(n) > 1}):
        raise ConfigError(f"invalid setting {where}: lists {duplicates[0]!r} twice")
    if bad := [n for n in names if not DATASET_NAME.fullmatch(n)]:
        raise ConfigError(f"invalid setting {where}: {bad[0]!r} must match {DATASET_NAME.pattern}")
    return names


def _datasets_dir(context: Mapping[str, Any]) -> Path:
    """`datasets_dir` (relative to the repository) lets a test or a fork keep contracts elsewhere."""
    configured = context.get("datasets_dir")
    return REPOSITORY / configured if configured else DATASETS_DIR


# What the name patterns of models.LakeSettings mean, in words.
NAME_RULES = {
    "stage": "2 to 10 lower-case letters and digits, starting with a letter",
    "project": "3 to 20 lower-case letters, digits and hyphens, starting with a letter and not ending with a hyphen "
    "(it starts every bucket name, which S3 limits to 63 characters)",
}
# A validator of a whole section may name the exact setting it refuses: "<dotted.path>: message".
_NAMED_SETTING = re.compile(r"^([a-z_][a-z0-9_]*(?:\.[a-z0-9_]+)*): (.+)$", re.S)


def _one_line(stage: str, exc: ValidationError, shared: Mapping[str, Any]) -> str:
    error = exc.errors(include_url=False)[0]
    loc = tuple(str(part) for part in error["loc"])
    message = error["msg"].removeprefix("Value error, ")
    if named := _NAMED_SETTING.match(message):
        loc, message = loc + tuple(named.group(1).split(".")), named.group(2)
    more = f"; and {exc.error_count() - 1} more error(s)" if exc.error_count() > 1 else ""
    if loc == ("stage",):
        # The stage name is a key the user wrote under `stages` (and passes with -c stage=...),
        # not a setting called `stage`.
        return f"invalid stage name {stage!r} (a key of cdk.json 'stages', chosen with -c stage=...): must be {NAME_RULES['stage']}{more}"
    top_level = bool(loc) and loc[0] in shared
    location = ".".join(loc)
    where = location if top_level else (f"stages.{stage}.{location}" if location else f"stages.{stage}")
    if error["type"] == "extra_forbidden":
        message = f"unknown setting; allowed settings here are {', '.join(_allowed_keys(error['loc'][:-1]))}"
    elif error["type"] == "string_pattern_mismatch" and loc in (("project",),):
        message = f"must be {NAME_RULES[loc[0]]}"
    got = "" if error["type"] == "missing" else f" (got {error['input']!r})"
    if named:
        got = ""
    return f"invalid setting {where}: {message}{got}{more}"


def _allowed_keys(parent: tuple) -> list[str]:
    model: type[Section] = LakeSettings
    for part in parent:
        model = model.model_fields[part].annotation
    return [name for name in model.model_fields if name != "stage"]
