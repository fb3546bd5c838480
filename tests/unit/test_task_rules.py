"""The rules of "The task model" (DESIGN.md), one readable example each, on the upgrade task."""

import pytest

from domain.caller import Caller
from domain.enums import FailureReason, Operation, SubtaskStatus, TaskStatus
from domain.errors import RollbackProhibited, SkipProhibited, StaleAttempt, TaskStateInvalid
from domain.step_log import LogLevel
from domain.task import Task, subtask_log
from domain.templates import UPGRADE
from tests.logs import last_run, lines
from tests.model.explorer import NO_SKIP, created_task, new_task

P, R, RUN, C, F, OK = (
    SubtaskStatus.PENDING,
    SubtaskStatus.READY,
    SubtaskStatus.RUNNING,
    SubtaskStatus.CANCELING,
    SubtaskStatus.FAILED,
    SubtaskStatus.SUCCESSFUL,
)
WHO = Caller("dba", "0123456789abcdef")
PREPARE, STOP, BEGIN, INSTALL, START, VERSION, STATUS = range(101, 108)


def statuses(task: Task) -> list[SubtaskStatus]:
    return [s.status for s in task.subtasks]


def run(task: Task, sid: int) -> int:
    return task.start_subtask(sid, "node-1", WHO)


def succeed(task: Task, sid: int) -> None:
    task.complete_subtask(sid, run(task, sid), lines("ok"), WHO)


def fail(task: Task, sid: int, reason: FailureReason = FailureReason.ERROR) -> None:
    task.fail_subtask(sid, run(task, sid), reason, lines("error"), WHO)


def failed_at_stop() -> Task:
    task = new_task(UPGRADE)
    succeed(task, PREPARE)
    fail(task, STOP)
    return task


def test_a_new_task_runs_its_entry_subtask_first() -> None:
    task = new_task(UPGRADE)
    assert statuses(task) == [R, P, P, P, P, P, P]
    assert [s.run_time for s in task.subtasks] == [1] * 7
    assert (task.status, task.operation, task.prohibit_rollback) == (
        TaskStatus.RUNNING,
        Operation.EXECUTE,
        False,
    )


def test_a_subtask_becomes_ready_when_its_upstream_succeeds() -> None:
    task = new_task(UPGRADE)
    run(task, PREPARE)
    assert statuses(task)[:2] == [RUN, P]
    task.complete_subtask(PREPARE, 1, lines("prepared"), WHO)
    assert statuses(task)[:3] == [OK, R, P]


def test_the_task_status_is_derived_from_its_subtasks() -> None:
    task = failed_at_stop()
    assert task.status is TaskStatus.FAILED
    assert task.finish_time is not None
    task.retry_subtask(STOP, WHO)
    assert (task.status, task.finish_time) == (TaskStatus.RUNNING, None)
    for sid in range(STOP, STATUS + 1):
        succeed(task, sid)
    assert task.status is TaskStatus.SUCCESSFUL
    assert statuses(task) == [OK] * 7


def test_a_timed_out_subtask_fails_with_operation_cancel_and_says_so() -> None:
    task = created_task(UPGRADE)
    fail(task, PREPARE, FailureReason.TIMEOUT)
    prepare = task.subtask(PREPARE)
    assert (prepare.status, prepare.operation) == (F, Operation.CANCEL)
    log = subtask_log(task.pending_events, PREPARE)
    assert "timed out after 60 s and was interrupted" in last_run(log)
    assert log[-1].lines[-1].level is LogLevel.ERROR


def test_retry_task_reruns_every_failed_subtask() -> None:
    task = failed_at_stop()
    task.retry(WHO)
    stop = task.subtask(STOP)
    assert (stop.status, stop.operation, stop.run_time) == (R, Operation.RETRY, 2)
    assert (task.status, task.operation) == (TaskStatus.RUNNING, Operation.RETRY)


def test_only_a_failed_task_can_be_retried() -> None:
    task = new_task(UPGRADE)
    with pytest.raises(TaskStateInvalid):
        task.retry(WHO)


def test_a_rolled_back_task_cannot_be_retried() -> None:
    task = failed_at_stop()
    task.rollback(WHO)
    fail(task, STOP)  # the undo of the stop fails: the rollback is FAILED
    assert (task.status, task.operation) == (TaskStatus.FAILED, Operation.ROLLBACK)
    with pytest.raises(TaskStateInvalid):
        task.retry(WHO)
    with pytest.raises(TaskStateInvalid):
        task.retry_subtask(STOP, WHO)


def test_retry_subtask_only_from_failed() -> None:
    task = failed_at_stop()
    with pytest.raises(TaskStateInvalid):
        task.retry_subtask(PREPARE, WHO)
    task.retry_subtask(STOP, WHO)
    assert (task.subtask(STOP).status, task.subtask(STOP).run_time) == (R, 2)


def test_skip_marks_a_failed_subtask_successful_and_the_dag_goes_on() -> None:
    task = failed_at_stop()
    task.skip_subtask(STOP, WHO)
    stop = task.subtask(STOP)
    assert (stop.status, stop.operation) == (OK, Operation.SKIP)
    assert statuses(task)[2] is R


def test_prohibit_skip_is_respected() -> None:
    task = new_task(NO_SKIP)
    for sid in (PREPARE, STOP, BEGIN):
        succeed(task, sid)
    fail(task, INSTALL)
    with pytest.raises(SkipProhibited):
        task.skip_subtask(INSTALL, WHO)
    assert task.subtask(INSTALL).status is F


def test_skip_during_a_rollback_goes_home_without_the_undo() -> None:
    task = failed_at_stop()
    task.rollback(WHO)
    fail(task, STOP)
    task.skip_subtask(STOP, WHO)
    assert statuses(task)[:2] == [R, P]  # and the walk goes on upstream


def test_cancel_a_running_subtask() -> None:
    task = new_task(UPGRADE)
    attempt = run(task, PREPARE)
    with pytest.raises(TaskStateInvalid):
        task.request_cancel(STOP, WHO)
    task.request_cancel(PREPARE, WHO)
    assert task.subtask(PREPARE).status is C
    assert task.status is TaskStatus.RUNNING
    task.confirm_cancel(PREPARE, attempt, lines("hook ran"), WHO)
    prepare = task.subtask(PREPARE)
    assert (prepare.status, prepare.operation) == (F, Operation.CANCEL)


def test_rollback_walks_upstream_in_reverse_order_and_ends_successful() -> None:
    task = new_task(UPGRADE)
    succeed(task, PREPARE)
    fail(task, STOP)
    task.rollback(WHO)
    assert statuses(task)[:3] == [OK, R, P]  # the failed stop is undone first
    assert task.subtask(STOP).operation is Operation.ROLLBACK
    succeed(task, STOP)
    assert statuses(task)[:3] == [R, P, P]  # then the prepare
    succeed(task, PREPARE)
    assert statuses(task) == [P] * 7
    assert (task.status, task.operation) == (TaskStatus.SUCCESSFUL, Operation.ROLLBACK)
    assert [s.run_time for s in task.subtasks[:2]] == [2, 2]


def test_rollback_only_of_a_failed_task() -> None:
    task = new_task(UPGRADE)
    with pytest.raises(TaskStateInvalid):
        task.rollback(WHO)


def test_prohibit_rollback_once_begin_upgrade_has_started() -> None:
    task = new_task(UPGRADE)
    succeed(task, PREPARE)
    succeed(task, STOP)
    assert not task.prohibit_rollback
    fail(task, BEGIN)
    assert task.prohibit_rollback
    with pytest.raises(RollbackProhibited):
        task.rollback(WHO)
    task.retry_subtask(BEGIN, WHO)  # only retry and skip remain
    assert task.subtask(BEGIN).status is R


def test_a_refused_operation_changes_nothing_and_records_nothing() -> None:
    task = failed_at_stop()
    task.collect_events()  # as a save would
    before = [s.to_dict() for s in task.subtasks], task.version
    with pytest.raises(TaskStateInvalid):
        task.skip_subtask(PREPARE, WHO)
    assert ([s.to_dict() for s in task.subtasks], task.version) == before
    assert task.collect_events() == []


def test_an_outcome_from_a_stale_attempt_is_refused() -> None:
    task = created_task(UPGRADE)
    first = run(task, PREPARE)
    second = task.start_subtask(PREPARE, "node-2", WHO, took_over=True)
    assert second == first + 1
    took_over = subtask_log(task.pending_events, PREPARE)[-1].lines[-1]
    assert "executor node-1 was lost" in took_over.message
    assert took_over.level is LogLevel.WARN
    with pytest.raises(StaleAttempt):
        task.complete_subtask(PREPARE, first, [], WHO)
    task.complete_subtask(PREPARE, second, [], WHO)
    assert task.subtask(PREPARE).status is OK


def test_a_lost_executor_of_a_canceling_subtask_ends_it_failed() -> None:
    task = new_task(UPGRADE)
    run(task, PREPARE)
    task.request_cancel(PREPARE, WHO)
    task.start_subtask(PREPARE, "node-2", WHO, took_over=True)
    assert task.subtask(PREPARE).status is F
