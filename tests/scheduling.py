"""How `pytest -n 2` shares the work: tests that need the same expensive session fixture (a
stage's synthesized cloud assembly, the local SparkSession) run on the worker that already
built it, so each is built once per run instead of once per worker.

pytest-xdist's own answer (`--dist loadgroup` with `xdist_group` marks) renames node ids
through an attribute pytest 9 no longer reads, so its groups are silently ignored. This
scheduler needs no marks: each worker records, while it collects, which of
`SHARED_FIXTURES` every test needs (directly, through other fixtures, or as the value of a
parametrized fixture such as `stage`), and the controller reads that record.

Work goes out in units of one module's tests that need the same shared fixtures (chunks of
them where no module-scoped fixture binds the module together). A worker asking for work
gets, in this order:
1. a unit whose shared fixtures it has built already (the only kind a busy worker is topped
   up with, so it neither claims a fixture the other could start at once nor eats the filler);
2. once idle: a unit needing a fixture no worker has built yet (in `SHARED_FIXTURES` order:
   the Spark session's tests take longest, so they start first);
3. once idle: a unit that needs no shared fixture (the filler that evens out the end);
4. once idle and nothing else is left: a unit needing a fixture another worker holds (built a
   second time rather than leaving a core unused).
"""
from __future__ import annotations

import json
import os
from pathlib import Path

from xdist.scheduler import LoadScopeScheduling

# The session fixtures worth keeping on one worker, in the order idle workers claim them.
SHARED_FIXTURES = ("spark", "dev", "prod", "fork", "fork_lean", "ephemeral")
RECORD_ENV = "LAKE_TEST_SHARED_FIXTURES_DIR"
CHUNK = 8


def shared_fixtures(item) -> list[str]:
    """The shared fixtures `item` needs: in its fixture closure, or named by the parameter of a
    parametrized fixture (`stage`, `lake` and the like resolve their param with getfixturevalue)."""
    needed = set(item.fixturenames) & set(SHARED_FIXTURES)
    params = getattr(getattr(item, "callspec", None), "params", {})
    needed |= {value for value in params.values() if isinstance(value, str) and value in SHARED_FIXTURES}
    return sorted(needed, key=SHARED_FIXTURES.index)


def shares_module_state(item) -> bool:
    """Whether `item` uses a module-, class- or package-scoped fixture: then its module's tests
    stay together (split across workers, that fixture would be built on each)."""
    info = getattr(item, "_fixtureinfo", None)
    if info is None:
        return True
    return any(defs[-1].scope in ("module", "class", "package") for defs in info.name2fixturedefs.values() if defs)


def work_units(items) -> dict[str, dict]:
    """node id -> its unit and shared fixtures. A unit is a module's tests that need the same
    shared fixtures, in chunks of `CHUNK` where nothing module-scoped binds them: small units
    let the end of a run even out."""
    units, counts = {}, {}
    for item in items:
        needs = shared_fixtures(item)
        unit = "|".join((item.nodeid.split("::", 1)[0], *needs))
        if not shares_module_state(item):
            counts[unit] = counts.get(unit, 0) + 1
            unit += f"#{(counts[unit] - 1) // CHUNK}"
        units[item.nodeid] = {"unit": unit, "needs": needs}
    return units


def record(config, items) -> None:
    """On a worker: writes each test's unit and shared fixtures where the controller reads them."""
    folder = os.environ.get(RECORD_ENV)
    worker = getattr(config, "workerinput", {}).get("workerid")
    if not folder or not worker:
        return
    target = Path(folder) / f"{worker}.json"
    partial = target.with_suffix(".partial")
    partial.write_text(json.dumps(work_units(items)))
    partial.replace(target)  # the controller never reads half a file


class SharedFixtureScheduling(LoadScopeScheduling):
    """LoadScopeScheduling whose work units are (module, shared fixtures) and whose units go to
    the worker holding those fixtures (module docstring)."""

    def __init__(self, config, log=None, *, record_dir: Path):
        super().__init__(config, log)
        self.record_dir = record_dir
        self.units: dict[str, dict] | None = None
        self.built: dict = {}

    def _record(self) -> dict[str, dict]:
        if self.units is None:
            # Every worker collected the same tests (checked before scheduling); any record will do.
            records = sorted(self.record_dir.glob("*.json"))
            self.units = json.loads(records[0].read_text()) if records else {}
        return self.units

    def _split_scope(self, nodeid: str) -> str:
        found = self._record().get(nodeid)
        return found["unit"] if found else nodeid.rsplit("::", 1)[0]

    def _unit_needs(self, scope: str) -> set[str]:
        return set(scope.split("#", 1)[0].split("|")[1:])

    def _choose(self, node, idle: bool) -> str | None:
        held = self.built.setdefault(node, set())
        elsewhere = set().union(*(b for n, b in self.built.items() if n is not node))
        ranked = []
        for position, scope in enumerate(self.workqueue):
            needs = self._unit_needs(scope)
            missing = needs - held
            if needs and not missing:
                rank = (0, position)
            elif not idle:
                continue
            elif missing and not missing & elsewhere:
                rank = (1, min(SHARED_FIXTURES.index(f) for f in missing), position)
            elif not needs:
                rank = (2, position)
            else:
                rank = (3, position)
            ranked.append((rank, scope))
        return min(ranked)[1] if ranked else None

    def _assign_work_unit(self, node, idle: bool = True) -> bool:
        scope = self._choose(node, idle)
        if scope is None:
            return False
        work_unit = self.workqueue.pop(scope)
        self.built.setdefault(node, set()).update(self._unit_needs(scope))
        self.assigned_work.setdefault(node, {})[scope] = work_unit
        collection = self.registered_collections[node]
        node.send_runtest_some([collection.index(nodeid) for nodeid, done in work_unit.items() if not done])
        return True

    def _reschedule(self, node) -> None:
        if node.shutting_down:
            return
        if not self.workqueue:
            node.shutdown()
            return
        # A worker holds back its last test until it knows the next (for fixture teardown), so
        # with one test pending it waits: that is idle. With two it is busy, and gets topped up.
        pending = self._pending_of(self.assigned_work[node])
        if pending <= 2:
            self._assign_work_unit(node, idle=pending <= 1)

    def mark_test_complete(self, node, item_index: int, duration: float = 0) -> None:
        super().mark_test_complete(node, item_index, duration)
        # A worker left idle because the only work needed another's fixtures may take it now.
        for other in self.nodes:
            if other is not node:
                self._reschedule(other)

    def schedule(self) -> None:
        if self.collection is not None:
            for node in self.nodes:
                self._reschedule(node)
            return
        if not self._check_nodes_have_same_collection():
            self.log("**Different tests collected, aborting run**")
            return
        self.collection = list(next(iter(self.registered_collections.values())))
        for nodeid in self.collection:
            self.workqueue.setdefault(self._split_scope(nodeid), {})[nodeid] = False
        for node in self.nodes:
            self._assign_work_unit(node, idle=True)
        for node in self.nodes:
            self._reschedule(node)
        if not self.workqueue:
            for node in self.nodes:
                node.shutdown()
