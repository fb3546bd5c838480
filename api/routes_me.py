"""GET /api/v2/console/me: who is signed in, and which operations their permissions allow.

A surface shows a control when the resource's `allowedOperations` (what the rules allow now)
lists the operation and `operations` here (what this user may do) lists it too; neither list is
worked out in the browser.
"""

from aiohttp import web

from api.auth import USER
from api.envelope import ok
from api.keys import USERS
from api.users import ARBITRATION_DELETE, ARBITRATION_UPDATE, TASK_MANAGER

routes = web.RouteTableDef()

# The permission each operation's route demands (api/routes_*.py), by the kind of resource.
OPERATION_PERMISSIONS: dict[str, dict[str, str]] = {
    "service": {
        "UPGRADE": ARBITRATION_UPDATE,
        "START": ARBITRATION_UPDATE,
        "STOP": ARBITRATION_UPDATE,
        "RESTART": ARBITRATION_UPDATE,
        "DELETE": ARBITRATION_DELETE,
    },
    "task": {"RETRY": TASK_MANAGER, "ROLLBACK": TASK_MANAGER},
    "subtask": {"RETRY": TASK_MANAGER, "SKIP": TASK_MANAGER, "CANCEL": TASK_MANAGER},
}


@routes.get("/api/v2/console/me")
async def me(request: web.Request) -> web.StreamResponse:
    user = request[USER]
    permissions = request.app[USERS].permissions(user)
    operations = {
        kind: [op for op, needed in table.items() if needed in permissions]
        for kind, table in OPERATION_PERMISSIONS.items()
    }
    return ok(
        request,
        {
            "name": user.name,
            "roles": list(user.roles),
            "permissions": sorted(permissions),
            "operations": operations,
        },
    )
