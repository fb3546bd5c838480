"""The arbitration service list: one row per service, as GET /arbitration/services shows it."""

from eventsourcing.domain import Aggregate

from domain.service import ArbitrationService
from infrastructure.projections.base import topics_of
from infrastructure.projections.db import Tx, stamp
from infrastructure.projections.fold import Fold, Need

TABLE = "arbiter_view_services"
COLUMNS = (
    "service_id",
    "name",
    "host_id",
    "svr_ip",
    "svr_port",
    "install_path",
    "run_path",
    "run_user",
    "version",
    "rpm_name",
    "status",
    "active_task_id",
    "create_time",
    "update_time",
)
SORTABLE = {
    "id": "service_id",
    "name": "name",
    "svrIp": "svr_ip",
    "version": "version",
    "status": "status",
}


class ServiceList:
    name = "services"
    shape = 1
    topics: tuple[str, ...] = topics_of(ArbitrationService)
    tables: tuple[str, ...] = (TABLE,)
    indexes: tuple[tuple[str, str], ...] = ()

    def create(self, tx: Tx) -> None:
        tx.execute(
            f"CREATE TABLE IF NOT EXISTS {tx.table(TABLE)} (service_id {tx.key_type} PRIMARY KEY, "
            "name TEXT NOT NULL, host_id BIGINT NOT NULL, svr_ip TEXT NOT NULL, "
            "svr_port INTEGER NOT NULL, install_path TEXT NOT NULL, run_path TEXT NOT NULL, "
            "run_user TEXT NOT NULL, version TEXT NOT NULL, rpm_name TEXT NOT NULL, "
            "status TEXT NOT NULL, active_task_id BIGINT, create_time TEXT NOT NULL, "
            "update_time TEXT NOT NULL)"
        )

    def needs(self, event: Aggregate.Event) -> Need:
        return "state"

    def apply(self, tx: Tx, position: int, event: Aggregate.Event, fold: Fold) -> None:
        _, after = fold.step(event)
        service: ArbitrationService = after
        values = (
            service.service_id,
            service.name,
            service.host_id,
            service.svr_ip,
            service.svr_port,
            service.install_path,
            service.run_path,
            service.run_user,
            service.software_version,
            service.rpm_name,
            service.status.value,
            service.active_task_id,
            stamp(service.created_on),
            stamp(service.modified_on),
        )
        updates = ", ".join(f"{c} = excluded.{c}" for c in COLUMNS[1:])
        tx.write(
            f"INSERT INTO {tx.table(TABLE)} ({', '.join(COLUMNS)}) "  # noqa: S608
            f"VALUES ({', '.join('?' * len(COLUMNS))}) "
            f"ON CONFLICT (service_id) DO UPDATE SET {updates}",
            values,
        )
