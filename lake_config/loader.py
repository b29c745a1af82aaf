"""Turn cdk.json context into `LakeSettings`, or one clear `ConfigError`."""
import re
from pathlib import Path
from typing import Any, Mapping

from pydantic import ValidationError

from lake_config.base import Section
from lake_config.contracts import load_datasets
from lake_config.datasets import DATASET_NAME, DATASETS_DIR, REPOSITORY
from lake_config.config_error import ConfigError
from lake_config.models import LakeSettings
from lake_config.promotion import promotion_problem

# Context keys that apply to every stage unless the stage sets its own.
SHARED_KEYS = ("project", "datasets")
# What an ephemeral stage (-c stage=<new> -c base_stage=<shipped>) always is, whatever its base:
# nothing retained, nothing protected, and never the owner of the account's catalog encryption.
EPHEMERAL = {"retain_data": False, "termination_protection": False}
# The account's data lake administrators are its base stage's to append: an ephemeral stage's
# delete must not touch them (docs/governance.md).
EPHEMERAL_SECTIONS = {
    "emr": {"termination_protection": False},
    "catalog": {"manage_data_catalog_encryption": False},
    "governance": {"manage_data_lake_settings": False},
}
CATALOG_OWNER = ("catalog", "manage_data_catalog_encryption")


def load_settings(context: Mapping[str, Any], cli_context: Mapping[str, Any] | None = None) -> LakeSettings:
    """Pick the stage named by context `stage` from context `stages` and validate it.

    `cli_context` is the context as the CDK CLI sent it (CDK_CONTEXT_JSON), which still holds
    the null values the CDK app drops: a null there is refused instead of silently meaning
    the default.
    """
    stages = context.get("stages")
    if not isinstance(stages, Mapping) or not stages:
        raise ConfigError("cdk.json context 'stages' must map stage names to their settings")
    if problem := promotion_problem(context):
        raise ConfigError(problem)
    stage = context.get("stage", "dev")
    base = context.get("base_stage")
    if base is not None:
        values = _ephemeral(stages, stage, base)
    elif stage not in stages:
        raise ConfigError(
            f"unknown stage {stage!r} (-c stage=...): allowed values are {', '.join(sorted(stages))}, "
            "or derive a new one with -c base_stage=<one of them>"
        )
    else:
        values = _mapping(stages[stage], f"stages.{stage}")
    if "base_stage" in values:
        raise ConfigError(f"invalid setting stages.{base or stage}.base_stage: base_stage is a command-line context key (-c), not a setting")
    _refuse_nulls(cli_context, base or stage)
    shared = {key: context[key] for key in SHARED_KEYS if key in context and key not in values}
    names = {**shared, **values}.get("datasets")
    where = f"stages.{stage}.datasets" if "datasets" in values else "datasets"
    datasets = load_datasets(_dataset_names(names, where), _datasets_dir(context))
    try:
        return LakeSettings.model_validate({"stage": stage, **shared, **values, "datasets": datasets, "base_stage": base})
    except ValidationError as exc:
        message = _one_line(base or stage, exc, shared, ephemeral=base is not None)
        if base is not None and f"-c stage={stage} " in message:  # the derived name is what to change, not its base
            message = f"invalid -c stage={stage} (derived from stages.{base}): " + message.split(": ", 1)[1]
        raise ConfigError(message) from None


def _mapping(values: Any, where: str) -> Mapping:
    if not isinstance(values, Mapping):
        raise ConfigError(f"invalid setting {where}: must be a mapping of settings (got {values!r})")
    return values


def _ephemeral(stages: Mapping, stage: Any, base: Any) -> dict:
    """The settings of `base` with the ephemeral overrides; `stage` must be a new name."""
    if base not in stages:
        raise ConfigError(f"unknown base stage {base!r} (-c base_stage=...): allowed values are {', '.join(sorted(stages))}")
    if stage in stages:
        raise ConfigError(f"-c base_stage derives a new stage, but {stage!r} is already in cdk.json: pick another -c stage name")
    values = dict(_mapping(stages[base], f"stages.{base}"))
    for section, forced in EPHEMERAL_SECTIONS.items():
        values[section] = {**_mapping(values.get(section, {}), f"stages.{base}.{section}"), **forced}
    return values | EPHEMERAL


def _refuse_nulls(cli_context: Mapping[str, Any] | None, stage: str) -> None:
    if not cli_context:
        return
    scopes = [(f"stages.{stage}", (cli_context.get("stages") or {}).get(stage)), *((key, cli_context.get(key)) for key in SHARED_KEYS)]
    for where, value in scopes:
        if path := _first_null(value, where):
            raise ConfigError(
                f"invalid setting {path}: null never reaches the app (the CDK drops null context values, so the default "
                "would apply silently); remove the key for the default"
                + (" or use 0 to switch idle auto-termination off" if path.endswith("emr.idle_timeout_seconds") else "")
            )


def _first_null(value: Any, where: str) -> str | None:
    if value is None:
        return where
    if isinstance(value, Mapping):
        return next((found for key, item in value.items() if (found := _first_null(item, f"{where}.{key}"))), None)
    if isinstance(value, list):
        return next((found for index, item in enumerate(value) if (found := _first_null(item, f"{where}.{index}"))), None)
    return None


def catalog_encryption_owners(context: Mapping[str, Any]) -> list[str]:
    """Stages in cdk.json that set catalog.manage_data_catalog_encryption (a setting per account and region)."""
    stages = context.get("stages")
    if not isinstance(stages, Mapping):
        return []
    section, key = CATALOG_OWNER
    return sorted(
        name
        for name, values in stages.items()
        if isinstance(values, Mapping) and isinstance(values.get(section), Mapping) and values[section].get(key) is True
    )


def config_warnings(context: Mapping[str, Any]) -> list[str]:
    """One line per setting that synthesizes but may not do what the owner meant."""
    owners = catalog_encryption_owners(context)
    accounts = {(context["stages"][name].get("account") or "?") for name in owners}
    if len(owners) > 1 and (len(accounts) < len(owners) or "?" in accounts):
        return [
            f"warning: stages {', '.join(owners)} all set catalog.manage_data_catalog_encryption, but Data Catalog "
            "encryption is one setting per account and region: keep it in one stage per account (the last deployed wins)"
        ]
    return []


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


def _one_line(stage: str, exc: ValidationError, shared: Mapping[str, Any], ephemeral: bool = False) -> str:
    error = exc.errors(include_url=False)[0]
    loc = tuple(str(part) for part in error["loc"])
    message = error["msg"].removeprefix("Value error, ")
    if named := _NAMED_SETTING.match(message):
        loc, message = loc + tuple(named.group(1).split(".")), named.group(2)
    more = f"; and {exc.error_count() - 1} more error(s)" if exc.error_count() > 1 else ""
    if loc == ("stage",):
        # The stage name is a key the user wrote under `stages` (and passes with -c stage=...),
        # not a setting called `stage`.
        origin = "-c stage=..." if ephemeral else "a key of cdk.json 'stages', chosen with -c stage=..."
        return f"invalid stage name {error['input']!r} ({origin}): must be {NAME_RULES['stage']}{more}"
    top_level = bool(loc) and loc[0] in shared
    location = ".".join(loc)
    where = location if top_level else (f"stages.{stage}.{location}" if location else f"stages.{stage}")
    if error["type"] == "extra_forbidden":
        message = f"unknown setting; allowed settings here are {', '.join(_allowed_keys(error['loc'][:-1]))}"
    elif error["type"] == "string_pattern_mismatch" and loc in (("project",),):
        message = f"must be {NAME_RULES[loc[0]]}"
    # A rule across a whole section names its settings itself; its input is the whole section.
    got = "" if error["type"] == "missing" or not error["loc"] or named or isinstance(error["input"], Mapping) else f" (got {error['input']!r})"
    return f"invalid setting {where}: {message}{got}{more}"


def _allowed_keys(parent: tuple) -> list[str]:
    model: type[Section] = LakeSettings
    for part in parent:
        model = model.model_fields[part].annotation
    return [name for name in model.model_fields if name != "stage"]
