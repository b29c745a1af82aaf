"""Settings of the scheduled curation pipeline (reference: docs/pipeline.md).

The pipeline is a Step Functions state machine; EventBridge Scheduler starts it. Every duration
here bounds how long a cluster can run (and bill) when something hangs.
"""
import functools
import re
import zoneinfo
from typing import Annotated

from pydantic import Field, field_validator, model_validator

from lake_config.base import Section
from lake_config.emr_settings import LogRetentionDays

# EventBridge Scheduler cron: minutes hours day-of-month month day-of-week year.
_CRON = re.compile(r"cron\((?P<fields>[^()]+)\)")
_FIELD_CHARACTERS = (
    ("minutes", r"[0-9,*/-]+", 0, 59),
    ("hours", r"[0-9,*/-]+", 0, 23),
    ("day-of-month", r"[0-9,*/?LW-]+", 1, 31),
    ("month", r"[0-9A-Za-z,*/-]+", 1, 12),
    ("day-of-week", r"[0-9A-Za-z,*/?L#-]+", 1, 7),
    ("year", r"[0-9,*/-]+", 1970, 2199),
)


def scheduler_cron_problem(expression: str) -> str | None:
    """Why EventBridge Scheduler would refuse `expression`, or None.

    The rules of "Schedule types on EventBridge Scheduler": six fields, and exactly one of
    day-of-month and day-of-week is '?'; numbers within each field's range.
    """
    match = _CRON.fullmatch(expression.strip())
    fields = match["fields"].split() if match else []
    if len(fields) != 6:
        return "must be cron(minutes hours day-of-month month day-of-week year), six fields, e.g. 'cron(0 4 * * ? *)'"
    for value, (name, characters, low, high) in zip(fields, _FIELD_CHARACTERS):
        if not re.fullmatch(characters, value):
            return f"has an invalid {name} field {value!r}"
        numbers = [int(n) for n in re.findall(r"\d+", value.split("#")[0].split("/")[0])]
        if any(not low <= n <= high for n in numbers):
            return f"has {name} {value!r} outside {low}-{high}"
    if (fields[2] == "?") == (fields[4] == "?"):
        return "must have '?' in exactly one of day-of-month and day-of-week (e.g. 'cron(0 4 * * ? *)')"
    return None


class ScheduleSettings(Section):
    """When EventBridge Scheduler starts the pipeline; `enabled: false` keeps the schedule, disabled."""

    enabled: bool = Field(True, description="The daily run is on (false: the schedule exists, disabled).")
    # After the crawlers' nightly runs (catalog.crawler_schedule, UTC), in `timezone`.
    cron: str = Field(
        "cron(0 4 * * ? *)",
        description="When the pipeline runs: an EventBridge Scheduler cron, six fields, '?' in day-of-month or day-of-week.",
    )
    timezone: str = Field("UTC", description="The cron's IANA time zone.")
    # Scheduler may start the run up to this many minutes late, spreading load; 0 starts on the minute.
    flexible_window_minutes: Annotated[int, Field(ge=0, le=1440)] = Field(
        15,
        description="Scheduler may start up to this many minutes late (0: on the minute).",
    )
    # If StartExecution fails (throttling, a deleted state machine), Scheduler retries with backoff,
    # then puts the event on the dead-letter queue.
    retry_attempts: Annotated[int, Field(ge=0, le=185)] = Field(
        3,
        description="Scheduler's retries of a failed start before the event goes to the dead-letter queue.",
    )
    max_event_age_minutes: Annotated[int, Field(ge=1, le=1440)] = Field(
        60,
        description="How long Scheduler keeps retrying a start.",
    )

    @field_validator("cron")
    @classmethod
    def _cron(cls, value: str) -> str:
        if problem := scheduler_cron_problem(value):
            raise ValueError(problem)
        return value

    @field_validator("timezone")
    @classmethod
    def _timezone(cls, value: str) -> str:
        if value not in _time_zones():
            raise ValueError("must be an IANA time zone name, e.g. 'UTC' or 'Europe/Berlin'")
        return value


@functools.cache
def _time_zones() -> frozenset[str]:
    """The IANA names tzdata ships (listing them walks its folder: once per process)."""
    return frozenset(zoneinfo.available_timezones())


class PipelineSettings(Section):
    """The state machine: its bounds, retries and logs. It exists whenever emr.enabled is true."""

    schedule: ScheduleSettings = Field(ScheduleSettings(), description="When EventBridge Scheduler starts the pipeline.")
    # The whole run: past it, Step Functions stops the execution and the cleanup terminates its cluster.
    timeout_minutes: Annotated[int, Field(ge=30, le=1440)] = Field(
        240,
        description="The whole run; past it the run is TIMED_OUT and the sweeper ends its cluster. Must exceed cluster_start_timeout_minutes + step_timeout_minutes.",
    )
    # One curation step: past it, the step is cancelled and reported as TIMED_OUT.
    step_timeout_minutes: Annotated[int, Field(ge=5, le=720)] = Field(
        120,
        description="A curation step without a result by then is cancelled and reported TIMED_OUT.",
    )
    # A transient cluster that is not WAITING by then is terminated and the run fails.
    cluster_start_timeout_minutes: Annotated[int, Field(ge=10, le=120)] = Field(
        45,
        description="A transient cluster not WAITING by then is terminated and the run fails.",
    )
    poll_seconds: Annotated[int, Field(ge=10, le=600)] = Field(
        60,
        description="How often the run looks at the cluster, a step, the crawl, a check; at most half of step_timeout_minutes.",
    )
    # A transient cluster that EMR could not give capacity (spot or on-demand) is created again,
    # after capacity_retry_minutes, doubling each time.
    capacity_retries: Annotated[int, Field(ge=0, le=5)] = Field(
        2,
        description="New clusters after EMR found no capacity (spot or on-demand).",
    )
    capacity_retry_minutes: Annotated[int, Field(ge=1, le=60)] = Field(
        5,
        description="First wait before such a retry (doubling each time).",
    )
    tracing: bool = Field(True, description="X-Ray tracing of the state machines.")
    log_retention_days: LogRetentionDays = Field(
        90,
        description="Retention of the state machines' and the cluster function's logs: a CloudWatch Logs retention period.",
    )
    # How often the sweeper looks for pipeline clusters whose run has ended.
    sweep_interval_minutes: Annotated[int, Field(ge=15, le=1440)] = Field(
        60,
        description="How often the sweeper looks for pipeline clusters whose run has ended.",
    )

    @model_validator(mode="after")
    def _bounds_fit(self):
        needed = self.cluster_start_timeout_minutes + self.step_timeout_minutes
        if self.timeout_minutes <= needed:
            raise ValueError(
                f"pipeline.timeout_minutes ({self.timeout_minutes}) must exceed pipeline.cluster_start_timeout_minutes + "
                f"pipeline.step_timeout_minutes ({needed}), or a slow start leaves the steps no time"
            )
        if self.poll_seconds * 2 > self.step_timeout_minutes * 60:
            raise ValueError("pipeline.poll_seconds must be at most half of pipeline.step_timeout_minutes")
        return self

    @property
    def step_polls(self) -> int:
        """How many polls a step gets before it counts as timed out."""
        return -(-self.step_timeout_minutes * 60 // self.poll_seconds)

    @property
    def cluster_polls(self) -> int:
        return -(-self.cluster_start_timeout_minutes * 60 // self.poll_seconds)
