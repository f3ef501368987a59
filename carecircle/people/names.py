"""Search keys of a person's name: full pinyin and initials (张三 → "zhangsan", "zs").

Staff type pinyin on phones and in the field, so a child is found by 汉字, by full
pinyin or by initials. The keys are toneless lower-case ASCII for Chinese
characters (ü is written ``v``, as pinyin keyboards do: 吕 → "lv"); any other
letters and digits are kept, lower-cased, and punctuation and spaces are dropped
("Aili·Maimaiti" → "ailimaimaiti", "am"). Initials take the first letter of each
syllable or word, as ``Style.FIRST_LETTER`` does (张 → "z", not "zh").

Surnames: pypinyin reads a character by its common reading, but several common
surnames are read differently (单 dān → Shàn). ``SURNAME_READINGS`` corrects the
first character of a name; compound surnames (欧阳, 尉迟, 万俟) already come out
right from pypinyin's phrase dictionary. Readings that are genuinely ambiguous as
surnames (乐 Lè / Yuè) are left to pypinyin.
"""

from __future__ import annotations

import re
from functools import lru_cache

from pypinyin import lazy_pinyin

# Single-character surnames whose surname reading differs from pypinyin's default.
SURNAME_READINGS: dict[str, str] = {
    "单": "shan",
    "曾": "zeng",
    "解": "xie",
    "仇": "qiu",
    "区": "ou",
    "朴": "piao",
    "查": "zha",
    "盖": "ge",
    "覃": "qin",
    "缪": "miao",
    "繁": "po",
    "种": "chong",
}

PINYIN_MAX_LENGTH = 128
INITIALS_MAX_LENGTH = 32

_WORD = re.compile(r"[^\W_]+")


def _words(name: str) -> list[str]:
    name = name.strip()
    if not name:
        return []
    first = SURNAME_READINGS.get(name[0])
    tokens = [first, *lazy_pinyin(name[1:])] if first else lazy_pinyin(name)
    # Non-Chinese runs come back unchanged, spaces and punctuation included.
    return [word.lower() for token in tokens for word in _WORD.findall(token)]


# Names repeat across a district, and pypinyin is the slowest step of registering a
# child: a roster import or the demo loader asks for the same name many times.
@lru_cache(maxsize=65_536)
def name_keys(name: str) -> tuple[str, str]:
    """(full pinyin, initials) of ``name``, e.g. ("zhangsan", "zs") for 张三."""
    words = _words(name)
    return (
        "".join(words)[:PINYIN_MAX_LENGTH],
        "".join(word[0] for word in words)[:INITIALS_MAX_LENGTH],
    )
