"""OCP's preconditions for upgrading an arbitration service, and what the upgrade task records."""

from typing import Any

from domain.errors import FieldError, IllegalArgument
from domain.inventory import Host, Package, check_registered
from domain.rpm import RpmName, Version
from domain.service import ArbitrationService
from domain.service_lifecycle import ServiceOperation, check


def check_upgrade(
    service: ArbitrationService, host: Host, package: Package | None, rpm_name: str
) -> RpmName:
    """The target rpm, once every precondition holds; otherwise the first one that fails."""
    target = RpmName.parse(rpm_name)
    check(service, ServiceOperation.UPGRADE)
    check_registered(target, package)
    host.check_runs(target)
    current = Version.parse(service.software_version)
    if not current < target.version:
        message = f"rpm version {target.version} is not newer than the current version {current}"
        raise IllegalArgument(message, [FieldError("rpmName", rpm_name, message)])
    return target


def upgrade_params(service: ArbitrationService, target: RpmName) -> dict[str, Any]:
    """What the steps need, fixed at creation so that every retry and undo uses the same values."""
    return {
        "rpmName": target.name,
        "targetVersion": str(target.version),
        "previousRpmName": service.rpm_name,
        "previousVersion": service.software_version,
    }
