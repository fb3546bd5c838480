"""OCP's preconditions for upgrading an arbitration service, and what the upgrade task records."""

from collections.abc import Iterable
from typing import Any

from domain.inventory import Host, Package, check_registered, rpm_rejected
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
    refusal = package_refusal(service, host, target)
    if refusal is not None:
        raise rpm_rejected(target, refusal)
    return target


def package_refusal(service: ArbitrationService, host: Host, target: RpmName) -> str | None:
    """Why the service cannot move to `target` (architecture, version), or None if it can."""
    refusal = host.rpm_refusal(target)
    if refusal is not None:
        return refusal
    current = Version.parse(service.software_version)
    if not current < target.version:
        return f"rpm version {target.version} is not newer than the current version {current}"
    return None


def upgrade_candidates(
    service: ArbitrationService, host: Host, packages: Iterable[Package]
) -> list[Package]:
    """The registered packages that the service could be upgraded to, by the upgrade's own rule."""
    return [p for p in packages if package_refusal(service, host, p.rpm) is None]


def upgrade_params(service: ArbitrationService, target: RpmName) -> dict[str, Any]:
    """What the steps need, fixed at creation so that every retry and undo uses the same values."""
    return {
        "rpmName": target.name,
        "targetVersion": str(target.version),
        "previousRpmName": service.rpm_name,
        "previousVersion": service.software_version,
    }
