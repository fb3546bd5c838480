"""Stateful property tests over the application and a real store (hypothesis RuleBasedStateMachine).

Random interleavings of upgrades (with and without clientTokens), engine steps (domain.runs'
commands on the task and its service, saved through the application), operator commands
(infrastructure/use_cases/task_steering.py), restarts (a new ArbiterApp on the same store) and
snapshots. After every step: the live aggregate, a replay of its events, a snapshot-based load
and a plain load are equal, and the task and service list views agree with the aggregates.
A refused command must have recorded nothing; the clientToken rules must hold.
"""

import shutil
import tempfile
from contextlib import ExitStack
from pathlib import Path
from typing import Any

from hypothesis import event, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
)

from domain.caller import Caller
from domain.errors import ClientTokenConflict, DomainError
from domain.ids import task_uuid
from domain.task import Task
from infrastructure.use_cases.application import ArbiterApp
from infrastructure.use_cases.inventory import ServiceSpec
from infrastructure.use_cases.queries import Paged
from tests.model.actions import subtask_actions
from tests.model.profile import STATEFUL
from tests.stores import store_of

OLD = "oceanbase-4.2.1.0-100000102023092807.el7.x86_64.rpm"
NEW = (
    "oceanbase-4.2.5.0-100000052024102022.el7.x86_64.rpm",
    "oceanbase-4.3.4.0-200000022024070119.el7.x86_64.rpm",
)
RPMS = (*NEW, OLD, "oceanbase-4.9.9.0-100000000000000000.el7.x86_64.rpm")  # old, unknown: refused
TOKENS = (None, "token-alpha", "token-bravo", "bad")  # "bad" is too short: refused
OPERATOR = Caller("operator", "0123456789abcdef")
ENGINE_STEPS = ("claim", "succeed", "fail", "time_out", "take_over", "confirm_cancel")
TASK_COMMANDS = ("retry_task", "rollback_task")
SUBTASK_COMMANDS = ("retry_subtask", "skip_subtask", "cancel_subtask")


def state(task: Task) -> tuple[Any, ...]:
    """Everything the task holds, for comparing two loads of it."""
    return (
        task.task_id,
        task.version,
        task.name,
        task.template,
        task.service_id,
        task.params,
        task.creator,
        task.executor,
        task.trace_id,
        task.client_token,
        task.operation,
        task.status,
        task.prohibit_rollback,
        task.start_time,
        task.finish_time,
        [s.to_dict() for s in task.subtasks],
    )


class ArbiterModel(RuleBasedStateMachine):
    kind = "sqlite"

    def __init__(self) -> None:
        super().__init__()
        # mkdtemp, not TemporaryDirectory: its finalizer warns when hypothesis drops a machine.
        self.directory = Path(tempfile.mkdtemp(prefix="arbiter-model-"))
        self.resources = ExitStack()
        self.resources.callback(shutil.rmtree, self.directory, ignore_errors=True)
        self.store = self.resources.enter_context(store_of(self.kind, self.directory))
        self.app = ArbiterApp(self.store, "10.0.0.1")
        self.services = self._seed()
        self.tasks: dict[int, Task] = {}  # the live aggregate of every task, as last saved
        self.tokens: dict[str, tuple[int, str, int]] = {}  # token -> (service, rpm, task)

    def _seed(self) -> list[int]:
        who = Caller("admin", "0000000000000000")
        for rpm in (OLD, *NEW):
            self.app.register_package(rpm, who)
        host = self.app.register_host("10.0.0.9", "x86_64", "http://127.0.0.1:1", who)
        return [
            self.app.register_service(
                ServiceSpec(
                    f"arb-{port}", host.host_id, port, "/opt/ob", "/opt/ob/run", "admin", OLD
                ),
                who,
            ).service_id
            for port in (2882, 2883)
        ]

    def teardown(self) -> None:
        self.app.close()
        self.resources.close()

    # ---- API operations ------------------------------------------------------------------

    @initialize(token=st.sampled_from(TOKENS[:2]))
    def first_upgrade(self, token: str | None) -> None:
        """Every run starts with one task, so that the engine and the operator have work."""
        self.upgrade(0, NEW[0], token)
        assert self.tasks

    @rule(service=st.integers(0, 1), rpm=st.sampled_from(RPMS), token=st.sampled_from(TOKENS))
    def upgrade(self, service: int, rpm: str, token: str | None) -> None:
        service_id, head = self.services[service], self.app.head_position()
        known = self.tokens.get(token) if token is not None else None
        refused: DomainError | None = None
        try:
            task = self.app.upgrade(service_id, rpm, token, OPERATOR)
        except DomainError as error:
            refused = error
        if refused is not None:
            assert self.app.head_position() == head, f"refused upgrade recorded: {refused}"
            if known is not None and known[:2] != (service_id, rpm):
                assert isinstance(refused, ClientTokenConflict), refused
            assert known is None or known[:2] != (service_id, rpm), "a replay was refused"
            return
        if known is not None:
            assert known[:2] == (service_id, rpm), "a token was reused for another request"
            assert task.task_id == known[2], "a replay created another task"
            assert self.app.head_position() == head, "a replay recorded events"
            event("accepted: clientToken replay")
            return
        assert task.task_id not in self.tasks
        event(f"accepted: upgrade, token {'yes' if token else 'no'}")
        self.tasks[task.task_id] = task
        if token is not None:
            self.tokens[token] = (service_id, rpm, task.task_id)

    # ---- engine steps: domain commands saved through the application ---------------------

    @precondition(lambda self: self.tasks)
    @rule(data=st.data(), step=st.sampled_from(ENGINE_STEPS))
    def engine_step(self, data: st.DataObject, step: str) -> None:
        task_id, subtask_ids = self._pick(data)
        self._engine(task_id, subtask_ids, step)

    @precondition(lambda self: self.tasks)
    @rule(data=st.data(), outcome=st.sampled_from(ENGINE_STEPS[1:]))
    def engine_run(self, data: st.DataObject, outcome: str) -> None:
        """A claim and then an outcome: what a worker does, so that tasks get somewhere."""
        task_id, subtask_ids = self._pick(data)
        self._engine(task_id, subtask_ids, "claim")
        self._engine(task_id, subtask_ids, outcome)

    def _engine(self, task_id: int, subtask_ids: list[int], step: str) -> None:
        """Try `step` on the subtasks in the given order; save the first one accepted."""
        head = self.app.head_position()
        for subtask_id in subtask_ids:
            task = self.app.get_task(task_id)
            service = self.app.get_service(task.service_id)
            action = next(a for a in subtask_actions(subtask_id) if a.name == step)
            try:
                action.run(task, service)
            except DomainError:
                pending = task.collect_events() + service.collect_events()
                assert not pending, f"refused {action.label} has pending events"
                continue
            self.app.save(task, service)
            assert self.app.head_position() > head
            self.tasks[task_id] = task
            event(f"accepted: {step}")
            return
        assert self.app.head_position() == head

    # ---- operator commands through the use cases -----------------------------------------

    @precondition(lambda self: self.tasks)
    @rule(data=st.data(), command=st.sampled_from(TASK_COMMANDS))
    def operator_on_task(self, data: st.DataObject, command: str) -> None:
        self._operator(data, command)

    @precondition(lambda self: self.tasks)
    @rule(data=st.data(), command=st.sampled_from(SUBTASK_COMMANDS))
    def operator_on_subtask(self, data: st.DataObject, command: str) -> None:
        self._operator(data, command)

    def _operator(self, data: st.DataObject, command: str) -> None:
        task_id, subtask_ids = self._pick(data)
        for subtask_id in subtask_ids:
            head = self.app.head_position()
            args = (task_id,) if command.endswith("_task") else (task_id, subtask_id)
            try:
                task = getattr(self.app, command)(*args, OPERATOR)
            except DomainError:
                assert self.app.head_position() == head, f"refused {command} recorded events"
                continue
            assert self.app.head_position() > head
            self.tasks[task_id] = task
            event(f"accepted: {command}")
            return

    @rule(node=st.sampled_from(("10.0.0.1", "10.0.0.2")))
    def restart(self, node: str) -> None:
        """A new process (on this node or another) on the same store."""
        self.app.close()
        self.app = ArbiterApp(self.store, node)

    @precondition(lambda self: self.tasks)
    @rule(data=st.data())
    def snapshot(self, data: st.DataObject) -> None:
        task_id = data.draw(st.sampled_from(sorted(self.tasks)))
        # eventsourcing refuses a second snapshot of one version (an IntegrityError).
        assert self.app.snapshots is not None
        latest = list(self.app.snapshots.get(task_uuid(task_id), desc=True, limit=1))
        if latest and latest[0].originator_version == self.tasks[task_id].version:
            return
        self.app.take_snapshot(task_uuid(task_id))

    def _pick(self, data: st.DataObject) -> tuple[int, list[int]]:
        """A task, and its subtasks in a random order."""
        task = self.tasks[data.draw(st.sampled_from(sorted(self.tasks)))]
        return task.task_id, data.draw(st.permutations([s.id for s in task.subtasks]))

    # ---- invariants ----------------------------------------------------------------------

    @invariant()
    def every_load_is_the_live_aggregate(self) -> None:
        for task_id, live in self.tasks.items():
            expected = state(live)
            replayed: Any = None
            stored_events: Any = self.app.events.get(task_uuid(task_id))
            for stored in stored_events:
                replayed = stored.mutate(replayed)
            assert state(replayed) == expected, "replay differs from the live aggregate"
            from_snapshot: Task = self.app.repository.get(task_uuid(task_id), version=live.version)
            assert state(from_snapshot) == expected, "snapshot-based load differs"
            assert state(self.app.get_task(task_id)) == expected, "load differs"

    @invariant()
    def task_list_view_agrees(self) -> None:
        rows = self.app.task_list("", [], None, Paged(1, None)).rows
        seen = {row["task_id"]: row for row in rows}
        assert set(seen) == set(self.tasks)
        for task_id, live in self.tasks.items():
            row = seen[task_id]
            view = (row["status"], row["operation"], row["version"], bool(row["prohibit_rollback"]))
            now = (live.status.value, live.operation.value, live.version, live.prohibit_rollback)
            assert view == now, f"task list row {view} != aggregate {now}"
            assert (row["finish_time"] is None) == (live.finish_time is None)

    @invariant()
    def service_list_view_agrees(self) -> None:
        rows = self.app.service_list("", [], None, Paged(1, None)).rows
        seen = {row["service_id"]: row for row in rows}
        assert set(seen) == set(self.services)
        for service_id in self.services:
            service = self.app.get_service(service_id)
            row = seen[service_id]
            view = (row["status"], row["active_task_id"], row["version"], row["rpm_name"])
            now = (
                service.status.value,
                service.active_task_id,
                service.software_version,
                service.rpm_name,
            )
            assert view == now, f"service list row {view} != aggregate {now}"


class PostgresArbiterModel(ArbiterModel):
    kind = "postgres"


TestArbiterOnSqlite = ArbiterModel.TestCase
TestArbiterOnSqlite.settings = STATEFUL
TestArbiterOnPostgres = PostgresArbiterModel.TestCase
# A fresh PostgreSQL schema per example costs more: a quarter of the examples.
TestArbiterOnPostgres.settings = settings(STATEFUL, max_examples=max(2, STATEFUL.max_examples // 4))
