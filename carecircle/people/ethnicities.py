"""The 56 ethnic groups (民族) in the order and numbering of GB/T 3304-1991.

Rosters write the name with 族 (汉族); ``ETHNICITY_CHOICES`` stores the two-digit
code so that a typo in an import is an error, not a 57th group.
"""

from __future__ import annotations

ETHNIC_GROUPS: tuple[tuple[str, str], ...] = tuple(
    (f"{number:02d}", name)
    for number, name in enumerate(
        (
            "汉族", "蒙古族", "回族", "藏族", "维吾尔族", "苗族", "彝族", "壮族", "布依族",
            "朝鲜族", "满族", "侗族", "瑶族", "白族", "土家族", "哈尼族", "哈萨克族", "傣族",
            "黎族", "傈僳族", "佤族", "畲族", "高山族", "拉祜族", "水族", "东乡族", "纳西族",
            "景颇族", "柯尔克孜族", "土族", "达斡尔族", "仫佬族", "羌族", "布朗族", "撒拉族",
            "毛南族", "仡佬族", "锡伯族", "阿昌族", "普米族", "塔吉克族", "怒族", "乌孜别克族",
            "俄罗斯族", "鄂温克族", "德昂族", "保安族", "裕固族", "京族", "塔塔尔族", "独龙族",
            "鄂伦春族", "赫哲族", "门巴族", "珞巴族", "基诺族",
        ),
        start=1,
    )
)  # fmt: skip

HAN = "01"
_BY_NAME = {name: code for code, name in ETHNIC_GROUPS}
_BY_NAME.update({name.removesuffix("族"): code for code, name in ETHNIC_GROUPS})


def ethnicity_code(text: str) -> str | None:
    """The code of 汉族 / 汉 / 01 / 1, or None when ``text`` names no group."""
    text = text.strip()
    if text.isdigit() and f"{int(text):02d}" in dict(ETHNIC_GROUPS):
        return f"{int(text):02d}"
    return _BY_NAME.get(text)
