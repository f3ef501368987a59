from __future__ import annotations

import pytest

from carecircle.people.names import INITIALS_MAX_LENGTH, PINYIN_MAX_LENGTH, name_keys


@pytest.mark.parametrize(
    ("name", "pinyin", "initials"),
    [
        ("张三", "zhangsan", "zs"),
        ("  张三 ", "zhangsan", "zs"),
        ("欧阳娜娜", "ouyangnana", "oynn"),
        ("吕小雨", "lvxiaoyu", "lxy"),
    ],
)
def test_it_derives_toneless_pinyin_and_initials(name: str, pinyin: str, initials: str) -> None:
    assert name_keys(name) == (pinyin, initials)


@pytest.mark.parametrize(
    ("name", "pinyin", "initials"),
    [
        ("曾小明", "zengxiaoming", "zxm"),
        ("单田芳", "shantianfang", "stf"),
        ("解晓东", "xiexiaodong", "xxd"),
        ("仇大海", "qiudahai", "qdh"),
        ("区家乐", "oujiale", "ojl"),
    ],
)
def test_it_reads_polyphonic_surnames_as_surnames(name: str, pinyin: str, initials: str) -> None:
    assert name_keys(name) == (pinyin, initials)


def test_it_reads_a_surname_character_normally_inside_the_given_name() -> None:
    assert name_keys("王曾") == ("wangceng", "wc")


@pytest.mark.parametrize(
    ("name", "pinyin", "initials"),
    [
        ("Aili·Maimaiti", "ailimaimaiti", "am"),
        ("阿依古丽·买买提", "ayiguli" + "maimaiti", "aygl" + "mmt"),
        ("Anna Smith-Li", "annasmithli", "asl"),
        ("李A梅", "liamei", "lam"),
    ],
)
def test_it_keeps_other_letters_lower_cased_and_drops_punctuation(
    name: str, pinyin: str, initials: str
) -> None:
    assert name_keys(name) == (pinyin, initials)


def test_it_returns_empty_keys_for_an_empty_or_punctuation_only_name() -> None:
    assert name_keys("") == ("", "")
    assert name_keys(" · ") == ("", "")


def test_it_fits_the_keys_into_their_columns() -> None:
    pinyin, initials = name_keys("张" * 64)
    assert len(pinyin) == PINYIN_MAX_LENGTH and len(initials) == INITIALS_MAX_LENGTH
