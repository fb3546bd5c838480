"""What one simulated host does to the arbitration service on a port, and what it refuses.

Each action is idempotent ("make it stopped", "make this rpm installed"): asking for the state the
service is already in changes nothing and succeeds, so a step a crash interrupted can run again.
"""

from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

RUNNING, STOPPED, ABSENT = "RUNNING", "STOPPED", "ABSENT"


@dataclass(frozen=True)
class Service:
    state: str = ABSENT
    rpm_name: str | None = None

    def view(self, port: int) -> dict[str, Any]:
        return {"port": port, "state": self.state, "rpmName": self.rpm_name}


class Conflict(Exception):
    """The service's state does not allow the action (HTTP 409)."""


def stop(service: Service, args: dict[str, Any]) -> Service:
    # Nothing runs on an ABSENT port either: it is already "stopped" and stays ABSENT.
    return replace(service, state=STOPPED) if service.state == RUNNING else service


def start(service: Service, args: dict[str, Any]) -> Service:
    if service.state == ABSENT:
        raise Conflict("no rpm is installed on this port: install one before start")
    return replace(service, state=RUNNING)


def install(service: Service, args: dict[str, Any]) -> Service:
    if service.rpm_name == args["rpmName"] and service.state != ABSENT:
        return service
    if service.state == RUNNING:
        raise Conflict("the service is RUNNING: stop it before install")
    return Service(STOPPED, str(args["rpmName"]))


def uninstall(service: Service, args: dict[str, Any]) -> Service:
    if service.state == RUNNING:
        raise Conflict("the service is RUNNING: stop it before uninstall")
    return Service()


def adopt(service: Service, args: dict[str, Any]) -> Service:
    """Declare a service that exists already (registering a running one, the demo)."""
    return Service(str(args["state"]), str(args["rpmName"]))


ACTIONS: dict[str, Callable[[Service, dict[str, Any]], Service]] = {
    "stop": stop,
    "start": start,
    "install": install,
    "uninstall": uninstall,
    "adopt": adopt,
}
