"""The upgrade use case on a real store: one suite, run against SQLite and PostgreSQL."""

from domain.caller import Caller
from domain.enums import SubtaskStatus, TaskStatus
from infrastructure.use_cases.application import ArbiterApp
from infrastructure.use_cases.inventory import ServiceSpec

OLD = "oceanbase-4.2.1.0-100000102023092807.el7.x86_64.rpm"
NEW = "oceanbase-4.3.4.0-200000022024070119.el7.x86_64.rpm"
WHO = Caller("admin", "0123456789abcdef")


def seed_service(arbiter: ArbiterApp) -> int:
    host = arbiter.register_host("10.1.1.1", "x86_64", "http://127.0.0.1:1", WHO)
    arbiter.register_package(NEW, WHO)
    spec = ServiceSpec("arb", host.host_id, 2882, "/opt/ob", "/opt/ob/run", "admin", OLD)
    return arbiter.register_service(spec, WHO).service_id


def test_upgrade_task_is_rebuilt_from_the_store(arbiter: ArbiterApp) -> None:
    service_id = seed_service(arbiter)
    created = arbiter.upgrade(service_id, NEW, None, WHO)

    fresh = ArbiterApp(arbiter.store, "10.0.0.2")
    try:
        loaded = fresh.get_task(created.task_id)
    finally:
        fresh.close()

    assert loaded.status is TaskStatus.RUNNING
    assert [s.status for s in loaded.subtasks] == [SubtaskStatus.READY] + [
        SubtaskStatus.PENDING
    ] * 6
    assert [s.id for s in loaded.subtasks] == [s.id for s in created.subtasks]
    assert loaded.creator == "admin"
