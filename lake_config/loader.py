"""Turn cdk.json context into `LakeSettings`, or one clear `ConfigError`."""
from typing import Any, Mapping

from pydantic import ValidationError

from lake_config.errors import ConfigError
from lake_config.models import LakeSettings
from lake_config.base import Section


def load_settings(context: Mapping[str, Any]) -> LakeSettings:
    """Pick the stage named by context `stage` from context `stages` and validate it."""
    stages = context.get("stages")
    if not isinstance(stages, Mapping) or not stages:
        raise ConfigError("cdk.json context 'stages' must map stage names to their settings")
    stage = context.get("stage", "dev")
    if stage not in stages:
        raise ConfigError(f"unknown stage {stage!r} (-c stage=...): allowed values are {', '.join(sorted(stages))}")
    try:
        return LakeSettings.model_validate({"stage": stage, **stages[stage]})
    except ValidationError as exc:
        raise ConfigError(_one_line(stage, exc)) from None


def _one_line(stage: str, exc: ValidationError) -> str:
    error = exc.errors(include_url=False)[0]
    location = ".".join(str(part) for part in error["loc"])
    where = f"stages.{stage}.{location}" if location else f"stages.{stage}"
    message = error["msg"].removeprefix("Value error, ")
    if error["type"] == "extra_forbidden":
        message = f"unknown setting; allowed settings here are {', '.join(_allowed_keys(error['loc'][:-1]))}"
    got = "" if error["type"] == "missing" else f" (got {error['input']!r})"
    more = f"; and {exc.error_count() - 1} more error(s)" if exc.error_count() > 1 else ""
    return f"invalid setting {where}: {message}{got}{more}"


def _allowed_keys(parent: tuple) -> list[str]:
    model: type[Section] = LakeSettings
    for part in parent:
        model = model.model_fields[part].annotation
    return [name for name in model.model_fields if name != "stage"]
