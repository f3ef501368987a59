"""The Simplified Chinese catalogue: complete, compiled, and what users actually see.

The catalogue checks reuse ``scripts/check_messages.py`` (what ``make
messages-check`` runs in CI); the source-extraction part of that script needs
GNU gettext and stays in CI, so adding a string never breaks this suite.
"""

from __future__ import annotations

import importlib.util
import struct
import sys
from pathlib import Path
from types import ModuleType

import pytest
from django.conf import settings
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse
from django.utils import translation

from carecircle.regions.codes import parse_code


def _load_checker() -> ModuleType:
    path = Path(settings.BASE_DIR) / "scripts" / "check_messages.py"
    spec = importlib.util.spec_from_file_location("check_messages", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while loading
    spec.loader.exec_module(module)
    return module


checker = _load_checker()


def _write_mo(path: Path, catalogue: dict[str, str]) -> None:
    """A minimal GNU .mo writer (no hash table), as msgfmt --no-hash writes."""
    keys = sorted(catalogue)
    ids = [k.encode() for k in keys]
    strs = [catalogue[k].encode() for k in keys]
    start = 7 * 4 + 16 * len(keys)
    blob = b""
    id_offsets: list[tuple[int, int]] = []
    str_offsets: list[tuple[int, int]] = []
    for raw, offsets in [(r, id_offsets) for r in ids] + [(r, str_offsets) for r in strs]:
        offsets.append((len(raw), start + len(blob)))
        blob += raw + b"\0"
    header = struct.pack("<7I", 0x950412DE, 0, len(keys), 28, 28 + 8 * len(keys), 0, 0)
    tables = b"".join(struct.pack("<2I", *o) for o in id_offsets + str_offsets)
    path.write_bytes(header + tables + blob)


HEADER = (
    'msgid ""\nmsgstr ""\n"Language: zh_Hans\\n"\n'
    '"Content-Type: text/plain; charset=UTF-8\\n"\n"Plural-Forms: nplurals=1; plural=0;\\n"\n\n'
)


# --- The shipped catalogue -------------------------------------------------------------


def test_it_translates_every_entry_without_fuzzy_flags() -> None:
    entries = checker.parse_po(checker.PO_PATH.read_text(encoding="utf-8"))

    assert len(entries) > 300
    assert checker.catalogue_problems(entries) == []
    header = checker.parse_header(entries)
    assert header["Language"] == "zh_Hans"
    assert header["Plural-Forms"] == "nplurals=1; plural=0;"


def test_it_ships_a_mo_compiled_from_the_current_po() -> None:
    entries = checker.parse_po(checker.PO_PATH.read_text(encoding="utf-8"))

    assert checker.mo_problems(entries, checker.PO_PATH.with_suffix(".mo")) == []


def test_it_uses_the_agreed_terms() -> None:
    with translation.override("zh-hans"):
        assert translation.gettext("Child director") == "儿童主任"
        assert translation.gettext("Child supervisor") == "儿童督导员"
        assert translation.gettext("Minors' protection center") == "未成年人保护中心"
        assert translation.gettext("Comprehensive governance center") == "综治中心"
        assert translation.gettext("Break the glass") == "申请紧急访问"
        assert translation.gettext("Emergency access") == "紧急访问"
        assert translation.gettext("Village / community") == "村（社区）"
        assert translation.gettext("person-times") == "人次"


# --- The checker itself -------------------------------------------------------------------


def test_it_reports_empty_fuzzy_obsolete_and_broken_entries() -> None:
    text = HEADER + (
        'msgid "Sign in"\nmsgstr ""\n\n'
        '#, fuzzy\n#| msgid "Sign up"\nmsgid "Sign out"\nmsgstr "退出登录"\n\n'
        '#, python-format\nmsgid "Hello, %(name)s"\nmsgstr "您好，%(nom)s"\n\n'
        '#, python-format\nmsgid "%(code)s has %(n)d."\nmsgstr "%(code)s 为 %(n)s 位。"\n\n'
        '#, python-format\nmsgid "One child"\nmsgid_plural "%(n)d children"\n'
        'msgstr[0] "%(n)d 名儿童"\n\n'
        '#~ msgid "Gone"\n#~ msgstr "已删除"\n'
    )
    problems = checker.catalogue_problems(checker.parse_po(text))

    assert len(problems) == 5
    assert "'Sign in': empty msgstr" in problems[0]
    assert "'Sign out': marked fuzzy" in problems[1]
    assert "%(nom)s" in problems[2] and "%(name)s" in problems[2]
    assert "%(n)s" in problems[3] and "%(n)d" in problems[3]
    assert "'Gone': obsolete entry" in problems[4]


def test_it_reports_a_fuzzy_or_foreign_header() -> None:
    text = (
        '#, fuzzy\nmsgid ""\nmsgstr ""\n"Language: \\n"\n'
        '"Plural-Forms: nplurals=2; plural=(n != 1);\\n"\n'
    )

    problems = checker.catalogue_problems(checker.parse_po(text))

    assert any("header is marked fuzzy" in p for p in problems)
    assert any("Language is ''" in p for p in problems)
    assert any("charset=UTF-8" in p for p in problems)
    assert any("one plural form" in p for p in problems)


def test_it_accepts_a_plural_whose_chinese_form_keeps_the_count() -> None:
    text = HEADER + (
        '#, python-format\nmsgid "One child"\nmsgid_plural "%(n)d children"\n'
        'msgstr[0] "%(n)d 名儿童"\n\n'
        'msgctxt "menu"\nmsgid "Open"\nmsgstr "打开"\n\n'
        'msgid ""\n"Two "\n"lines"\nmsgstr "两行"\n'
    )
    entries = checker.parse_po(text)

    assert checker.catalogue_problems(entries) == []
    assert [e.msgid for e in entries[1:]] == ["One child", "Open", "Two lines"]
    assert entries[2].msgctxt == "menu"


def test_it_reports_a_mo_that_lags_behind_the_po(tmp_path: Path) -> None:
    entries = checker.parse_po(
        HEADER + 'msgid "Sign in"\nmsgstr "登录"\n\nmsgid "Sign out"\nmsgstr "退出登录"\n'
    )
    mo = tmp_path / "django.mo"
    assert checker.mo_problems(entries, mo) == [
        "django.mo: missing; run make messages (or manage.py compilemessages -l zh_Hans)"
    ]

    _write_mo(mo, {"": "Language: zh_Hans\n", "Sign in": "登入", "Search": "搜索"})
    problems = checker.mo_problems(entries, mo)

    assert len(problems) == 3
    assert any("lacks 'Sign out'" in p for p in problems)
    assert any("stale translation of 'Sign in'" in p for p in problems)
    assert any("holds 'Search'" in p for p in problems)

    _write_mo(mo, {"": "Language: zh_Hans\n", "Sign in": "登录", "Sign out": "退出登录"})
    assert checker.mo_problems(entries, mo) == []


def test_it_reports_source_strings_missing_from_the_catalogue() -> None:
    entries = checker.parse_po(
        HEADER + 'msgid "Sign in"\nmsgstr "登录"\n\nmsgid "Old"\nmsgstr "旧"\n'
    )

    problems = checker.source_problems(entries, {(None, "Sign in", None), (None, "New", None)})

    assert len(problems) == 2
    assert "'New' is not in the catalogue" in problems[0]
    assert "'Old' is in the catalogue but no longer in the code" in problems[1]


# --- What users see ------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("accept_language", [None, "zh-CN,zh;q=0.9,en;q=0.8"])
def test_it_shows_the_login_page_in_chinese_by_default(accept_language: str | None) -> None:
    headers = {"Accept-Language": accept_language} if accept_language else {}

    response = Client().get(reverse("accounts:login"), headers=headers)

    assert response.status_code == 200
    assert response.headers["Content-Language"] == "zh-hans"
    body = response.content.decode()
    assert '<html lang="zh-hans">' in body
    assert "登录" in body
    assert "密码连续输错 5 次" in body
    assert "Sign in" not in body


@pytest.mark.django_db
def test_it_switches_to_english_through_set_language() -> None:
    client = Client()
    login = reverse("accounts:login")

    response = client.post(reverse("set_language"), {"language": "en", "next": login})

    assert response.status_code == 302
    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == "en"
    body = client.get(login).content.decode()
    assert '<html lang="en">' in body
    assert "Sign in" in body
    assert "登录" not in body

    client.post(reverse("set_language"), {"language": "zh-hans", "next": login})
    assert "登录" in client.get(login).content.decode()


@pytest.mark.django_db
def test_it_ignores_set_language_by_get_and_unsupported_languages() -> None:
    client = Client()
    login = reverse("accounts:login")

    client.get(reverse("set_language"), {"language": "en", "next": login})
    assert settings.LANGUAGE_COOKIE_NAME not in client.cookies
    assert "登录" in client.get(login).content.decode()

    client.post(reverse("set_language"), {"language": "fr", "next": login})
    body = client.get(login).content.decode()
    assert '<html lang="zh-hans">' in body
    assert "登录" in body


def _messages(code: str, language: str) -> list[str]:
    """The ValidationError messages of parse_code, rendered while ``language`` is active."""
    with translation.override(language):
        try:
            parse_code(code)
        except ValidationError as exc:
            return exc.messages
    raise AssertionError(f"{code} was accepted")


def test_it_explains_a_bad_division_code_in_chinese() -> None:
    assert _messages("4311031", "zh-hans") == [
        "区划代码应为 2、4、6、9 或 12 位数字；4311031 为 7 位。"
    ]
    assert _messages("43x", "zh-hans") == ["区划代码只能包含数字，例如 431103 或 431103001201。"]
    assert _messages("091103", "zh-hans") == ["091103 的开头不是省级代码（11 至 82）。"]
    assert _messages("4311031", "en") == [
        "A division code has 2, 4, 6, 9 or 12 digits; 4311031 has 7."
    ]
