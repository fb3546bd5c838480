"""Rebuild vs raw read on a store filled once, so that two versions of the code can be measured
side by side on the same notifications (the figures of docs/benchmarks.md, before and after):

    PYTHONPATH=. python bench/rebuild_vs_raw.py fill 10000 STORE [new|finished]
    PYTHONPATH=. python bench/rebuild_vs_raw.py compare STORE tasks,audit 3 CHECKOUT_A CHECKOUT_B
    PYTHONPATH=<a checkout> python bench/rebuild_vs_raw.py measure STORE VIEW

STORE is a SQLite file or postgresql://...?schema=NAME. `compare` runs `measure` REPS times per
checkout and view, alternating, each in a fresh process (a rebuild is run once per process in
real life), and prints the best raw read and the best rebuild of each: on shared, noisy cores
the least disturbed run is the closest to the truth. Run as a script (not -m) so that PYTHONPATH
picks the code under test; it only uses bench_projections' fill, raw_read and rebuild, which
every version since the rebuild benchmark has, and ArbiterApp and the store's configuration,
wherever the checkout keeps them.
"""

import os
import subprocess
import sys
from pathlib import Path

from bench.bench_projections import fill, raw_read, rebuild

try:
    from infrastructure.persistence.store import StoreConfig, postgres_store, sqlite_store
    from infrastructure.use_cases.application import ArbiterApp
except ImportError:  # a checkout from before the use cases and persistence had rooms of their own
    from infrastructure.app import ArbiterApp  # type: ignore[no-redef]
    from infrastructure.store import (  # type: ignore[no-redef]
        StoreConfig,
        postgres_store,
        sqlite_store,
    )


def _store(target: str) -> StoreConfig:
    return postgres_store(target) if target.startswith("postgresql") else sqlite_store(Path(target))


def measure(target: str, view: str) -> None:
    arbiter = ArbiterApp(_store(target), "bench")
    count, raw_seconds = raw_read(arbiter, arbiter.projections.all[view].topics)
    print(count, raw_seconds, rebuild(arbiter, view))
    arbiter.close()


def compare(target: str, views: list[str], reps: int, checkouts: list[str]) -> None:
    runs: dict[tuple[str, str], list[tuple[int, float, float]]] = {}
    for _ in range(reps):
        for checkout in checkouts:
            for view in views:
                done = subprocess.run(
                    [sys.executable, __file__, "measure", target, view],
                    env={**os.environ, "PYTHONPATH": checkout},
                    capture_output=True,
                    text=True,
                    check=True,
                )
                count, raw, built = done.stdout.split()
                runs.setdefault((checkout, view), []).append((int(count), float(raw), float(built)))
    for (checkout, view), found in runs.items():
        count = found[0][0]
        raw, built = min(r[1] for r in found), min(r[2] for r in found)
        each = ", ".join(f"{r[1] / r[2]:.0%}" for r in found)
        print(
            f"{checkout} {view}: {count} events; raw read {count / raw:,.0f} ev/s; rebuild "
            f"{count / built:,.0f} ev/s; best/best {raw / built:.0%} (each run: {each})",
            flush=True,
        )


def main() -> None:
    mode, *args = sys.argv[1:]
    if mode == "fill":
        arbiter = ArbiterApp(_store(args[1]), "bench")
        fill(arbiter, int(args[0]), *args[2:])
        print(f"{arbiter.head_position()} events")
        arbiter.close()
    elif mode == "compare":
        compare(args[0], args[1].split(","), int(args[2]), args[3:])
    else:
        measure(args[0], args[1])


if __name__ == "__main__":
    main()
