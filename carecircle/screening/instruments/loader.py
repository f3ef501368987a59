"""Find, check and cache the instrument files.

The built-in files live in ``builtin/``; a deployment adds the instruments it holds a
licence for (MHT, SCL-90 …) as files of the same format in the folder named by the
setting ``CARECIRCLE_INSTRUMENTS_DIR`` — no code. Every file goes through the JSON
Schema (``schema.json``) and then the semantic checks (``checks``); one bad file
stops the whole load with every problem of every file listed, because scoring with
some instruments silently missing would be worse than not starting.

A deployment may replace a published cut-off without editing a file, with the
setting ``CARECIRCLE_INSTRUMENT_CUTOFFS`` (a mapping, or its JSON text)::

    {"PHQ9": {"positive.depression": 11}, "ASQ": {...}}

Each key names a positive screen (``positive.<key>``) or critical item
(``critical.<key>``) whose rule is a single comparison; the number replaces the
comparison's value. Anything else in that setting is a load error.

The loaded instruments are cached for the life of the process and dropped when one
of those settings changes (``override_settings`` in tests sends ``setting_changed``);
``clear_cache`` does the same by hand.
"""

from __future__ import annotations

import dataclasses
import json
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml
from django.conf import settings
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.utils.translation import gettext as _
from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError, best_match

from carecircle.screening.instruments.checks import check
from carecircle.screening.instruments.errors import InstrumentError
from carecircle.screening.instruments.model import Instrument, build
from carecircle.screening.instruments.rules import Comparison

HERE = Path(__file__).resolve().parent
BUILTIN_DIR = HERE / "builtin"
SCHEMA = json.loads((HERE / "schema.json").read_text(encoding="utf-8"))
SETTINGS = ("CARECIRCLE_INSTRUMENTS_DIR", "CARECIRCLE_INSTRUMENT_CUTOFFS")
PATTERNS = ("*.yaml", "*.yml", "*.json")

_cache: dict[str, Instrument] | None = None


class _YamlLoader(yaml.SafeLoader):
    """YAML with only true/false as booleans (YAML 1.2).

    PyYAML follows YAML 1.1, where a bare ``on``, ``yes`` or ``no`` is a boolean:
    the format's ``on:`` key of a band would become ``True``. Numbers, nulls and
    strings resolve as usual.
    """


_YamlLoader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:bool"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_YamlLoader.add_implicit_resolver(
    "tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF")
)


def get_instrument(code: str) -> Instrument:
    """The loaded, checked instrument with this code."""
    try:
        return registry()[code]
    except KeyError:
        raise InstrumentError(
            _("Unknown instrument code %(code)s; known codes: %(codes)s.")
            % {"code": code, "codes": ", ".join(registry())}
        ) from None


def all_instruments() -> list[Instrument]:
    """Every loaded instrument, by code."""
    return list(registry().values())


def registry() -> Mapping[str, Instrument]:
    """The instruments by code, loaded once per process (see the module docstring)."""
    global _cache  # a process-wide cache, dropped on setting_changed
    if _cache is None:
        _cache = load()
    return _cache


def clear_cache() -> None:
    """Forget the loaded instruments: the next lookup reads the files again."""
    global _cache
    _cache = None


@receiver(setting_changed)
def _setting_changed(*, setting: str, **kwargs: Any) -> None:
    if setting in SETTINGS:
        clear_cache()


def instrument_files() -> list[Path]:
    """The built-in files, then the deployment's, each folder in name order."""
    files = sorted(BUILTIN_DIR.glob("*.yaml"))
    extra = getattr(settings, "CARECIRCLE_INSTRUMENTS_DIR", None)
    if extra:
        folder = Path(extra)
        if not folder.is_dir():
            raise InstrumentError(f"CARECIRCLE_INSTRUMENTS_DIR {folder} is not a directory.")
        files += sorted(p for pattern in PATTERNS for p in folder.glob(pattern))
    return files


def load() -> dict[str, Instrument]:
    """Read and check every file; raise one error listing every problem found."""
    errors: list[str] = []
    found: dict[str, Instrument] = {}
    for path in instrument_files():
        problems, instrument = load_file(path)
        errors += [f"{path}: {p}" for p in problems]
        if instrument is None:
            continue
        if instrument.code in found:
            first = found[instrument.code].path
            errors.append(f"{path}: code: {instrument.code} is already defined in {first}")
            continue
        found[instrument.code] = instrument
    if not errors:
        errors += apply_cutoffs(found, getattr(settings, "CARECIRCLE_INSTRUMENT_CUTOFFS", None))
    if errors:
        raise InstrumentError("Instrument files are invalid:\n" + "\n".join(errors))
    return dict(sorted(found.items()))


def load_file(path: Path) -> tuple[list[str], Instrument | None]:
    """One file's problems, or its instrument when there are none."""
    try:
        data = yaml.load(path.read_text(encoding="utf-8"), Loader=_YamlLoader)  # noqa: S506 (a SafeLoader)
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as error:
        return [f"cannot be read as YAML: {error}"], None
    problems = schema_problems(data)
    if not problems:
        problems = check(data)
    if problems:
        return problems, None
    return [], build(data, path)


def schema_problems(data: Any) -> list[str]:
    """The schema violations, each at its path and with the most specific message."""
    validator = Draft202012Validator(SCHEMA)
    problems = []
    for error in sorted(validator.iter_errors(data), key=lambda e: list(e.absolute_path)):
        best = best_match([error])
        problems.append(f"{_path(best)}: {best.message}")
    return problems


def _path(error: ValidationError) -> str:
    text = ""
    for part in error.absolute_path:
        text += f"[{part}]" if isinstance(part, int) else f".{part}"
    return text.lstrip(".") or "(top level)"


def apply_cutoffs(found: dict[str, Instrument], overrides: Any) -> list[str]:
    """Replace published cut-offs by the deployment's; the problems, if any."""
    where = "setting CARECIRCLE_INSTRUMENT_CUTOFFS"
    if isinstance(overrides, str):
        if not overrides.strip():
            return []
        try:
            overrides = json.loads(overrides)
        except ValueError as error:
            return [f"{where}: not valid JSON: {error}"]
    if not overrides:
        return []
    if not isinstance(overrides, Mapping):
        return [f"{where}: must be a mapping of instrument code to {{key: cut-off}}"]
    problems = []
    for code, changes in overrides.items():
        if code not in found:
            problems.append(f"{where}: no instrument with code {code!r}")
        elif not isinstance(changes, Mapping):
            problems.append(f"{where}: {code}: must be a mapping of 'positive.<key>' to a number")
        else:
            instrument, errors = _override(found[code], changes)
            problems += [f"{where}: {code}.{e}" for e in errors]
            found[code] = instrument
    return problems


def _override(instrument: Instrument, changes: Mapping[str, Any]) -> tuple[Instrument, list[str]]:
    errors = []
    screens = {"positive": list(instrument.positive), "critical": list(instrument.critical)}
    for name, value in changes.items():
        kind, _dot, key = str(name).partition(".")
        index = next(
            (n for n, s in enumerate(screens.get(kind, ())) if s.key == key),
            None,
        )
        if index is None:
            errors.append(f"{name}: no such positive screen or critical item")
        elif isinstance(value, bool) or not isinstance(value, int | float):
            errors.append(f"{name}: the cut-off must be a number, not {value!r}")
        else:
            screen = screens[kind][index]
            if isinstance(screen.rule, Comparison):
                rule = dataclasses.replace(screen.rule, value=value)
                screens[kind][index] = dataclasses.replace(screen, rule=rule)
            else:
                errors.append(f"{name}: its rule is not a single comparison, so it has no cut-off")
    updated = dataclasses.replace(
        instrument,
        positive=tuple(screens["positive"]),
        critical=tuple(screens["critical"]),
    )
    return updated, errors
