"""Rebuild vs raw read on a store filled once, so that two versions of the code can be measured
side by side on the same notifications (the figures of docs/benchmarks.md, before and after):

    python bench/rebuild_vs_raw.py fill 100000 /tmp/store.sqlite [new|finished]   (or postgresql://...?schema=)
    PYTHONPATH=<a checkout> python bench/rebuild_vs_raw.py measure /tmp/store.sqlite LABEL

Run as a script (not -m) so that PYTHONPATH picks the code under test; it only uses
bench_projections' fill, raw_read and rebuild, which every version since the rebuild benchmark has.
"""

import sys
from pathlib import Path

from bench.bench_projections import fill, raw_read, rebuild
from infrastructure.app import ArbiterApp
from infrastructure.store import StoreConfig, postgres_store, sqlite_store


def _store(target: str) -> StoreConfig:
    return postgres_store(target) if target.startswith("postgresql") else sqlite_store(Path(target))


def main() -> None:
    mode, *args = sys.argv[1:]
    if mode == "fill":
        arbiter = ArbiterApp(_store(args[1]), "bench")
        fill(arbiter, int(args[0]), *args[2:])
        print(f"{arbiter.head_position()} events")
    else:
        arbiter = ArbiterApp(_store(args[0]), "bench")
        for name in ("tasks", "audit"):
            count, raw_seconds = raw_read(arbiter, arbiter.projections.all[name].topics)
            seconds = rebuild(arbiter, name)
            raw_rate, rate = count / raw_seconds, count / seconds
            print(
                f"{args[1]} {name}: {count} events; raw read {raw_rate:,.0f} ev/s; "
                f"rebuild {rate:,.0f} ev/s ({rate / raw_rate:.0%} of raw)",
                flush=True,
            )
    arbiter.close()


if __name__ == "__main__":
    main()
