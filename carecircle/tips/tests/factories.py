"""Tips for tests: an ``Intake`` with sensible defaults, received through the service."""

from __future__ import annotations

from typing import Any

from carecircle.tips.models import Category, Channel, Tip
from carecircle.tips.services import Intake, Received, tip_receive

VILLAGE_A = "431103101200"


def intake(**fields: Any) -> Intake:
    values: dict[str, Any] = {
        "channel": Channel.WEB,
        "category": Category.NEGLECT,
        "description": "邻居家的孩子经常一个人在门口坐到很晚，家里好像没有大人。",
        "area_code": VILLAGE_A,
    }
    values.update(fields)
    return Intake(**values)


def received(*, actor: Any = None, files: Any = (), **fields: Any) -> Received:
    return tip_receive(intake(**fields), actor=actor, files=files)


def tip(*, actor: Any = None, **fields: Any) -> Tip:
    return received(actor=actor, **fields).tip
