from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from carecircle.regions.codes import Level
from carecircle.regions.models import Division
from carecircle.regions.services import divisions_load

TREE = [
    ("43", "湖南省", ""),
    ("4311", "永州市", ""),
    ("431103", "冷水滩区", ""),
    ("431103101", "花桥街镇", ""),
    ("431103101200", "石门村", "220"),
    ("431103101201", "新田村", "220"),
    ("431103102", "普利桥镇", ""),
    ("431103102200", "塘尾村", "220"),
]


@pytest.mark.django_db
def test_it_loads_a_tree_with_levels_and_parents() -> None:
    assert divisions_load(rows=list(reversed(TREE))) == len(TREE)
    village = Division.objects.get(code="431103101200")
    assert village.prefix == "431103101200"
    assert village.level == Level.VILLAGE
    assert village.parent_id == "431103101000"
    assert village.is_rural
    county = Division.objects.get(prefix="431103")
    assert county.code == "431103000000" and county.level == Level.COUNTY
    assert county.parent_id == "431100000000"
    assert village.path_name() == "湖南省 / 永州市 / 冷水滩区 / 花桥街镇 / 石门村"


@pytest.mark.django_db
def test_it_updates_names_when_loaded_again() -> None:
    divisions_load(rows=TREE)
    divisions_load(rows=[("431103101200", "石门新村", "220")])
    assert Division.objects.count() == len(TREE)
    assert Division.objects.get(code="431103101200").name == "石门新村"


@pytest.mark.django_db
def test_it_queries_a_subtree_by_prefix() -> None:
    divisions_load(rows=TREE)
    town = Division.objects.within("431103101")
    assert set(town.values_list("code", flat=True)) == {
        "431103101000",
        "431103101200",
        "431103101201",
    }
    assert Division.objects.within("431103").count() == 6
    assert Division.objects.within("431102").count() == 0


@pytest.mark.django_db
@pytest.mark.parametrize(
    "bad",
    [
        ("4311O3102201", "某村", "220"),
        ("4311031022", "某村", "220"),
        ("431103102201", "   ", "220"),
        ("09", "无省", ""),
    ],
)
def test_it_writes_nothing_when_one_row_is_bad(bad: tuple[str, str, str]) -> None:
    with pytest.raises(ValidationError) as info:
        divisions_load(rows=[*TREE, bad])
    assert Division.objects.count() == 0
    # The message points at the row number.
    assert any(m.startswith(f"{len(TREE) + 1}:") for m in info.value.messages)


@pytest.mark.django_db
def test_it_requires_parents_and_rolls_back_the_rows_before() -> None:
    rows = [("43", "湖南省", ""), ("4311", "永州市", ""), ("431103101", "花桥街镇", "")]
    with pytest.raises(ValidationError) as info:
        divisions_load(rows=rows)
    assert "parent" in info.value.messages[0]
    assert Division.objects.count() == 0


@pytest.mark.django_db
def test_it_accepts_a_parent_already_in_the_database() -> None:
    divisions_load(rows=TREE[:3])
    assert divisions_load(rows=[("431103101", "花桥街镇", "")]) == 1
    assert Division.objects.get(prefix="431103101").parent_id == "431103000000"


@pytest.mark.django_db
def test_it_refuses_an_invalid_code_on_the_model() -> None:
    division = Division(code="4311031", prefix="4311031", name="x", level=Level.COUNTY)
    with pytest.raises(ValidationError):
        division.full_clean()
