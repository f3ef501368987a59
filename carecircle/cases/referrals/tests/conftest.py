"""Fixtures of the referral tests: side A's counselor's case for minor a, the
organisations of the test district, and a referral sent to the hospital."""

from __future__ import annotations

from typing import Any

import pytest

from carecircle.cases import services as case_services
from carecircle.cases.models import Case, Kind, Referral, Risk, Source
from carecircle.cases.referrals.services import referral_send


@pytest.fixture(autouse=True)
def _english(english: None) -> None:
    """Messages are compared with their msgids."""


@pytest.fixture
def case(personas: dict[str, Any], minor_a: Any) -> Case:
    return case_services.case_open(
        actor=personas["counselor"],
        minor=minor_a,
        kind=Kind.COUNSELING,
        source=Source.WALK_IN,
        summary="孩子近期情绪低落，老师建议心理辅导",
        risk=Risk.RED,
    )


@pytest.fixture
def hospital(district: dict[str, Any]) -> Any:
    return district["orgs"]["hospital_A"]


@pytest.fixture
def police(district: dict[str, Any]) -> Any:
    return district["orgs"]["police_A"]


@pytest.fixture
def school(district: dict[str, Any]) -> Any:
    return district["orgs"]["school_A"]


def send(actor: Any, case: Case, organisation: Any, **fields: Any) -> Referral:
    values: dict[str, Any] = {
        "reason": "孩子情绪持续低落，请评估并给出处置意见",
        "shared_items": ["name", "sex"],
        "basis": "vital_interest",
    }
    values.update(fields)
    return referral_send(actor=actor, case=case, to_organisation=organisation, **values)


@pytest.fixture
def referral(personas: dict[str, Any], case: Case, hospital: Any) -> Referral:
    return send(personas["counselor"], case, hospital, shared_items=["name", "risk"])
