"""`arbiter projections status | catch-up | rebuild [NAME]`: the views from the command line."""

import argparse
import sys
import time

from api.cli_options import data_dir
from infrastructure.persistence.store import store_for
from infrastructure.projections.runner import BATCH, Projections
from infrastructure.settings import Settings
from infrastructure.use_cases.application import ArbiterApp

NAMES = ("audit", "tasks", "services")
BAR = 30


def add_parser(commands: "argparse._SubParsersAction[argparse.ArgumentParser]") -> None:
    parser = commands.add_parser(
        "projections",
        help="status, catch-up or rebuild of the views",
        parents=[data_dir()],
    )
    actions = parser.add_subparsers(dest="action", required=True)
    options = [data_dir()]
    actions.add_parser("status", help="position, head and lag of each view", parents=options)
    actions.add_parser(
        "catch-up", help="bring every view up to the head of the log", parents=options
    )
    rebuild = actions.add_parser(
        "rebuild", help="empty a view (or all) and replay it from 0", parents=options
    )
    rebuild.add_argument("name", nargs="?", choices=NAMES)
    rebuild.add_argument("--batch", type=int, default=BATCH, help="events per transaction")


def run(args: argparse.Namespace) -> None:
    settings = Settings.from_env(data_dir=args.data_dir)
    app = ArbiterApp(store_for(settings.database_url, settings.data_dir), settings.node_address)
    try:
        projections = app.projections
        if args.action == "status":
            print(f"{'view':<10} {'position':>10} {'head':>10} {'lag':>10}")
            for status in projections.status():
                print(f"{status.name:<10} {status.position:>10} {status.head:>10} {status.lag:>10}")
        elif args.action == "catch-up":
            projections.catch_up(seconds=float("inf"))
            print("caught up to", projections.head())
        else:
            for name in [args.name] if args.name else list(NAMES):
                _rebuild(projections, name, args.batch)
    finally:
        app.close()


def _rebuild(projections: Projections, name: str, batch: int) -> None:
    started = time.perf_counter()

    def progress(view: str, reached: int, head: int) -> None:
        done = BAR * reached // max(head, 1)
        rate = reached / max(time.perf_counter() - started, 1e-9)
        sys.stderr.write(
            f"\r{view:<9}[{'#' * done}{'.' * (BAR - done)}] {reached}/{head} {rate:,.0f} ev/s"
        )
        sys.stderr.flush()

    projections.rebuild(name, progress, batch)
    sys.stderr.write("\n")
    seconds = time.perf_counter() - started
    print(f"{name}: rebuilt to {projections.position(name)} in {seconds:.2f}s")
    print(f"{name}: checksum sha256:{projections.checksum(name)}")
