"""Shared pydantic base: strict types and no unknown keys, so typos fail loudly."""
from pydantic import BaseModel, ConfigDict


class Section(BaseModel):
    """A settings section. `"30"` is not 30 and an unknown key is an error, not a silent default."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)
