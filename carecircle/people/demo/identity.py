"""Invented people: resident ID numbers with their check character, Chinese names
drawn from weighted surname and given-name tables, mobile numbers, and the date
arithmetic births and events are drawn with. Every draw takes the caller's
``random.Random``, so each stream stays deterministic for a seed."""

from __future__ import annotations

import random
from datetime import date, timedelta

# GB 11643 MOD 11-2: weights of the first 17 digits and the check character by remainder.
_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"


def id_check_character(first17: str) -> str:
    """The 18th character of a resident ID number (GB 11643-1999, ISO 7064 MOD 11-2)."""
    total = sum(int(digit) * weight for digit, weight in zip(first17, _ID_WEIGHTS, strict=True))
    return _ID_CHECK[total % 11]


def id_number_for(area: str, birth: date, sequence: int) -> str:
    """Area code (6), birth date (8), sequence (3: odd for men, even for women), check."""
    first17 = f"{area}{birth:%Y%m%d}{sequence:03d}"
    return first17 + id_check_character(first17)


# Common surnames with rough weights; 蒋, 唐, 周 and 邓 are common in 永州.
_SURNAMES = (
    ("王", 60), ("李", 70), ("张", 55), ("刘", 65), ("陈", 55), ("杨", 30), ("黄", 25),
    ("赵", 18), ("吴", 18), ("周", 35), ("徐", 14), ("孙", 10), ("马", 9), ("朱", 12),
    ("胡", 16), ("郭", 9), ("何", 18), ("林", 9), ("高", 10), ("罗", 14), ("郑", 8),
    ("梁", 8), ("谢", 12), ("宋", 7), ("唐", 30), ("许", 6), ("邓", 22), ("冯", 6),
    ("韩", 5), ("曹", 6), ("曾", 12), ("彭", 12), ("肖", 12), ("蒋", 35), ("蔡", 6),
    ("田", 6), ("袁", 6), ("潘", 5), ("文", 8), ("伍", 6), ("邹", 7), ("雷", 6),
    ("龙", 5), ("谭", 8), ("廖", 8), ("贺", 5), ("易", 5), ("欧阳", 4), ("秦", 4),
    ("毛", 4), ("石", 5), ("钟", 5), ("魏", 4), ("段", 4), ("尹", 3),
)  # fmt: skip
_SURNAME_NAMES = tuple(name for name, _weight in _SURNAMES)
_SURNAME_WEIGHTS = tuple(weight for _name, weight in _SURNAMES)

# Given names of children born since 2008, built from the characters popular then.
_BOY_FIRST = "子浩宇俊梓博一皓泽明嘉天文思志家奕锦晨睿伟鹏振昊"
_BOY_SECOND = "轩然杰豪宇航文鸣墨辰阳睿程乐熙远博涛翔宁诚铭"
_GIRL_FIRST = "梓欣子诗雨一可语佳梦若思紫芷依婉静雅安心晓嘉"
_GIRL_SECOND = "涵怡桐诺馨嫣琪汐彤萱妍清婷琳悦雪瑶然蕾菲"
# Given names of adults born 1965-2000.
_MEN = (
    "建国", "志强", "伟", "军", "勇", "海涛", "国华", "建华", "明", "杰", "涛", "斌", "卫东",
    "小平", "文斌", "华", "俊", "立新", "志刚", "永胜", "德明", "金生", "新民", "鹏", "磊",
)  # fmt: skip
_WOMEN = (
    "丽", "丽华", "海燕", "秀英", "红", "艳", "芳", "娟", "敏", "静", "婷", "霞", "桂兰",
    "玉梅", "春梅", "晓燕", "慧", "琴", "雪梅", "小红", "利平", "美玲", "雅琴", "翠英", "凤",
)  # fmt: skip


# Given names of grandparents born 1945-1975, and of a few mothers from Viet Nam.
_OLD_MEN = (
    "德福", "国庆", "建军", "长生", "福生", "满秋", "正清", "云华", "光明", "新华",
    "春生", "水生", "桂生", "有才", "学文",
)  # fmt: skip
_OLD_WOMEN = (
    "秀兰", "桂英", "凤英", "玉兰", "冬梅", "淑珍", "菊香", "满姣", "桂花", "秀珍",
    "春兰", "金莲", "翠兰", "玉英", "梅香",
)  # fmt: skip
_VIETNAMESE_WOMEN = ("阮氏玲", "陈氏花", "黎氏梅", "范氏兰", "武氏秋")


def _surname(rng: random.Random) -> str:
    return rng.choices(_SURNAME_NAMES, weights=_SURNAME_WEIGHTS)[0]


def given_name(rng: random.Random, sex: str) -> str:
    first, second = (_BOY_FIRST, _BOY_SECOND) if sex == "M" else (_GIRL_FIRST, _GIRL_SECOND)
    return rng.choice(first) + rng.choice(second) if rng.random() < 0.8 else rng.choice(second)


def child_name(rng: random.Random, sex: str) -> str:
    given = given_name(rng, sex)
    return _surname(rng) + given


def adult_name(rng: random.Random) -> str:
    return _surname(rng) + rng.choice(_MEN if rng.random() < 0.45 else _WOMEN)


def _person_name(rng: random.Random, sex: str, *, surname: str = "", old: bool = False) -> str:
    if old:
        given = rng.choice(_OLD_MEN if sex == "M" else _OLD_WOMEN)
    else:
        given = rng.choice(_MEN if sex == "M" else _WOMEN)
    return (surname or _surname(rng)) + given


def _phone(rng: random.Random) -> str:
    return rng.choice(("139", "138", "137", "150", "151", "152", "187", "188", "199")) + "".join(
        rng.choice("0123456789") for _ in range(8)
    )


def _years_before(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February
        return day.replace(year=day.year - years, day=28)


def _days_ago(today: date, low: int, high: int, rng: random.Random) -> date:
    return today - timedelta(days=rng.randint(low, high))
