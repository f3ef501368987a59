"""CareCircle benchmarks: `make bench` or `.venv/bin/python -m bench [--only NAME] [--check]`.

Each figure prints one line, ``BENCH <name> <value> <unit> ratio=<r> goal=<g>``,
where the ratio is taken against a baseline measured in the same run on the same
database (see shared/PERFORMANCE.md). The figures live in one module per area
(``foundation.py`` for issue 2). Benchmarks are never unit tests: the suite does
not time anything.
"""
