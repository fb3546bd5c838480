"""The operator's steering of a task: retry it or roll it back; retry, skip or cancel one of
its subtasks. The rule table (domain/rules.py, asked through the Task) decides: an operation it
forbids raises a domain error before anything is saved."""

from collections.abc import Callable

from domain.caller import Caller
from domain.task import Task
from infrastructure.use_cases.session import Session


def retry_task(session: Session, task_id: int, caller: Caller) -> Task:
    return _steer(session, task_id, lambda task: task.retry(caller))


def rollback_task(session: Session, task_id: int, caller: Caller) -> Task:
    return _steer(session, task_id, lambda task: task.rollback(caller))


def retry_subtask(session: Session, task_id: int, subtask_id: int, caller: Caller) -> Task:
    return _steer(session, task_id, lambda task: task.retry_subtask(subtask_id, caller))


def skip_subtask(session: Session, task_id: int, subtask_id: int, caller: Caller) -> Task:
    return _steer(session, task_id, lambda task: task.skip_subtask(subtask_id, caller))


def cancel_subtask(session: Session, task_id: int, subtask_id: int, caller: Caller) -> Task:
    return _steer(session, task_id, lambda task: task.request_cancel(subtask_id, caller))


def _steer(session: Session, task_id: int, command: Callable[[Task], None]) -> Task:
    task = session.task(task_id)
    command(task)
    session.save(task)
    return task
