"""Screening instruments as data: versioned files, checked at load, scored by rules.

One YAML file per instrument form (``builtin/`` and the deployment's folder),
described by ``schema.json``. These names are the whole public API; the
modules explain themselves: ``loader`` (files, settings, cache), ``checks`` (what is
checked beyond the schema), ``rules`` (the rule language of show_if, positive
screens and critical items), ``scoring`` (answers to a result), ``triage`` (levels
and reasons), ``model`` (the loaded dataclasses).

    from carecircle.screening.instruments import get_instrument, score
    result = score(get_instrument("PHQ9"), [0, 1, 2, 3, 0, 1, 2, 3, 0])
    result.total, result.band, result.critical, result.triage.level
"""

from carecircle.screening.instruments.errors import InstrumentError
from carecircle.screening.instruments.loader import all_instruments, get_instrument
from carecircle.screening.instruments.scoring import hidden_items, read_answers, score

__all__ = [
    "InstrumentError",
    "all_instruments",
    "get_instrument",
    "hidden_items",
    "read_answers",
    "score",
]
