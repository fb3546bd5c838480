"""Hosts, software packages and arbitration services: register them, list them, read them."""

from aiohttp import web

from api.auth import authorize
from api.body import Field, path_id, read_json
from api.context import caller
from api.envelope import ok, page
from api.keys import ARBITER, GATE
from api.query import MAX_LONG, int_param, list_param, paging, text_param
from api.row_views import page_of, service_row_view
from api.users import ARBITRATION_CREATE, ARBITRATION_VIEW
from api.views import host_view, package_view, service_view
from domain.enums import ServiceStatus
from infrastructure.projections.service_list import SORTABLE as SERVICE_SORTS
from infrastructure.use_cases.inventory import ServiceSpec
from infrastructure.use_cases.queries import Paged

routes = web.RouteTableDef()


@routes.get("/api/v2/compute/hosts")
async def list_hosts(request: web.Request) -> web.StreamResponse:
    authorize(request, ARBITRATION_VIEW)
    paged = paging(request, ("id", "ipAddress"))
    hosts = await request.app[GATE].call(request.app[ARBITER].list_hosts)
    rows = paged.sort([host_view(h) for h in hosts], lambda r: r["id"])
    return ok(request, page(rows, paged.number, paged.size))


@routes.post("/api/v2/compute/hosts")
async def register_host(request: web.Request) -> web.StreamResponse:
    authorize(request, ARBITRATION_CREATE)
    body = await read_json(
        request, [Field("ipAddress", str), Field("architecture", str), Field("agentAddress", str)]
    )
    host = await request.app[GATE].call(
        request.app[ARBITER].register_host,
        body["ipAddress"],
        body["architecture"],
        body["agentAddress"],
        caller(request),
    )
    return ok(request, host_view(host))


@routes.get("/api/v2/software-packages")
async def list_packages(request: web.Request) -> web.StreamResponse:
    authorize(request, ARBITRATION_VIEW)
    paged = paging(request, ("id", "name"))
    packages = await request.app[GATE].call(request.app[ARBITER].list_packages)
    rows = [package_view(p) for p in packages]
    rows = paged.sort(rows, lambda r: r["id"]) if paged.sort_key else rows
    return ok(request, page(rows, paged.number, paged.size))


@routes.post("/api/v2/software-packages")
async def register_package(request: web.Request) -> web.StreamResponse:
    authorize(request, ARBITRATION_CREATE)
    body = await read_json(request, [Field("name", str)])
    package = await request.app[GATE].call(
        request.app[ARBITER].register_package, body["name"], caller(request)
    )
    return ok(request, package_view(package))


@routes.get("/api/v2/arbitration/services")
async def list_services(request: web.Request) -> web.StreamResponse:
    """From the service list view, caught up with this client's writes before it is read."""
    authorize(request, ARBITRATION_VIEW)
    paged = paging(request, tuple(SERVICE_SORTS))
    host_id = int_param(request, "hostId", None, 1, MAX_LONG)
    statuses = list_param(request, "statusList", [s.value for s in ServiceStatus])
    keyword = text_param(request, "keyword")
    found = await request.app[GATE].call(
        request.app[ARBITER].service_list,
        keyword,
        statuses,
        host_id,
        Paged(paged.number, paged.size, paged.sort_key, paged.descending),
    )
    rows = [service_row_view(row) for row in found.rows]
    return ok(request, page_of(rows, found.total, paged.number, paged.size))


# Not `register`: GET .../services/register must be the 405 of the POST-only register route,
# not a 400 for an ill-formed id.
@routes.get("/api/v2/arbitration/services/{id:(?!register$)[^{}/]+}")
async def get_service(request: web.Request) -> web.StreamResponse:
    authorize(request, ARBITRATION_VIEW)
    service = await request.app[GATE].call(request.app[ARBITER].get_service, path_id(request, "id"))
    return ok(request, service_view(service))


SERVICE_FIELDS = [
    Field("name", str),
    Field("hostId", int, bounds=(0, MAX_LONG)),
    Field("svrPort", int, bounds=(1, 65535)),
    Field("rpmName", str),
    Field("installPath", str, required=False),
    Field("runPath", str, required=False),
    Field("runUser", str, required=False),
]


async def read_service_spec(request: web.Request) -> ServiceSpec:
    body = await read_json(request, SERVICE_FIELDS)
    install_path = body.get("installPath") or "/home/admin/oceanbase"
    return ServiceSpec(
        name=body["name"],
        host_id=body["hostId"],
        svr_port=body["svrPort"],
        install_path=install_path,
        run_path=body.get("runPath") or f"{install_path}/run",
        run_user=body.get("runUser") or "admin",
        rpm_name=body["rpmName"],
    )


@routes.post("/api/v2/arbitration/services/register")
async def register_service(request: web.Request) -> web.StreamResponse:
    """Register an arbitration service that already runs, so that arbiter can manage it.

    An arbiter extension: OCP's `POST /api/v2/arbitration/services` creates (installs) a new one.
    """
    authorize(request, ARBITRATION_CREATE)
    spec = await read_service_spec(request)
    service = await request.app[GATE].call(
        request.app[ARBITER].register_service, spec, caller(request)
    )
    return ok(request, service_view(service))
