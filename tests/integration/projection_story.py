"""Task histories driven with the domain commands and `arbiter.save` (as the engine would)."""

from domain.caller import Caller
from domain.enums import FailureReason
from infrastructure.use_cases.application import ArbiterApp
from infrastructure.use_cases.inventory import ServiceSpec
from tests.logs import lines

OLD_RPM = "oceanbase-4.2.1.0-100000102023092807.el7.x86_64.rpm"
NEW_RPM = "oceanbase-4.2.5.0-100000052024102022.el7.x86_64.rpm"
ADMIN = Caller("admin", "a" * 16)
ENGINE = Caller("engine@10.0.0.1", "e" * 16)


def seed_service(arbiter: ArbiterApp, port: int = 2882, ip: str = "10.0.0.9") -> int:
    for rpm in (OLD_RPM, NEW_RPM):
        if arbiter.find_package(rpm) is None:
            arbiter.register_package(rpm, ADMIN)
    host = next((h for h in arbiter.list_hosts() if h.ip_address == ip), None)
    if host is None:
        host = arbiter.register_host(ip, "x86_64", "http://127.0.0.1:1", ADMIN)
    spec = ServiceSpec(
        name=f"arb-{port}",
        host_id=host.host_id,
        svr_port=port,
        install_path="/home/admin/oceanbase",
        run_path="/home/admin/oceanbase/run",
        run_user="admin",
        rpm_name=OLD_RPM,
    )
    return arbiter.register_service(spec, ADMIN).service_id


def run_step(arbiter: ArbiterApp, task_id: int, ok: bool) -> None:
    """Claim the first READY subtask and save its outcome, as one engine worker would."""
    task = arbiter.get_task(task_id)
    subtask = task.ready_subtasks()[0]
    attempt = task.start_subtask(subtask.id, "10.0.0.1", ENGINE)
    arbiter.save(task)
    task = arbiter.get_task(task_id)
    if ok:
        task.complete_subtask(subtask.id, attempt, lines("done"), ENGINE)
    else:
        task.fail_subtask(subtask.id, attempt, FailureReason.ERROR, lines("boom"), ENGINE)
    arbiter.save(task)


def retried_then_rolled_back(arbiter: ArbiterApp) -> int:
    """Upgrade: step 1 fails, the operator retries, it fails again, the operator rolls back,
    and the engine undoes step 1."""
    service_id = seed_service(arbiter)
    task_id = arbiter.upgrade(service_id, NEW_RPM, None, ADMIN).task_id
    run_step(arbiter, task_id, ok=False)
    arbiter.retry_task(task_id, ADMIN)
    run_step(arbiter, task_id, ok=False)
    arbiter.rollback_task(task_id, ADMIN)
    run_step(arbiter, task_id, ok=True)  # the undo of step 1: the task ends rolled back
    return task_id
