"""The reference side of `make bench-api`: the least an aiohttp server does for a request (a small
JSON answer to any POST), in a process of its own, driven by the same wrk at the same concurrency.

    python -m bench.trivial_app PORT
"""

import sys

from aiohttp import web


async def answer(request: web.Request) -> web.StreamResponse:
    await request.read()
    return web.json_response({"successful": True, "data": {"id": 1}})


def main() -> None:
    app = web.Application()
    app.router.add_post("/{tail:.*}", answer)
    web.run_app(app, host="127.0.0.1", port=int(sys.argv[1]), print=None, access_log=None)


if __name__ == "__main__":
    main()
