"""The `arbiter` command line."""

import argparse
import asyncio
import logging
import os
import sys
from pathlib import Path

from aiohttp import web

from api import log_format, nodes_cli, projections_cli
from api.app import init_app
from api.cli_options import data_dir
from api.client import commands as client_commands
from api.demo import NEW_RPMS, seed
from api.errors import MalformedRequests
from api.keys import AGENT_URL, ARBITER, GATE
from api.users import load_directory
from infrastructure.agent.server import serve as serve_agent
from infrastructure.agent_client import AgentClient
from infrastructure.settings import Settings


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="arbiter", parents=[data_dir(top=True)])
    commands = parser.add_subparsers(dest="command", required=True)
    serve = commands.add_parser(
        "serve", help="serve the OCP v2 API and run tasks", parents=[data_dir()]
    )
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8080)
    serve.add_argument("--demo", action="store_true", help="seed a host, a service and packages")
    agent = commands.add_parser("agent", help="run the simulated host agent (docs/agent.md)")
    agent.add_argument("--host", default="127.0.0.1")
    agent.add_argument("--port", type=int, default=9001, help="0 picks a free port")
    agent.add_argument("--state-dir", type=Path, required=True)
    agent.add_argument("--action-seconds", type=float, default=0.3)
    projections_cli.add_parser(commands)
    nodes_cli.add_parser(commands)
    client_commands.add_parsers(commands)
    args = parser.parse_args(argv)
    if args.command in client_commands.NAMES:
        sys.exit(client_commands.run(args))
    log_format.configure(os.environ.get("ARBITER_LOG_FORMAT", "text"))
    logging.getLogger("aiohttp.server").addFilter(MalformedRequests())
    if args.command == "serve":
        _serve(args)
    if args.command == "projections":
        projections_cli.run(args)
    if args.command == "nodes":
        nodes_cli.run(args)
    if args.command == "agent":
        asyncio.run(serve_agent(args.state_dir, args.host, args.port, args.action_seconds))


def _serve(args: argparse.Namespace) -> None:
    settings = Settings.from_env(data_dir=args.data_dir, embedded_agent=True)
    users_file = os.environ.get("ARBITER_USERS_FILE")
    users = load_directory(Path(users_file) if users_file else None, settings.data_dir)
    app = init_app(settings, users)
    if args.demo:
        app.on_startup.append(_seed_demo(args.host, args.port))
    web.run_app(app, host=args.host, port=args.port, print=None)


def _seed_demo(host: str, port: int):  # type: ignore[no-untyped-def]
    async def on_startup(app: web.Application) -> None:
        service_id = await app[GATE].call(seed, app[ARBITER], "embedded")
        service = await app[GATE].call(app[ARBITER].get_service, service_id)
        async with AgentClient(app[AGENT_URL]) as agent:
            # The demo service "exists already" on the embedded host, the first time only: a
            # restart must not undo what tasks did to it since.
            if (await agent.status(service.svr_port))["state"] == "ABSENT":
                await agent.adopt(service.svr_port, service.rpm_name, "RUNNING", "demo-seed")
        print(
            f"arbiter: serving on http://{host}:{port} with demo arbitration service {service_id}"
        )
        print(
            "arbiter: try  curl -u admin:$ARBITER_ADMIN_PASSWORD "
            "-H 'Content-Type: application/json' "
            f'-d \'{{"rpmName": "{NEW_RPMS[-1]}"}}\' '
            f"http://{host}:{port}/api/v2/arbitration/services/{service_id}/upgrade"
        )
        # Where to inject faults and read the ledger (docs/engine.md, "Try it").
        print(f"arbiter: the demo host's agent is at {app[AGENT_URL]}")

    return on_startup


if __name__ == "__main__":
    main()
