"""Demo data: a host, a RUNNING arbitration service on an older version, newer packages."""

import logging

from domain.caller import Caller
from domain.errors import AlreadyExists
from infrastructure.use_cases.application import ArbiterApp
from infrastructure.use_cases.inventory import ServiceSpec

log = logging.getLogger(__name__)

DEMO_HOST_IP = "127.0.0.1"
DEMO_ARCH = "x86_64"
OLD_RPM = "oceanbase-4.2.1.0-100000102023092807.el7.x86_64.rpm"
NEW_RPMS = (
    "oceanbase-4.2.5.0-100000052024102022.el7.x86_64.rpm",
    "oceanbase-4.3.4.0-200000022024070119.el7.x86_64.rpm",
)


def seed(app: ArbiterApp, agent_address: str) -> int:
    """Idempotent: returns the demo service's id, creating what is missing."""
    who = Caller("demo", "0000000000000000")
    for rpm in (OLD_RPM, *NEW_RPMS):
        if app.find_package(rpm) is None:
            app.register_package(rpm, who)
    host = next((h for h in app.list_hosts() if h.ip_address == DEMO_HOST_IP), None)
    if host is None:
        host = app.register_host(DEMO_HOST_IP, DEMO_ARCH, agent_address, who)
    for service in app.list_services():
        if service.host_id == host.host_id:
            return service.service_id
    spec = ServiceSpec(
        name="demo-arbitration",
        host_id=host.host_id,
        svr_port=2882,
        install_path="/home/admin/oceanbase",
        run_path="/home/admin/oceanbase/run",
        run_user="admin",
        rpm_name=OLD_RPM,
    )
    try:
        return app.register_service(spec, who).service_id
    except AlreadyExists:
        return next(s.service_id for s in app.list_services() if s.host_id == host.host_id)
