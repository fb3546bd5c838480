"""--data-dir wherever people type it: before the command, after it, or after its action
(`arbiter --data-dir D projections rebuild`, `arbiter projections --data-dir D rebuild` and
`arbiter projections rebuild --data-dir D` are one command)."""

import argparse
from pathlib import Path


def data_dir(*, top: bool = False) -> argparse.ArgumentParser:
    """--data-dir as a parent parser, for the top parser and again for every command and action
    that uses it. Below the top its default is SUPPRESS: argparse copies a sub-parser's defaults
    over what the levels above already parsed, and a suppressed default is never copied."""
    options = argparse.ArgumentParser(add_help=False)
    options.add_argument(
        "--data-dir",
        type=Path,
        default=None if top else argparse.SUPPRESS,
        help="the data directory (default: ARBITER_DATA_DIR, else ./data)",
    )
    return options
