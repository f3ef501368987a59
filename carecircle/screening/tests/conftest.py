"""Fixtures for the instrument engine's tests (opt-in: other tests here do not use them)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from django.utils import translation

from carecircle.screening.instruments.loader import clear_cache


@pytest.fixture
def english() -> Iterator[None]:
    """English messages and fresh instruments for one test.

    Messages are checked in English (the msgids): the zh-hans catalogue may translate
    them at any time, and the engine's tests are about the engine, not the wording.
    """
    clear_cache()
    with translation.override("en"):
        yield
    clear_cache()


@pytest.fixture
def deploy_dir(tmp_path: Path, settings: Any) -> Callable[..., Path]:
    """Write instrument files into a deployment folder and point the setting at it.

    Call it with ``name=content`` pairs: a str is written as it is, anything else is
    dumped as YAML.
    """
    folder = tmp_path / "instruments"
    folder.mkdir()
    settings.CARECIRCLE_INSTRUMENTS_DIR = str(folder)

    def write(**files: Any) -> Path:
        for name, content in files.items():
            text = (
                content if isinstance(content, str) else yaml.safe_dump(content, allow_unicode=True)
            )
            (folder / f"{name}.yaml").write_text(text, encoding="utf-8")
        return folder

    return write
