"""OCP's preconditions for upgrading an arbitration service, and what the upgrade task records."""

from typing import Any

from domain.errors import FieldError, IllegalArgument
from domain.inventory import Host, Package
from domain.rpm import RpmName, Version
from domain.service import ArbitrationService
from domain.service_lifecycle import ServiceOperation, check


def _rejected(rpm_name: str, message: str) -> IllegalArgument:
    return IllegalArgument(message, [FieldError("rpmName", rpm_name, message)])


def check_upgrade(
    service: ArbitrationService, host: Host, package: Package | None, rpm_name: str
) -> RpmName:
    """The target rpm, once every precondition holds; otherwise the first one that fails."""
    target = RpmName.parse(rpm_name)
    check(service, ServiceOperation.UPGRADE)
    if package is None:
        raise _rejected(rpm_name, f"rpm {rpm_name} is not in the software package registry")
    if target.architecture != host.architecture:
        raise _rejected(
            rpm_name,
            f"rpm {rpm_name} is built for {target.architecture} but host {host.ip_address} "
            f"is {host.architecture}",
        )
    current = Version.parse(service.software_version)
    if not current < target.version:
        raise _rejected(
            rpm_name,
            f"rpm version {target.version} is not newer than the current version {current}",
        )
    return target


def upgrade_params(service: ArbitrationService, target: RpmName) -> dict[str, Any]:
    """What the steps need, fixed at creation so that every retry and undo uses the same values."""
    return {
        "rpmName": target.name,
        "targetVersion": str(target.version),
        "previousRpmName": service.rpm_name,
        "previousVersion": service.software_version,
    }
