"""run-pipeline's progress lines: each poll reads only the history it has not seen."""
from lakeops.pipeline import MILESTONES, _print_milestones


class History:
    """GetExecutionHistory's paginator over `events`, recording the pages it hands out."""

    def __init__(self, names: list[str], page_size: int = 3):
        self.events, self.page_size, self.pages_read = [], page_size, 0
        self.enter(names)

    def enter(self, names: list[str]) -> None:
        """The run enters the states `names`, one event each, ids counting on from the last."""
        self.events += [{"id": len(self.events) + i, "stateEnteredEventDetails": {"name": name}} for i, name in enumerate(names, start=1)]

    def get_paginator(self, operation):
        assert operation == "get_execution_history"
        return self

    def paginate(self, executionArn, reverseOrder=False):
        ordered = list(reversed(self.events)) if reverseOrder else self.events
        for start in range(0, len(ordered), self.page_size):
            self.pages_read += 1
            yield {"events": ordered[start:start + self.page_size]}


class Lake:
    def __init__(self):
        self.lines = []

    def progress(self, line):
        self.lines.append(line.strip().split(":")[0])


def test_each_milestone_is_printed_once_in_order_and_a_poll_reads_only_new_pages():
    lake, history = Lake(), History(["CreateCluster", "Poll", "Poll", "ClusterCreated", "AddStep", "Poll", "Poll"])
    seen = _print_milestones(lake, history, "execution", 0)
    assert (seen, lake.lines) == (7, ["CreateCluster", "ClusterCreated", "AddStep"])
    history.enter(["Poll", "StepCompleted", "Done"])
    history.pages_read = 0
    seen = _print_milestones(lake, history, "execution", seen)
    assert seen == 10 and lake.lines[3:] == ["StepCompleted", "Done"]
    assert history.pages_read == 2, "the three new events and the page that reaches the last one seen, not all four pages"
    assert _print_milestones(lake, history, "execution", seen) == seen and len(lake.lines) == 5
    assert {"CreateCluster", "StepCompleted", "Done"} <= MILESTONES.keys()
