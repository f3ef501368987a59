from __future__ import annotations

from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from carecircle.regions.data import lengshuitan
from carecircle.regions.models import Division

pytestmark = pytest.mark.django_db

CSV = (
    "code,name,urban_rural\n"
    "43,湖南省,\n"
    "4311,永州市,\n"
    "431103,冷水滩区,\n"
    "431103001000,梅湾街道,\n"
    "431103001001,滨江社区,111\n"
    "431103101,花桥街镇,\n"
    "431103101200,石门村,220\n"
)


def test_it_loads_the_demo_district() -> None:
    call_command("load_regions", "--demo", stdout=StringIO())
    county = Division.objects.get(prefix="431103")
    assert county.path_name() == "湖南省 / 永州市 / 冷水滩区"
    townships = Division.objects.filter(parent=county)
    names = set(townships.values_list("name", flat=True))
    assert set(lengshuitan.STREETS) | set(lengshuitan.TOWNS) | set(lengshuitan.TOWNSHIPS) == names
    assert Division.objects.get(prefix="431103101").name == "花桥街镇"
    # Villages (220) in towns, communities (111) in streets.
    huaqiao = Division.objects.within("431103101").exclude(prefix="431103101")
    assert huaqiao.filter(urban_rural="220").count() == 12
    assert Division.objects.within("431103001").filter(urban_rural="111").count() == 6
    assert Division.objects.count() == len(lengshuitan.rows())


def test_it_loads_the_demo_district_twice_without_duplicates() -> None:
    call_command("load_regions", "--demo", stdout=StringIO())
    first = Division.objects.count()
    call_command("load_regions", "--demo", stdout=StringIO())
    assert Division.objects.count() == first


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gb18030"])
def test_it_reads_csv_in_the_encodings_offices_use(tmp_path: Path, encoding: str) -> None:
    path = tmp_path / "codes.csv"
    path.write_bytes(CSV.encode(encoding))
    call_command("load_regions", str(path), stdout=StringIO())
    assert Division.objects.count() == 7
    assert Division.objects.get(code="431103001001").name == "滨江社区"
    assert Division.objects.get(code="431103101200").urban_rural == "220"
    assert Division.objects.get(prefix="43").name == "湖南省"


@pytest.mark.parametrize(
    "extra",
    [
        "4311031012X1,坏村,220\n",  # letters
        "43110310120,短村,220\n",  # wrong length
        "431102001001,孤村,220\n",  # parent missing
        "431103102201,,220\n",  # no name
    ],
)
def test_it_changes_nothing_when_the_file_is_bad(tmp_path: Path, extra: str) -> None:
    good = tmp_path / "good.csv"
    good.write_text(CSV, encoding="utf-8")
    call_command("load_regions", str(good), stdout=StringIO())
    before = dict(Division.objects.values_list("code", "name"))
    path = tmp_path / "codes.csv"
    path.write_text(CSV.replace("石门村", "改名村") + extra, encoding="utf-8")
    with pytest.raises(CommandError, match="Nothing was loaded"):
        call_command("load_regions", str(path), stderr=StringIO())
    assert dict(Division.objects.values_list("code", "name")) == before


def test_it_refuses_a_file_that_is_not_text(tmp_path: Path) -> None:
    path = tmp_path / "codes.csv"
    path.write_bytes(b"\xff\xfe\x00\x00\x81\x30\xff")
    with pytest.raises(CommandError):
        call_command("load_regions", str(path))
    assert Division.objects.count() == 0


def test_it_needs_exactly_one_source(tmp_path: Path) -> None:
    with pytest.raises(CommandError, match="either --demo or a CSV"):
        call_command("load_regions")
    path = tmp_path / "codes.csv"
    path.write_text(CSV, encoding="utf-8")
    with pytest.raises(CommandError, match="either --demo or a CSV"):
        call_command("load_regions", str(path), "--demo")
    with pytest.raises(CommandError, match="No such file"):
        call_command("load_regions", str(tmp_path / "missing.csv"))
    assert Division.objects.count() == 0
