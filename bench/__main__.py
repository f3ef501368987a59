"""Run the benchmarks on throwaway databases, one per module: SQLite, or PostgreSQL when
DATABASE_URL is set."""

from __future__ import annotations

import argparse
import platform
import sys
import time

from bench.harness import note, throwaway_database


def main(argv: list[str] | None = None) -> int:
    from bench import cases, foundation, registry, screening, tips, visits

    # Each module's figures, in the order they run.
    modules = (foundation, registry, screening, visits, tips, cases)
    every = [name for module in modules for name in module.FIGURES]
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--only", action="append", choices=every, help="run only this figure")
    parser.add_argument(
        "--check", action="store_true", help="exit 1 when a ratio misses its goal by over 15 %%"
    )
    args = parser.parse_args(argv)
    names = args.only or every
    started = time.perf_counter()
    figures = []
    failed: list[str] = []
    announced = False
    for module in modules:
        chosen = [name for name in module.FIGURES if name in names]
        if not chosen:
            continue
        # Each module on a database of its own: one module's worlds must not collide
        # with another's (the same usernames), and what one loads (a million minors,
        # a hundred thousand deleted rows) must not slow the figures of the next.
        with throwaway_database() as vendor:
            if not announced:
                _announce(vendor)
                announced = True
            try:
                figures += module.run(chosen)
            except Exception as exc:  # one broken module must not hide the others
                note(f"{module.__name__} failed: {exc.__class__.__name__}: {exc}")
                failed += chosen
    for figure in figures:
        print(figure.line(), flush=True)
    missed = [f.name for f in figures if not f.met()] + failed
    elapsed = time.perf_counter() - started
    note(f"{len(figures)} figures in {elapsed:.0f} s; goals missed: {missed or 'none'}")
    return 1 if args.check and missed else 0


def _announce(vendor: str) -> None:
    import django
    from django.db import connection

    version = ".".join(str(part) for part in connection.get_database_version())
    note(f"{vendor} {version}, Python {platform.python_version()}, Django {django.get_version()}")


if __name__ == "__main__":
    sys.exit(main())
