"""What every built-in file owes its readers, whoever wrote it: both languages, a
licence with attribution, the file named after its code. Other helpers' files are
checked the same way, but none of them is required to be there."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from carecircle.screening.instruments import all_instruments, get_instrument
from carecircle.screening.instruments.loader import BUILTIN_DIR
from carecircle.screening.instruments.model import Instrument

pytestmark = pytest.mark.usefixtures("english")

MINE = {"PHQ9": 10, "PHQA": 13, "GAD7": 7, "ASQ": 5, "K6": 6}


def builtins() -> list[Instrument]:
    return [i for i in all_instruments() if i.path.parent == BUILTIN_DIR]


def texts(instrument: Instrument) -> Iterator[tuple[str, Any]]:
    yield "name", instrument.name
    yield "instructions", instrument.instructions
    yield "licence.attribution", instrument.licence.attribution
    if instrument.time_frame is not None:
        yield "time_frame", instrument.time_frame
    for item in instrument.items:
        yield f"{item.id}.text", item.text
    for option_set in instrument.option_sets.values():
        for option in option_set.options:
            yield f"{option_set.name}.{option.value}", option.label
    for screen in (*instrument.positive, *instrument.critical):
        yield f"{screen.key}.label", screen.label
    for band in instrument.bands:
        yield f"{band.key}.label", band.label


@pytest.mark.parametrize(("code", "items"), MINE.items())
def test_it_ships_the_instrument_with_its_answer_count(code: str, items: int) -> None:
    instrument = get_instrument(code)

    assert len(instrument.items) == items
    assert instrument.path.parent == BUILTIN_DIR


def test_it_gives_every_builtin_text_in_both_languages() -> None:
    missing = [
        f"{i.code} {where}"
        for i in builtins()
        for where, text in texts(i)
        if not text.get("zh-hans") or not text.get("en")
    ]

    assert missing == []


def test_it_names_each_builtin_file_after_its_code() -> None:
    assert all(i.path.stem == i.code.lower() for i in builtins())


def test_it_ships_only_instruments_whose_licence_allows_it() -> None:
    assert {i.licence.status for i in builtins()} <= {"free", "permission"}
    assert all(i.licence.source.startswith("http") for i in builtins())
