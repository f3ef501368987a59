"""The demo district: 湖南省 → 永州市 → 冷水滩区 (431103) and its townships and streets.

Township and street names are 冷水滩区's real ones. Their 9-digit codes follow the
GB/T 10114 ranges (streets 001-099, towns 100-199, townships 200-399) in the
order below; a deployment loads the current official NBS table instead with
``manage.py load_regions FILE.csv``. Villages and communities are generated
(communities 001-199 in streets, villages 200-399 in towns and townships), with
the NBS urban-rural class: 111 for communities, 220 for villages.
"""

from __future__ import annotations

PROVINCE = ("43", "湖南省")
CITY = ("4311", "永州市")
COUNTY = ("431103", "冷水滩区")

STREETS = [
    "梅湾街道",
    "菱角山街道",
    "肖家园街道",
    "杨家桥街道",
    "梧桐街道",
    "凤凰街道",
    "珊瑚街道",
    "曲河街道",
]
TOWNS = [
    "岚角山镇",
    "花桥街镇",
    "普利桥镇",
    "牛角坝镇",
    "高溪市镇",
    "黄阳司镇",
    "上岭桥镇",
    "伊塘镇",
    "蔡市镇",
]
TOWNSHIPS = ["杨村甸乡"]

_COMMUNITY_STEMS = ["滨江", "育才", "翠竹", "湘永", "富强", "零陵", "春江", "南湖", "文昌", "建设"]
_VILLAGE_STEMS = [
    "石门",
    "新田",
    "塘尾",
    "大坪",
    "黄泥",
    "枫木",
    "竹山",
    "桥头",
    "李家",
    "高峰",
    "双江",
    "马坪",
    "茶山",
    "柏树",
    "上湾",
    "下湾",
    "龙潭",
    "白果",
    "杉木",
    "长岭",
]


def rows(
    villages_per_town: int = 12, communities_per_street: int = 6
) -> list[tuple[str, str, str]]:
    """(code, name, urban_rural) rows for the whole demo district, parents first."""
    out: list[tuple[str, str, str]] = [
        (PROVINCE[0], PROVINCE[1], ""),
        (CITY[0], CITY[1], ""),
        (COUNTY[0], COUNTY[1], ""),
    ]
    county = COUNTY[0]
    for index, name in enumerate(STREETS, start=1):
        township = f"{county}{index:03d}"
        out.append((township, name, ""))
        for n in range(1, communities_per_street + 1):
            stem = _COMMUNITY_STEMS[(index + n) % len(_COMMUNITY_STEMS)]
            out.append((f"{township}{n:03d}", f"{stem}社区", "111"))
    rural = [(100 + i, name) for i, name in enumerate(TOWNS)] + [
        (200 + i, name) for i, name in enumerate(TOWNSHIPS)
    ]
    for seq, name in rural:
        township = f"{county}{seq:03d}"
        out.append((township, name, ""))
        out.append((f"{township}001", f"{name.rstrip('镇乡')}社区", "121"))
        for n in range(villages_per_town):
            stem = _VILLAGE_STEMS[(seq + n) % len(_VILLAGE_STEMS)]
            out.append((f"{township}{200 + n:03d}", f"{stem}村", "220"))
    return out
