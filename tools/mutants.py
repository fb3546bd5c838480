"""Proof that the model checks have teeth: plant one rule bug at a time and see which check fails.

Each mutant is planted by monkeypatching the rule table or a domain function inside its own
subprocess (`python -m tools.mutants --run NAME`), never by editing a file, so nothing else that
runs on this work tree can see it. `python -m tools.mutants` (`make mutants`) runs the clean
model first (it must pass), then every mutant (each must be caught), and prints a table.
"""

import copy
import subprocess
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from domain import dag, rules, runs, steering, subtask, task
from domain.caller import Caller
from domain.enums import Operation, ServiceStatus, SubtaskStatus, TaskStatus

_S = SubtaskStatus
ROOT = Path(__file__).resolve().parent.parent  # the subprocesses import `tools` from here


def _retable(edit: Callable[[list[dict[str, Any]]], None]) -> None:
    """Swap the subtask rule Machine for one built from an edited copy of its table."""
    table = copy.deepcopy(rules.SUBTASK_TRANSITIONS)
    edit(table)
    rules.SUBTASK_RULES = rules._machine(SubtaskStatus, table)
    dag.forget()  # answers of the old table


def _rule(table: list[dict[str, Any]], trigger: str, source: object) -> dict[str, Any]:
    return next(
        r
        for r in table
        if r["trigger"] == trigger and (r["source"] == source or source in r["source"])
    )


def retry_goes_to_the_wrong_state() -> None:
    _retable(lambda t: _rule(t, "retry", _S.FAILED).update(dest=_S.SUCCESSFUL))


def retry_allowed_during_rollback() -> None:
    _retable(lambda t: _rule(t, "retry", _S.FAILED).update(unless=[]))


def rollback_order_reversed() -> None:
    # The rollback walk waits for the upstreams instead of the downstreams.
    guards = dag.guards

    def reversed_guards(
        shape: dag.Shape, statuses: Sequence[SubtaskStatus], rolling_back: bool, index: int
    ) -> Mapping[str, bool]:
        values = dict(guards(shape, statuses, rolling_back, index))
        ups = (statuses[u] is _S.PENDING for u in shape[index].upstreams)
        values[rules.DOWNSTREAMS_PENDING] = all(ups)
        return values

    dag.guards = reversed_guards


def rollback_undoes_all_at_once() -> None:
    _retable(lambda t: _rule(t, "undo", _S.SUCCESSFUL).update(conditions=[rules.ROLLING_BACK]))


def prohibit_rollback_flag_ignored() -> None:
    task.Task.prohibit_rollback = property(lambda self: False)  # type: ignore[assignment,method-assign]


def rollback_allowed_past_prohibit_rollback() -> None:
    rules.TASK_RULES = rules._machine(
        TaskStatus,
        [{**r, "unless": []} if r["trigger"] == "rollback" else r for r in rules.TASK_TRANSITIONS],
    )


def skip_allowed_under_prohibit_skip() -> None:
    def edit(table: list[dict[str, Any]]) -> None:
        for r in table:
            if r["trigger"] == "skip":
                r["unless"] = [g for g in r.get("unless", []) if g != rules.PROHIBIT_SKIP]

    _retable(edit)


def status_ignores_canceling() -> None:
    derive = subtask.derive_task_status

    def off_by_one(statuses: Any) -> TaskStatus:
        return derive(_S.FAILED if s is _S.CANCELING else s for s in statuses)

    subtask.derive_task_status = off_by_one


def fencing_disabled() -> None:
    task.Task._fenced = lambda self, subtask_id, attempt: None  # type: ignore[method-assign]


def schedule_ignores_upstreams() -> None:
    _retable(lambda t: _rule(t, "schedule", _S.PENDING).update(conditions=[]))


def take_over_reruns_a_cancel() -> None:
    _retable(lambda t: _rule(t, "take_over", _S.CANCELING).update(dest=_S.RUNNING))


def undo_ends_successful() -> None:
    def edit(table: list[dict[str, Any]]) -> None:
        rule = next(r for r in table if r["trigger"] == "succeed" and r["dest"] == _S.PENDING)
        rule["dest"] = _S.SUCCESSFUL

    _retable(edit)


def canceling_never_ends() -> None:
    # Every way out of CANCELING now needs a guard that never holds outside a rollback.
    def edit(table: list[dict[str, Any]]) -> None:
        for r in table:
            if r["source"] == _S.CANCELING:
                r["conditions"] = [rules.ROLLING_BACK]
        _rule(table, "time_out", _S.RUNNING)["source"] = _S.RUNNING
        table.append(
            {
                "trigger": "time_out",
                "source": _S.CANCELING,
                "dest": _S.FAILED,
                "conditions": [rules.ROLLING_BACK],
            }
        )

    _retable(edit)


def claim_never_allowed() -> None:
    _retable(lambda t: _rule(t, "claim", _S.READY).update(conditions=[rules.PROHIBIT_SKIP]))


def failed_rollback_has_no_way_out() -> None:
    # A failed undo can be neither undone again nor skipped, and the task not rolled back again.
    def edit(table: list[dict[str, Any]]) -> None:
        _rule(table, "undo", _S.FAILED)["source"] = _S.SUCCESSFUL
        table.remove(next(r for r in table if r["trigger"] == "skip" and r["dest"] == _S.PENDING))

    _retable(edit)
    rules.TASK_RULES = rules._machine(
        TaskStatus,
        [{**r, "unless": [rules.ROLLING_BACK]} for r in rules.TASK_TRANSITIONS],
    )


def finished_task_can_be_retried() -> None:
    rules.TASK_RULES = rules._machine(
        TaskStatus,
        [
            {**r, "source": [TaskStatus.FAILED, TaskStatus.SUCCESSFUL]}
            if r["trigger"] == "retry"
            else r
            for r in rules.TASK_TRANSITIONS
        ],
    )


def refused_retry_bumps_run_time() -> None:
    retry = task.Task.retry_subtask

    def leaky(self: task.Task, subtask_id: int, caller: Caller) -> None:
        self.subtask(subtask_id).run_time += 1
        retry(self, subtask_id, caller)

    task.Task.retry_subtask = leaky  # type: ignore[method-assign]


def retry_bumps_run_time_outside_its_event() -> None:
    retry = task.Task.retry_subtask

    def sneaky(self: task.Task, subtask_id: int, caller: Caller) -> None:
        retry(self, subtask_id, caller)
        self.subtask(subtask_id).run_time += 1  # a replay would not do this

    task.Task.retry_subtask = sneaky  # type: ignore[method-assign]


def task_retry_skips_run_time() -> None:
    apply = task.Task.TaskRetried.apply

    def forgetful(event: task.Task.TaskRetried, aggregate: task.Task) -> None:
        apply(event, aggregate)
        for sub in aggregate.subtasks:
            sub.run_time -= sub.operation is Operation.RETRY

    task.Task.TaskRetried.apply = forgetful  # type: ignore[method-assign]


def task_status_recorded_unchanged() -> None:
    # The event says the task kept its status, whatever the transition did to it.
    trigger = task.Task.trigger_event

    def careless(self: task.Task, event_class: Any, **fields: Any) -> None:
        if "task_status_after" in fields:
            fields["task_status_after"] = fields["task_status_before"]
        trigger(self, event_class, **fields)

    task.Task.trigger_event = careless  # type: ignore[method-assign]


def outcome_ignores_a_pending_cancel() -> None:
    # A run that ends while its cancel is asked records what it did, not the cancel.
    runs.recorded_as = lambda outcome, canceling: outcome


def engine_forgets_the_release() -> None:
    # A task the engine finishes keeps its service bound.
    runs.owes_release = lambda task, service: False


def running_service_shows_no_transitional_status() -> None:
    # The claim leaves the service in the status it had (RUNNING during an upgrade).
    runs.TRANSITIONAL = {key: ServiceStatus.RUNNING for key in runs.TRANSITIONAL}


def views_offer_cancel_when_retry_is_allowed() -> None:
    # A surface's list of what is allowed asks the wrong trigger; the commands are untouched.
    steering.SUBTASK_OPERATIONS[Operation.CANCEL] = "retry"


MUTANTS: dict[str, Callable[[], None]] = {
    m.__name__: m
    for m in (
        retry_goes_to_the_wrong_state,
        retry_allowed_during_rollback,
        rollback_order_reversed,
        rollback_undoes_all_at_once,
        prohibit_rollback_flag_ignored,
        rollback_allowed_past_prohibit_rollback,
        skip_allowed_under_prohibit_skip,
        status_ignores_canceling,
        fencing_disabled,
        schedule_ignores_upstreams,
        take_over_reruns_a_cancel,
        undo_ends_successful,
        canceling_never_ends,
        claim_never_allowed,
        failed_rollback_has_no_way_out,
        finished_task_can_be_retried,
        refused_retry_bumps_run_time,
        retry_bumps_run_time_outside_its_event,
        task_retry_skips_run_time,
        task_status_recorded_unchanged,
        outcome_ignores_a_pending_cancel,
        engine_forgets_the_release,
        running_service_shows_no_transitional_status,
        views_offer_cancel_when_retry_is_allowed,
    )
}


def run_one(name: str) -> int:
    """In this (sub)process: plant the mutant (or none), run the model checks, print the verdict."""
    from tests.model.checks import Violation
    from tests.model.explorer import EXPLORED, explore

    if name != "none":
        MUTANTS[name]()
    for key, template in EXPLORED.items():
        try:
            explore(template, name=key)
        except Violation as violation:
            print(f"caught\t{violation.check}\t{key}\t{violation}")
            return 0
        except Exception as error:  # a crash is a catch too, but name it
            print(f"crashed\t{type(error).__name__}\t{key}\t{error}")
            return 0
    print("survived\t-\t-\t-")
    return 0


def _verdict(name: str) -> list[str]:
    done = subprocess.run(  # noqa: S603
        [sys.executable, "-m", "tools.mutants", "--run", name],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
        cwd=ROOT,
    )
    lines = done.stdout.strip().splitlines()
    if done.returncode != 0 or not lines:
        return ["error", "-", "-", done.stderr.strip()[-300:]]
    return lines[-1].split("\t", 3)


def main() -> int:
    began = time.perf_counter()
    baseline = _verdict("none")
    if baseline[0] != "survived":
        print(f"the clean model fails its own checks: {baseline}")
        return 1
    print("| planted bug | caught by | first template | detail |")
    print("|---|---|---|---|")
    escaped = []
    for name in MUTANTS:
        verdict, check, template, detail = _verdict(name)
        if verdict != "caught":
            escaped.append(name)
        print(
            f"| {name} | {check if verdict == 'caught' else verdict.upper()} | {template} "
            f"| {detail[:90]} |"
        )
    print(
        f"\n{len(MUTANTS) - len(escaped)}/{len(MUTANTS)} caught "
        f"in {time.perf_counter() - began:.0f} s"
    )
    return 1 if escaped else 0


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--run":
        sys.exit(run_one(sys.argv[2]))
    sys.exit(main())
