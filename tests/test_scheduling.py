"""The scheduler that keeps each shared fixture on one worker (tests/scheduling.py), driven by a
simulated run: workers that, like xdist's, hold their last test back until they know the next."""
import json
from dataclasses import dataclass, field
from types import SimpleNamespace

import pytest

from tests.scheduling import CHUNK, SHARED_FIXTURES, SharedFixtureScheduling, work_units

SPARK, FIRST, SECOND = SHARED_FIXTURES[0], SHARED_FIXTURES[1], SHARED_FIXTURES[2]


@dataclass(eq=False)
class Worker:
    name: str
    queue: list = field(default_factory=list)
    ran: list = field(default_factory=list)
    clock: float = 0.0
    shutting_down: bool = False

    @property
    def gateway(self):
        return SimpleNamespace(id=self.name)

    def send_runtest_some(self, indices):
        self.queue.extend(indices)

    def shutdown(self):
        self.shutting_down = True


# What building a shared fixture costs a worker the first time one of its tests needs it.
BUILD_SECONDS = {SPARK: 10.0, FIRST: 5.0, SECOND: 5.0}


def simulate(tmp_path, tests: dict[str, tuple[float, list[str]]], workers: int = 2):
    """tests: node id -> (seconds, shared fixtures it needs). Returns the workers after the run."""
    items = [SimpleNamespace(nodeid=nodeid, fixturenames=needs, _fixtureinfo=SimpleNamespace(name2fixturedefs={}))
             for nodeid, (_, needs) in tests.items()]
    (tmp_path / "gw0.json").write_text(json.dumps(work_units(items)))
    config = SimpleNamespace(getvalue=lambda name: [f"{workers}*popen"] if name == "tx" else None)
    scheduler = SharedFixtureScheduling(config, record_dir=tmp_path)
    nodes = [Worker(f"gw{i}") for i in range(workers)]
    for node in nodes:
        scheduler.add_node(node)
        scheduler.add_node_collection(node, list(tests))
    scheduler.schedule()
    collection = list(tests)
    while True:
        runnable = [n for n in nodes if len(n.queue) >= 2 or (n.queue and n.shutting_down)]
        if not runnable:
            break
        node = min(runnable, key=lambda n: n.clock)
        index = node.queue.pop(0)
        seconds, needs = tests[collection[index]]
        node.clock += seconds + sum(BUILD_SECONDS[f] for f in needs if f not in built(node, tests))
        node.ran.append(collection[index])
        scheduler.mark_test_complete(node, index)
    assert all(n.shutting_down and not n.queue for n in nodes), "a worker was left waiting with work queued"
    return nodes


def built(node, tests) -> set[str]:
    return {fixture for nodeid in node.ran for fixture in tests[nodeid][1]}


def suite(spark=8, first=40, second=40, filler=60):
    tests = {f"tests/spark/test_job.py::test_{i}": (3.0, [SPARK]) for i in range(spark)}
    # As pytest collects a module of tests parametrized by stage: each test for both stages.
    for i in range(max(first, second)):
        module = f"tests/stacks/test_s{i % 5}.py"
        tests |= {f"{module}::test_{i}[{FIRST}]": (0.2, [FIRST])} if i < first else {}
        tests |= {f"{module}::test_{i}[{SECOND}]": (0.2, [SECOND])} if i < second else {}
    tests |= {f"tests/cli/test_m{i % 6}.py::test_{i}": (0.1, []) for i in range(filler)}
    return tests


def uneven_stages():
    """No Spark; modules of 1 to 9 tests, each test for both stages, and the filler."""
    tests = {}
    for m in range(9):
        for i in range(m + 1):
            tests[f"tests/stacks/test_u{m}.py::test_{i}[{FIRST}]"] = (0.3, [FIRST])
            tests[f"tests/stacks/test_u{m}.py::test_{i}[{SECOND}]"] = (0.2, [SECOND])
    return tests | {f"tests/cli/test_m{i % 6}.py::test_{i}": (0.1, []) for i in range(60)}


@pytest.mark.parametrize("tests", [suite(), uneven_stages()], ids=["spark-and-stages", "uneven-stages"])
def test_every_test_runs_once_and_each_fixture_is_built_on_one_worker(tmp_path, tests):
    nodes = simulate(tmp_path, tests)
    ran = [nodeid for node in nodes for nodeid in node.ran]
    assert sorted(ran) == sorted(tests)
    for fixture in {f for _, needs in tests.values() for f in needs}:
        assert sum(fixture in built(node, tests) for node in nodes) == 1, fixture


def test_the_spark_tests_start_first_and_the_filler_evens_out_the_end(tmp_path):
    tests = suite()
    nodes = simulate(tmp_path, tests)
    (spark_worker,) = [n for n in nodes if SPARK in built(n, tests)]
    assert tests[spark_worker.ran[0]][1] == [SPARK]
    finish = sorted(n.clock for n in nodes)
    # A worker is given its next unit before it runs its last test (xdist holds that one back
    # until it knows what follows): the ends may differ by that test and one filler unit.
    longest_test = max(seconds for seconds, _ in tests.values())
    longest_filler = max(sum(s for n, (s, needs) in tests.items() if n.startswith(m) and not needs)
                         for m in {n.split("::")[0] for n, (_, needs) in tests.items() if not needs})
    assert finish[1] - finish[0] <= longest_test + longest_filler, f"one worker waited {finish[1] - finish[0]:.1f} s for the other"


def test_an_idle_worker_builds_a_fixture_again_rather_than_wait(tmp_path):
    tests = {f"tests/stacks/test_m{i % 8}.py::test_{i}": (0.5, [FIRST]) for i in range(80)}
    nodes = simulate(tmp_path, tests)
    assert all(FIRST in built(node, tests) for node in nodes)
    assert all(node.ran for node in nodes)


def test_a_module_scoped_fixture_keeps_its_modules_tests_in_one_unit():
    def item(nodeid, scope):
        defs = {"built_per_module": [SimpleNamespace(scope=scope)]}
        return SimpleNamespace(nodeid=nodeid, fixturenames=[FIRST], _fixtureinfo=SimpleNamespace(name2fixturedefs=defs))

    bound = work_units([item(f"tests/a/test_m.py::test_{i}", "module") for i in range(20)])
    free = work_units([item(f"tests/a/test_f.py::test_{i}", "function") for i in range(20)])
    assert len({u["unit"] for u in bound.values()}) == 1
    assert len({u["unit"] for u in free.values()}) == -(-20 // CHUNK)
    assert all(u["needs"] == [FIRST] for u in (*bound.values(), *free.values()))
