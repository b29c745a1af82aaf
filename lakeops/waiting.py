"""Waiting for long AWS operations, with progress on stderr and an overall timeout.

Every wait goes through a botocore waiter: EMR's built-in ``step_complete`` and
``cluster_running``, and custom waiter models for Athena queries, Glue crawlers and Data Quality runs, which
have no boto3 waiter. :func:`wait_for` runs the waiter one attempt per poll, because a
waiter's own loop neither reports progress nor stops at a deadline.
"""

import time

import jmespath
from botocore.exceptions import ClientError, WaiterError
from botocore.waiter import WaiterModel, create_waiter_with_client

from lakeops.errors import WaitTimeoutError

# Same format as botocore's waiters-2.json. Delay and maxAttempts only matter to someone
# calling waiter.wait() directly; wait_for applies --poll-interval and --timeout instead.
CUSTOM_WAITERS = WaiterModel({
    "version": 2,
    "waiters": {
        # Success on any terminal state would hide the failure; FAILED and CANCELLED end the wait
        # as failures, which the caller then explains from GetQueryExecution.
        "QueryExecutionFinished": {
            "operation": "GetQueryExecution",
            "delay": 2,
            "maxAttempts": 900,
            "acceptors": [
                {"state": "success", "matcher": "path",
                 "argument": "QueryExecution.Status.State", "expected": "SUCCEEDED"},
                {"state": "failure", "matcher": "path",
                 "argument": "QueryExecution.Status.State", "expected": "FAILED"},
                {"state": "failure", "matcher": "path",
                 "argument": "QueryExecution.Status.State", "expected": "CANCELLED"},
            ],
        },
        # An evaluation run ends SUCCEEDED (its rules may still fail: that is in the results),
        # or FAILED / STOPPED / TIMEOUT, which the caller explains from ErrorString.
        "DataQualityRunFinished": {
            "operation": "GetDataQualityRulesetEvaluationRun",
            "delay": 15,
            "maxAttempts": 240,
            "acceptors": [
                {"state": "success", "matcher": "path", "argument": "Status", "expected": "SUCCEEDED"},
                *({"state": "failure", "matcher": "path", "argument": "Status", "expected": state}
                  for state in ("FAILED", "STOPPED", "TIMEOUT")),
            ],
        },
        # StartCrawler moves the crawler to RUNNING before it returns, so READY afterwards means
        # the crawl ended; whether it succeeded is in LastCrawl.Status, read by the caller.
        "CrawlerReady": {
            "operation": "GetCrawler",
            "delay": 15,
            "maxAttempts": 240,
            "acceptors": [
                {"state": "success", "matcher": "path", "argument": "Crawler.State", "expected": "READY"},
            ],
        },
    },
})

# Even without a state change, say something this often so a long wait does not look hung.
HEARTBEAT_SECONDS = 30


def custom_waiter(name: str, client):
    return create_waiter_with_client(name, CUSTOM_WAITERS, client)


def wait_for(waiter, *, label: str, state_path: str, timeout: float, poll_interval: float,
             progress, on_timeout: str, **params) -> None:
    """Polls ``waiter`` until one of its acceptors says the operation ended (success or failure).

    Returns in both cases: callers describe the resource afterwards and explain its final state.
    Raises WaitTimeoutError after ``timeout`` seconds, with ``on_timeout`` saying where to look,
    and ClientError if polling itself fails (e.g. access denied).
    """
    started = time.monotonic()
    last_state, last_report = None, started
    while True:
        try:
            waiter.wait(**params, WaiterConfig={"MaxAttempts": 1})
            return
        except WaiterError as err:
            response = err.last_response or {}
            if "Error" in response:
                raise ClientError(response, waiter.config.operation) from err
            if not str(err.kwargs.get("reason", "")).startswith("Max attempts exceeded"):
                return  # a failure acceptor matched: the operation ended
            state = jmespath.search(state_path, response)
        now = time.monotonic()
        elapsed = now - started
        if state != last_state or now - last_report >= HEARTBEAT_SECONDS:
            progress(f"  {label}: {state} ({elapsed:.0f}s elapsed)")
            last_state, last_report = state, now
        if elapsed >= timeout:
            raise WaitTimeoutError(
                f"timed out after {elapsed:.0f}s (--timeout {timeout:g}) waiting for {label}, "
                f"still {state}. It keeps running in AWS; {on_timeout}"
            )
        time.sleep(min(poll_interval, timeout - elapsed))
