"""The single exception type bad configuration raises, before any construct exists."""


class ConfigError(ValueError):
    """One line naming the setting, what was given and what is allowed."""
