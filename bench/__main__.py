"""Run the benchmarks on a throwaway database: SQLite, or PostgreSQL when DATABASE_URL is set."""

from __future__ import annotations

import argparse
import platform
import sys
import time

from bench.harness import note, throwaway_database


def main(argv: list[str] | None = None) -> int:
    from bench import foundation

    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument(
        "--only", action="append", choices=sorted(foundation.FIGURES), help="run only this figure"
    )
    parser.add_argument(
        "--check", action="store_true", help="exit 1 when a ratio misses its goal by over 15 %%"
    )
    args = parser.parse_args(argv)
    names = args.only or list(foundation.FIGURES)
    started = time.perf_counter()
    with throwaway_database() as vendor:
        import django
        from django.db import connection

        version = ".".join(str(part) for part in connection.get_database_version())
        note(
            f"{vendor} {version}, Python {platform.python_version()}, Django {django.get_version()}"
        )
        figures = foundation.run(names)
    for figure in figures:
        print(figure.line(), flush=True)
    missed = [f.name for f in figures if not f.met()]
    elapsed = time.perf_counter() - started
    note(f"{len(figures)} figures in {elapsed:.0f} s; goals missed: {missed or 'none'}")
    return 1 if args.check and missed else 0


if __name__ == "__main__":
    sys.exit(main())
