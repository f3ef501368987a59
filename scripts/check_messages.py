#!/usr/bin/env python3
"""Check the Simplified Chinese catalogue: complete, not fuzzy, placeholders kept, .mo current.

    .venv/bin/python scripts/check_messages.py               # catalogue, .mo, and the sources
                                                             # when GNU gettext is installed
    .venv/bin/python scripts/check_messages.py --sources     # the source check is mandatory
    .venv/bin/python scripts/check_messages.py --no-sources  # catalogue and .mo only

Exit status 0 when everything holds, 1 with one line per problem otherwise:

- catalogue: every entry translated (each plural form), no ``fuzzy`` flag (the
  header included), no obsolete ``#~`` entry, the same ``%(name)s`` / ``%s`` /
  ``{name}`` placeholders as the English, the header in UTF-8 with zh's single
  plural form;
- ``.mo``: holds exactly the translations of the ``.po`` (the ``.mo`` is
  committed so that ``make run`` works without gettext; this catches a ``.po``
  edited but not compiled);
- sources: ``manage.py makemessages`` run on a temporary copy of the repository
  finds no string missing from the catalogue and none the catalogue holds in
  vain, so CI fails on new untranslated text. It needs GNU gettext; without it
  the default mode skips this check with a notice.

Fix with ``make messages`` (extract and compile), then translate the new entries.
Standard library only; importable by the tests (``parse_po``, ``catalogue_problems``...).
"""

from __future__ import annotations

import argparse
import base64
import os
import re
import secrets
import shutil
import string
import struct
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
LOCALE = "zh_Hans"
PO_PATH = REPO_ROOT / "locale" / LOCALE / "LC_MESSAGES" / "django.po"
GETTEXT_TOOLS = ("xgettext", "msguniq", "msgmerge", "msgattrib")

# Key of a message in a catalogue: (msgctxt, msgid, msgid_plural).
Key = tuple[str | None, str, str | None]


@dataclass
class Entry:
    """One message of a .po file, strings unescaped."""

    line: int
    msgid: str = ""
    msgid_plural: str | None = None
    msgctxt: str | None = None
    msgstr: dict[int, str] = field(default_factory=dict)
    flags: set[str] = field(default_factory=set)
    obsolete: bool = False

    @property
    def key(self) -> Key:
        return (self.msgctxt, self.msgid, self.msgid_plural)

    @property
    def is_header(self) -> bool:
        return self.msgid == "" and self.msgctxt is None

    def label(self) -> str:
        context = f" (context {self.msgctxt!r})" if self.msgctxt is not None else ""
        return f"msgid {_shorten(self.msgid)}{context}"


# --- Parsing ------------------------------------------------------------------------

_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", "a": "\a", "b": "\b", "f": "\f", "v": "\v"}
_ESCAPE_RE = re.compile(r"\\(x[0-9a-fA-F]+|[0-7]{1,3}|.)")
_KEYWORD_RE = re.compile(r"^(msgctxt|msgid_plural|msgid|msgstr(?:\[(\d+)\])?)\s+(\".*\")\s*$")


def unescape(quoted: str) -> str:
    """The value of one C string literal as written in a .po file (``"..."``)."""
    if len(quoted) < 2 or not (quoted.startswith('"') and quoted.endswith('"')):
        raise ValueError(f"not a quoted string: {quoted}")

    def replace(match: re.Match[str]) -> str:
        code = match.group(1)
        if code in _ESCAPES:
            return _ESCAPES[code]
        if code[0] == "x":
            return chr(int(code[1:], 16))
        if code.isdigit():
            return chr(int(code, 8))
        return code  # \" and \\ (and any other escaped character) stand for themselves

    return _ESCAPE_RE.sub(replace, quoted[1:-1])


def parse_po(text: str) -> list[Entry]:
    """Every entry of a .po file's text, the header (msgid "") first if present."""
    entries: list[Entry] = []
    current: Entry | None = None
    target: tuple[str, int] | None = None  # which field continuation lines extend
    seen_msgstr = False

    def finish() -> None:
        nonlocal current, target, seen_msgstr
        if current is not None and (target is not None or current.msgstr):
            entries.append(current)
        current, target, seen_msgstr = None, None, False

    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line:
            finish()
            continue
        obsolete = line.startswith("#~")
        if obsolete:
            line = line[2:].strip()
            if line.startswith("|") or not line:
                continue  # previous msgid of an obsolete entry
        elif line.startswith("#"):
            if seen_msgstr:
                finish()
            if current is None:
                current = Entry(line=number)
            if line.startswith("#,"):
                current.flags.update(f.strip() for f in line[2:].split(",") if f.strip())
            continue  # translator, extracted, reference and previous-msgid comments
        if line.startswith('"'):
            if current is None or target is None:
                raise ValueError(f"line {number}: string without a keyword")
            _extend(current, target, unescape(line))
            continue
        match = _KEYWORD_RE.match(line)
        if not match:
            raise ValueError(f"line {number}: cannot parse {raw!r}")
        keyword, index, quoted = match.group(1), match.group(2), match.group(3)
        if keyword in ("msgctxt", "msgid") and seen_msgstr:
            finish()
        if current is None:
            current = Entry(line=number)
        current.obsolete = current.obsolete or obsolete
        if keyword.startswith("msgstr"):
            seen_msgstr = True
            target = ("msgstr", int(index) if index is not None else 0)
            current.msgstr[target[1]] = ""
        else:
            target = (keyword, 0)
            setattr(current, keyword, "")
        _extend(current, target, unescape(quoted))
    finish()
    return entries


def _extend(entry: Entry, target: tuple[str, int], value: str) -> None:
    name, index = target
    if name == "msgstr":
        entry.msgstr[index] += value
    else:
        setattr(entry, name, (getattr(entry, name) or "") + value)


def parse_header(entries: list[Entry]) -> dict[str, str]:
    """The header fields ("Language", "Plural-Forms"...) of a parsed catalogue."""
    header = next((e for e in entries if e.is_header and not e.obsolete), None)
    fields: dict[str, str] = {}
    if header is not None:
        for line in header.msgstr.get(0, "").splitlines():
            name, sep, value = line.partition(":")
            if sep:
                fields[name.strip()] = value.strip()
    return fields


def nplurals(header: dict[str, str]) -> int:
    match = re.search(r"nplurals\s*=\s*(\d+)", header.get("Plural-Forms", ""))
    return int(match.group(1)) if match else 2


# --- Placeholders ----------------------------------------------------------------------

_PERCENT_RE = re.compile(
    r"%(?:\((?P<name>[^)]*)\))?"  # %(name)
    r"[#0 +-]*(?:\*|\d+)?(?:\.(?:\*|\d+))?[hlL]?"  # flags, width, precision, length
    r"(?P<conv>[diouxXeEfFgGcrsa%])"  # conversion
)


def percent_placeholders(text: str) -> tuple[frozenset[str], tuple[str, ...]]:
    """Named ``%(name)s`` placeholders (a set) and positional ``%s`` ones (in order)."""
    named: set[str] = set()
    positional: list[str] = []
    for match in _PERCENT_RE.finditer(text):
        if match.group("conv") == "%":
            continue
        if match.group("name") is not None:
            named.add(f"%({match.group('name')}){match.group('conv')}")
        else:
            positional.append(f"%{match.group('conv')}")
    return frozenset(named), tuple(positional)


def brace_placeholders(text: str) -> frozenset[str]:
    """``{name}`` fields of a str.format string (empty when it does not parse)."""
    try:
        return frozenset(
            name for _, name, _, _ in string.Formatter().parse(text) if name is not None
        )
    except ValueError:
        return frozenset()


def placeholder_problem(entry: Entry, msgstr: str) -> str | None:
    """Why ``msgstr`` does not keep the English placeholders, or None."""
    if "no-python-format" in entry.flags:
        return None
    sources = [entry.msgid] + ([entry.msgid_plural] if entry.msgid_plural is not None else [])
    # zh has a single plural form: it must carry what the English plural carries.
    reference = entry.msgid_plural if entry.msgid_plural is not None else entry.msgid
    want_named = frozenset().union(*(percent_placeholders(s)[0] for s in sources))
    have_named, have_positional = percent_placeholders(msgstr)
    if have_named != want_named:
        return f"placeholders {sorted(have_named)} differ from the English {sorted(want_named)}"
    if "python-format" in entry.flags:
        want_positional = percent_placeholders(reference)[1]
        if have_positional != want_positional:
            return (
                f"positional placeholders {list(have_positional)} differ from "
                f"the English {list(want_positional)}"
            )
    if "python-brace-format" in entry.flags:
        want_brace = frozenset().union(*(brace_placeholders(s) for s in sources))
        if brace_placeholders(msgstr) != want_brace:
            return (
                f"{{}} fields {sorted(brace_placeholders(msgstr))} differ from {sorted(want_brace)}"
            )
    return None


# --- The checks --------------------------------------------------------------------------


def catalogue_problems(entries: list[Entry], name: str = "django.po") -> list[str]:
    """Empty, fuzzy, obsolete or placeholder-breaking entries and header mistakes."""
    problems: list[str] = []
    header = parse_header(entries)
    header_entry = next((e for e in entries if e.is_header and not e.obsolete), None)
    if header_entry is None:
        problems.append(f'{name}: no header entry (msgid "")')
    else:
        if "fuzzy" in header_entry.flags:
            problems.append(f"{name}:{header_entry.line}: the header is marked fuzzy")
        if "charset=UTF-8" not in header.get("Content-Type", ""):
            problems.append(f"{name}: the header's Content-Type is not charset=UTF-8")
        if header.get("Language") != LOCALE:
            problems.append(
                f"{name}: the header's Language is {header.get('Language')!r}, not {LOCALE!r}"
            )
        if nplurals(header) != 1:
            problems.append(f"{name}: Chinese has one plural form; Plural-Forms says otherwise")
    forms = nplurals(header)
    seen: set[Key] = set()
    for entry in entries:
        if entry.is_header:
            continue
        where = f"{name}:{entry.line}: {entry.label()}"
        if entry.obsolete:
            problems.append(f"{where}: obsolete entry (#~); run make messages")
            continue
        if entry.key in seen:
            problems.append(f"{where}: duplicate entry")
        seen.add(entry.key)
        if "fuzzy" in entry.flags:
            problems.append(f"{where}: marked fuzzy; check the translation and drop the flag")
        indexes = range(forms) if entry.msgid_plural is not None else range(1)
        for index in indexes:
            msgstr = entry.msgstr.get(index, "")
            label = f"msgstr[{index}]" if entry.msgid_plural is not None else "msgstr"
            if not msgstr.strip():
                problems.append(f"{where}: empty {label}")
                continue
            problem = placeholder_problem(entry, msgstr)
            if problem:
                problems.append(f"{where}: {label} {problem}")
            if entry.msgid.endswith("\n") != msgstr.endswith("\n"):
                problems.append(
                    f"{where}: {label} must end with a newline exactly when the msgid does"
                )
    return problems


def mo_key(entry: Entry) -> str:
    """The key msgfmt writes for an entry: context EOT msgid [NUL msgid_plural]."""
    key = entry.msgid if entry.msgid_plural is None else f"{entry.msgid}\0{entry.msgid_plural}"
    return key if entry.msgctxt is None else f"{entry.msgctxt}\x04{key}"


def read_mo(data: bytes) -> dict[str, str]:
    """Every key and value of a GNU .mo file (UTF-8), the header under ""."""
    if len(data) < 20:
        raise ValueError("too short for a .mo file")
    magic = struct.unpack("<I", data[:4])[0]
    order = "<" if magic == 0x950412DE else ">" if magic == 0xDE120495 else None
    if order is None:
        raise ValueError("not a .mo file (bad magic number)")
    _, count, originals, translations = struct.unpack(order + "4I", data[4:20])
    catalogue: dict[str, str] = {}
    for i in range(count):
        klen, koff = struct.unpack(order + "2I", data[originals + 8 * i : originals + 8 * i + 8])
        vlen, voff = struct.unpack(
            order + "2I", data[translations + 8 * i : translations + 8 * i + 8]
        )
        key = data[koff : koff + klen].decode("utf-8")
        catalogue[key] = data[voff : voff + vlen].decode("utf-8")
    return catalogue


def mo_problems(entries: list[Entry], mo_path: Path) -> list[str]:
    """Where the compiled .mo does not hold exactly the .po's translations."""
    fix = "run make messages (or manage.py compilemessages -l zh_Hans)"
    if not mo_path.exists():
        return [f"{mo_path.name}: missing; {fix}"]
    try:
        compiled = read_mo(mo_path.read_bytes())
    except (ValueError, UnicodeDecodeError, struct.error) as exc:
        return [f"{mo_path.name}: unreadable ({exc}); {fix}"]
    expected: dict[str, str] = {}
    for entry in entries:
        if entry.is_header or entry.obsolete or "fuzzy" in entry.flags:
            continue
        forms = [entry.msgstr[i] for i in sorted(entry.msgstr)]
        if all(forms):  # msgfmt leaves untranslated entries out
            expected[mo_key(entry)] = "\0".join(forms)
    problems: list[str] = []
    for key, value in expected.items():
        if key not in compiled:
            problems.append(f"{mo_path.name}: lacks {_shorten(key)}; {fix}")
        elif compiled[key] != value:
            problems.append(f"{mo_path.name}: stale translation of {_shorten(key)}; {fix}")
    for key in compiled.keys() - expected.keys() - {""}:
        problems.append(f"{mo_path.name}: holds {_shorten(key)}, which the .po does not; {fix}")
    return problems


def gettext_available() -> bool:
    return all(shutil.which(tool) for tool in GETTEXT_TOOLS)


def extract_source_keys(repo: Path = REPO_ROOT) -> set[Key]:
    """The messages ``manage.py makemessages`` finds in a throwaway copy of the repository.

    A copy, so that the real catalogue is never touched; its settings' LOCALE_PATHS
    (BASE_DIR / "locale") then point into the copy, where makemessages writes a
    fresh catalogue. Hidden directories (.venv, .git), var/ and staticfiles/ are
    left out, as ``make messages`` leaves them out.
    """

    def ignore(directory: str, names: list[str]) -> set[str]:
        skipped = {n for n in names if n.startswith(".") or n in ("__pycache__", "node_modules")}
        if Path(directory).resolve() == repo.resolve():
            skipped |= {n for n in names if n in ("locale", "var", "staticfiles", "media")}
            skipped |= {n for n in names if n.endswith(".egg-info")}
        return skipped

    with tempfile.TemporaryDirectory(prefix="carecircle-messages-") as tmp:
        copy = Path(tmp) / "repo"
        shutil.copytree(repo, copy, ignore=ignore, symlinks=True)
        env = {
            **os.environ,
            # Settings load with throwaway secrets; makemessages touches no data.
            "CARECIRCLE_ENV": "test",
            "DATABASE_URL": "sqlite://:memory:",
            "DJANGO_SECRET_KEY": secrets.token_urlsafe(48),
            "CARECIRCLE_DATA_KEYS": "k1:" + base64.b64encode(secrets.token_bytes(32)).decode(),
            "CARECIRCLE_BLIND_INDEX_KEY": base64.b64encode(secrets.token_bytes(32)).decode(),
        }
        command = [sys.executable, "manage.py", "makemessages", "-l", LOCALE, "--no-obsolete"]
        command += ["--ignore=staticfiles", "--ignore=var", "--verbosity=0"]
        # The interpreter running this script, on our own manage.py: no untrusted input.
        result = subprocess.run(  # noqa: S603
            command, cwd=copy, env=env, capture_output=True, text=True, check=False
        )
        if result.returncode != 0:
            raise RuntimeError(f"makemessages failed:\n{result.stderr or result.stdout}")
        fresh = copy / "locale" / LOCALE / "LC_MESSAGES" / "django.po"
        if not fresh.exists():
            return set()
        entries = parse_po(fresh.read_text(encoding="utf-8"))
    return {e.key for e in entries if not e.is_header and not e.obsolete}


def source_problems(entries: list[Entry], source_keys: set[Key]) -> list[str]:
    """Source strings missing from the catalogue, and catalogue entries no source uses."""
    catalogue = {e.key for e in entries if not e.is_header and not e.obsolete}
    problems = [
        f"source: {_key_label(k)} is not in the catalogue; run make messages and translate it"
        for k in sorted(source_keys - catalogue, key=_sort_key)
    ]
    problems += [
        f"source: {_key_label(k)} is in the catalogue but no longer in the code; run make messages"
        for k in sorted(catalogue - source_keys, key=_sort_key)
    ]
    return problems


def _sort_key(key: Key) -> tuple[str, str, str]:
    return (key[1], key[0] or "", key[2] or "")


def _key_label(key: Key) -> str:
    context = f" (context {key[0]!r})" if key[0] is not None else ""
    return f"msgid {_shorten(key[1])}{context}"


def _shorten(text: str, width: int = 70) -> str:
    text = text.replace("\x04", " | ").replace("\0", " / ")
    return repr(text if len(text) <= width else text[: width - 1] + "…")


# --- Command line ------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--po", type=Path, default=PO_PATH, help="catalogue to check")
    group = parser.add_mutually_exclusive_group()
    group.add_argument(
        "--sources", action="store_true", help="fail if gettext is missing for the source check"
    )
    group.add_argument("--no-sources", action="store_true", help="skip the source check")
    args = parser.parse_args(argv)

    po: Path = args.po
    out = sys.stdout
    if not po.exists():
        out.write(f"{po}: missing; run make messages\n")
        return 1
    try:
        entries = parse_po(po.read_text(encoding="utf-8"))
    except (ValueError, UnicodeDecodeError) as exc:
        out.write(f"{po}: unreadable: {exc}\n")
        return 1
    problems = catalogue_problems(entries, po.name)
    problems += mo_problems(entries, po.with_suffix(".mo"))

    sources_checked = False
    if args.no_sources:
        pass
    elif gettext_available():
        sources_checked = True
        try:
            problems += source_problems(entries, extract_source_keys())
        except RuntimeError as exc:
            problems.append(str(exc))
    elif args.sources:
        problems.append(f"GNU gettext ({', '.join(GETTEXT_TOOLS)}) is needed for --sources")
    else:
        out.write("Notice: GNU gettext is not installed; source strings were not checked.\n")

    count = sum(1 for e in entries if not e.is_header and not e.obsolete)
    if problems:
        out.write("\n".join(problems) + "\n")
        out.write(f"{len(problems)} problem(s) in {count} messages of {po}\n")
        return 1
    out.write(
        f"{po.relative_to(REPO_ROOT) if po.is_relative_to(REPO_ROOT) else po}: "
        f"{count} messages, all translated and compiled"
        f"{', none missing from the code' if sources_checked else ''}.\n"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
