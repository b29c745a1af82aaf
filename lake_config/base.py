"""Shared pydantic base: strict types and no unknown keys, so typos fail loudly."""
from pydantic import AfterValidator, BaseModel, ConfigDict


class Section(BaseModel):
    """A settings section. `"30"` is not 30 and an unknown key is an error, not a silent default."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


def _no_duplicates(values: list) -> list:
    if duplicates := sorted({str(v) for v in values if values.count(v) > 1}):
        raise ValueError(f"lists {duplicates[0]!r} twice; every item must be distinct")
    return values


# `Annotated[list[X], NO_DUPLICATES]`: AWS refuses or silently merges repeated fleet types, subnets
# and endpoints, so a repeated item is a mistake worth one clear line.
NO_DUPLICATES = AfterValidator(_no_duplicates)
