"""`arbiter nodes`: the node registry of a cluster (heartbeats), as an operator watches it."""

import argparse
import time

from api.cli_options import data_dir
from infrastructure.persistence.engine_tables import EngineTables
from infrastructure.persistence.sql import SQL
from infrastructure.persistence.store import store_for
from infrastructure.settings import Settings


def add_parser(commands: "argparse._SubParsersAction[argparse.ArgumentParser]") -> None:
    commands.add_parser(
        "nodes",
        help="every node's last heartbeat: LIVE or SILENT",
        parents=[data_dir()],
    )


def run(args: argparse.Namespace) -> None:
    """One line per node, newest heartbeat first. SILENT: no heartbeat for a whole lease, so
    its RUNNING subtasks are being (or have been) taken over by the LIVE nodes."""
    settings = Settings.from_env(data_dir=args.data_dir)
    tables = EngineTables(SQL(store_for(settings.database_url, settings.data_dir)))
    now = time.time()
    print(f"{'node':<40} {'address':<24} {'last heartbeat':>15}  state")
    for node_id, address, last_seen in sorted(tables.nodes(), key=lambda n: -n[2]):
        age = now - last_seen
        state = "LIVE" if age < settings.lease_seconds else "SILENT"
        print(f"{node_id:<40} {address:<24} {age:>13.1f} s  {state}")
