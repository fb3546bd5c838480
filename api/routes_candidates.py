"""GET /api/v2/arbitration/services/{id}/upgrade-candidates: the registered packages that the
service could be upgraded to, decided by the upgrade's own rule (domain.upgrade), so that a
surface never compares versions itself."""

from aiohttp import web

from api.auth import authorize
from api.body import path_id
from api.envelope import ok
from api.keys import ARBITER, GATE
from api.users import ARBITRATION_VIEW
from api.views import package_view

routes = web.RouteTableDef()


@routes.get("/api/v2/arbitration/services/{id}/upgrade-candidates")
async def candidates(request: web.Request) -> web.StreamResponse:
    authorize(request, ARBITRATION_VIEW)
    arbiter = request.app[ARBITER]
    found = await request.app[GATE].call(arbiter.upgrade_candidates, path_id(request, "id"))
    return ok(request, {"contents": [package_view(p) for p in found]})
