from __future__ import annotations

from datetime import date

import pytest

from carecircle.stats.registry import REGISTRY, Unit, clip, compute_all, indicator


@pytest.mark.parametrize(
    ("viewer", "area", "expected"),
    [
        (None, None, ("",)),
        (None, "431103", ("431103",)),
        (["431103101"], None, ("431103101",)),
        (["431103102", "431103101"], None, ("431103101", "431103102")),
        (["431103"], "431103101", ("431103101",)),
        (["431103101"], "431103", ("431103101",)),  # wider area → the viewer's part only
        (["431103101"], "431103102", ()),  # a neighbour's area → nothing
        (["431103101"], "431102", ()),
        ([], None, ()),
    ],
)
def test_it_clips_the_area_to_the_viewers_scope(
    viewer: list[str] | None, area: str | None, expected: tuple[str, ...]
) -> None:
    assert clip(viewer, area) == expected


def test_it_computes_nothing_for_an_empty_scope() -> None:
    values = compute_all(start=date(2026, 1, 1), end=date(2026, 12, 31), viewer_prefixes=[])
    assert set(values) == set(REGISTRY) and set(values.values()) == {None}


def test_every_indicator_has_a_stable_id_name_unit_and_definition() -> None:
    for key, item in REGISTRY.items():
        assert key == item.id and "." in key
        assert str(item.name) and str(item.definition)
        assert item.unit in Unit.values


def test_it_refuses_to_register_an_id_twice() -> None:
    with pytest.raises(ValueError, match="twice"):
        indicator("staff.lawyers", name="x", unit=Unit.PERSONS, definition="x")(lambda scope: 0)
