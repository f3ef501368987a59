"""The shared minors filter: age bands by whole years, the status default, bad input."""

from __future__ import annotations

from datetime import date

import pytest

from carecircle.people.filters import MinorFilterForm, birth_range
from carecircle.people.models import Minor

pytestmark = pytest.mark.django_db


def test_age_bands_count_whole_years_on_the_day() -> None:
    today = date(2026, 11, 28)
    assert birth_range(0, 5, today=today) == (date(2020, 11, 29), date(2026, 11, 28))
    # 16 today (born 2010-11-28) and 17 until tomorrow (born 2008-11-29) are both 16-17.
    assert birth_range(16, 17, today=today) == (date(2008, 11, 29), date(2010, 11, 28))


def test_status_active_is_the_default_and_any_status_widens(minor_a: Minor, minor_b: Minor) -> None:
    Minor.objects.filter(pk=minor_b.pk).update(status=Minor.Status.MOVED_AWAY)
    every = Minor.objects.all()

    def found(**params: str) -> set[int]:
        form = MinorFilterForm(params)
        assert form.is_valid(), form.errors
        return set(form.apply(every).values_list("pk", flat=True))

    assert found() == found(status="active") == {minor_a.pk}
    assert found(status="all") == {minor_a.pk, minor_b.pk}
    assert found(status="moved_away") == {minor_b.pk}


@pytest.mark.parametrize(
    "params",
    [{"area": "43x"}, {"area": "4311031"}, {"school": "99999999999999999999"}, {"age": "3-9"}],
)
def test_bad_filters_are_form_errors(params: dict[str, str]) -> None:
    assert not MinorFilterForm(params).is_valid()
