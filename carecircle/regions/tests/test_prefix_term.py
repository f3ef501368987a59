from __future__ import annotations

import pytest

from carecircle.accounts.models import Organisation
from carecircle.regions.codes import prefix_term
from carecircle.regions.models import Division


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("prefix", "inside", "outside"),
    [
        (
            "431103",
            ["431103000000", "431103101200", "431103999999"],
            ["431102999999", "431104000000"],
        ),
        ("4311039", ["431103900000", "431103999999"], ["431103899999", "431104000000"]),
        ("43119", ["431190000000"], ["431189999999", "431200000000"]),
        ("99", ["990000000000", "999999999999"], ["989999999999"]),
    ],
)
def test_it_matches_exactly_the_codes_under_the_prefix(
    district: dict, prefix: str, inside: list[str], outside: list[str]
) -> None:
    county = Division.objects.get(prefix="431103")
    for code in inside + outside:
        Organisation.objects.create(name=code, kind="ngo", division=county)
    # Organisation names stand in for codes: the same string column semantics.
    found = set(
        Organisation.objects.filter(prefix_term("name", prefix), kind="ngo").values_list(
            "name", flat=True
        )
    )
    assert found == set(inside)


def test_it_is_no_filter_for_the_empty_prefix() -> None:
    assert str(prefix_term("area_code", "")) == "(AND: )"
