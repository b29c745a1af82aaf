"""Static checks of an Amazon States Language definition, for what Step Functions enforces at
creation and what no run in moto shows unless a test happens to drive that path.

`structure_problems`: StartAt and every Next, Default, Choices[].Next and Catch[].Next name a
state of the same scope (the machine, a Map's ItemProcessor or a Parallel branch), and every
state is reachable from StartAt; Step Functions refuses a definition that breaks either
(AWS Step Functions Developer Guide, "State machine structure in Amazon States Language":
"StartAt ... must exactly match one of names of the States objects"; Next "must exactly match
the name of another state"; a state machine with unreachable states fails validation,
"MISSING_TRANSITION_TARGET" / "UNREACHABLE_STATE" in ValidateStateMachineDefinition's codes).

`leak_problems`: from the task that creates a cluster (a Task whose result becomes the cluster
id) every path to the end of the run passes through a task that terminates it, or through a
Choice edge that has just read the cluster as TERMINATED*; on the way every state that can fail
(Task, Map, Parallel) has a catch-all (`States.ALL`) and no catch drops the cluster id from the
state; a Choice on "the cluster id is present" is taken as the definition states it. A Parallel
or Map counts as one state of its scope; a Parallel whose branch creates the cluster hands it
over on success only, so its branch is checked the same way up to its own end.
"""
from __future__ import annotations

from collections.abc import Iterator

CAN_FAIL = ("Task", "Map", "Parallel")


def scopes(definition: dict, path: str = "") -> Iterator[tuple[str, dict]]:
    """(where, scope) for the machine and every nested ItemProcessor/Iterator and branch."""
    yield path or "machine", definition
    for name, state in definition.get("States", {}).items():
        inner = [state.get("ItemProcessor") or state.get("Iterator")] + state.get("Branches", [])
        for i, scope in enumerate(s for s in inner if s):
            yield from scopes(scope, f"{path}/{name}[{i}]")


def edges(state: dict) -> list[tuple[str, dict | None]]:
    """(target, the Choice rule or Catch that leads there, else None)."""
    found = [(state["Next"], None)] if "Next" in state else []
    found += [(rule["Next"], rule) for rule in state.get("Choices", [])]
    if "Default" in state:
        found.append((state["Default"], {"Default": True}))
    found += [(catch["Next"], catch) for catch in state.get("Catch", [])]
    return found


def structure_problems(definition: dict) -> list[str]:
    problems = []
    for where, scope in scopes(definition):
        states = scope.get("States", {})
        if scope.get("StartAt") not in states:
            problems.append(f"{where}: StartAt {scope.get('StartAt')!r} is not a state")
            continue
        for name, state in states.items():
            for target, _ in edges(state):
                if target not in states:
                    problems.append(f"{where}/{name}: transition to {target!r}, which is not a state of its scope")
            if not edges(state) and state["Type"] not in ("Succeed", "Fail") and not state.get("End"):
                problems.append(f"{where}/{name}: neither Next nor End")
        reached, todo = set(), [scope["StartAt"]]
        while todo:
            name = todo.pop()
            if name in reached or name not in states:
                continue
            reached.add(name)
            todo += [target for target, _ in edges(states[name])]
        problems += [f"{where}/{name}: unreachable from StartAt" for name in states if name not in reached]
    return problems


def _creates(state: dict) -> str | None:
    """The JSONPath of the cluster id when `state` is the task that creates the cluster."""
    payload = state.get("Parameters", {}).get("Payload", {}) if state.get("Type") == "Task" else {}
    if "Request" in payload and state.get("ResultSelector", {}).get("id.$", "").endswith("ClusterId"):
        return f"{state['ResultPath']}.id"
    return None


def _terminates(state: dict, cluster_id: str) -> bool:
    return (state.get("Type") == "Task" and state.get("Resource", "").endswith(":emr:terminateJobFlows")
            and cluster_id in str(state.get("Parameters", {}).get("JobFlowIds.$", "")))


def _catch_all(state: dict) -> dict | None:
    return next((c for c in state.get("Catch", []) if "States.ALL" in c["ErrorEquals"]), None)


def _read_as_terminated(rule: dict | None) -> bool:
    """A Choice rule (or an And of rules) that holds only for a cluster EMR has ended."""
    if not rule or "Default" in rule:
        return False
    rules = rule.get("And", [rule])
    return any(r.get("Variable", "").endswith(".State") and r.get("StringMatches", r.get("StringEquals", "")).startswith("TERMINAT")
               for r in rules)


def _keeps(catch: dict, cluster_id: str) -> bool:
    result = catch.get("ResultPath", "$")
    return result is not None and result != "$" and not cluster_id.startswith(result)


def _followed(state: dict, cluster_id: str) -> list[tuple[str, dict | None]]:
    """The edges a run holding a cluster can take: a Choice that tests the id's presence goes one way."""
    if state["Type"] == "Choice":
        for rule in state.get("Choices", []):
            if rule.get("Variable") == cluster_id and "IsPresent" in rule:
                return [(rule["Next"], rule)] if rule["IsPresent"] is True else [
                    (t, r) for t, r in edges(state) if r is not rule]
    return edges(state)


def leak_problems(definition: dict) -> list[str]:
    problems = []
    for where, scope in scopes(definition):
        states = scope.get("States", {})
        for name, state in states.items():
            holder = _holder(state)
            if cluster_id := _creates(state):
                problems += _walk(where, states, [(t, r) for t, r in edges(state) if "ErrorEquals" not in (r or {})], cluster_id, inner=where != "machine")
            elif holder:  # a Parallel/Map whose branch creates the cluster: held once it succeeds
                problems += _walk(where, states, [(state["Next"], None)] if "Next" in state else [], holder, inner=False)
    return problems


def _holder(state: dict) -> str | None:
    for scope in [state.get("ItemProcessor") or state.get("Iterator")] + state.get("Branches", []):
        for inner in (scope or {}).get("States", {}).values():
            if cluster_id := _creates(inner):
                return cluster_id
    return None


def _walk(where: str, states: dict, start: list, cluster_id: str, inner: bool) -> list[str]:
    """Every path from `start` while the run holds the cluster."""
    problems, seen, todo = [], set(), list(start)
    while todo:
        name, _ = todo.pop()
        if name in seen or name not in states:
            continue
        seen.add(name)
        state = states[name]
        if _terminates(state, cluster_id):
            continue
        if state["Type"] in ("Fail", "Succeed") or state.get("End"):
            # The end of a branch hands the cluster to the container; the end of the machine must not hold one.
            if state["Type"] == "Fail" or not inner:
                problems.append(f"{where}/{name}: the run can end here with its cluster still running")
            continue
        if state["Type"] in CAN_FAIL:
            catch = _catch_all(state)
            if catch is None:
                problems.append(f"{where}/{name}: can fail while the run holds a cluster and has no States.ALL catch")
            elif not _keeps(catch, cluster_id):
                problems.append(f"{where}/{name}: its catch (ResultPath {catch.get('ResultPath', '$')!r}) drops {cluster_id}")
        for target, rule in _followed(state, cluster_id):
            if not _read_as_terminated(rule):
                todo.append((target, rule))
    return problems
