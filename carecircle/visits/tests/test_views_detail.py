"""A visit's page and its photos: audited reads, private photos, scope and refusals; the
child's timeline links to the page."""

from __future__ import annotations

import io
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from PIL import Image

from carecircle.accounts.models import User
from carecircle.audit.models import AuditEvent
from carecircle.people.models import Minor
from carecircle.people.timeline import timeline_for
from carecircle.testing.fixtures import make_user
from carecircle.visits.models import Visit, VisitPhoto
from carecircle.visits.photos import photo_add
from carecircle.visits.services import MinorSeen, VisitInput, visit_record
from carecircle.visits.tests.factories import NOT_READERS, READERS, HouseholdFactory, MinorFactory

pytestmark = pytest.mark.django_db
ClientFor = Callable[[User], Client]


@pytest.fixture(autouse=True)
def _english(english: None, settings: Any, tmp_path: Path) -> None:
    settings.CARECIRCLE_VISIT_PHOTO_DIR = str(tmp_path / "photos")


@pytest.fixture
def recorded(district: Any, personas: dict[str, User]) -> dict[str, Any]:
    home = HouseholdFactory.create()
    elder = MinorFactory.create(name="赵大", household=home, older=True)
    young = MinorFactory.create(name="赵小", household=home, young=True)
    director = personas["child_director"]
    visit, _created = visit_record(
        actor=director,
        data=VisitInput(
            kind="home",
            occurred_at=timezone.now() - timedelta(hours=2),
            minors=(MinorSeen(elder.pk), MinorSeen(young.pk, ("under_8_unattended", "missing"))),
            visitor_ids=(personas["child_supervisor"].pk,),
            other_visitors="村医",
            observations={"living_conditions": "concern", "guardian_present": "ok"},
            notes="屋顶漏水。",
            follow_up_needed=True,
        ),
        idempotency_key="detail-key-0001",
    )
    image = io.BytesIO()
    Image.new("RGB", (30, 20), "green").save(image, format="JPEG")
    image.seek(0)
    photo = photo_add(actor=director, visit=visit, upload=image)
    return {"visit": visit, "photo": photo, "elder": elder, "young": young}


def test_it_sends_anonymous_visitors_to_the_login(recorded: dict[str, Any]) -> None:
    for url in (
        reverse("visits:visit-detail", args=[recorded["visit"].pk]),
        reverse("visits:photo", args=[recorded["photo"].pk]),
    ):
        response = Client().get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("accounts:login"))


@pytest.mark.parametrize("role", NOT_READERS)
def test_roles_that_read_no_visits_are_refused(
    personas: dict[str, User], client_for: ClientFor, recorded: dict[str, Any], role: str
) -> None:
    client = client_for(personas[role])
    assert (
        client.get(reverse("visits:visit-detail", args=[recorded["visit"].pk])).status_code == 403
    )
    assert client.get(reverse("visits:photo", args=[recorded["photo"].pk])).status_code == 403


@pytest.mark.parametrize("role", ["child_director", "child_supervisor", "district_admin"])
def test_the_other_side_finds_nothing(
    other_personas: dict[str, User], client_for: ClientFor, recorded: dict[str, Any], role: str
) -> None:
    client = client_for(other_personas[role])
    assert (
        client.get(reverse("visits:visit-detail", args=[recorded["visit"].pk])).status_code == 404
    )
    assert client.get(reverse("visits:photo", args=[recorded["photo"].pk])).status_code == 404
    assert client.get(reverse("visits:visit-detail", args=[2**63])).status_code == 404
    assert AuditEvent.objects.filter(action=AuditEvent.Action.DENIED).count() >= 2
    assert not AuditEvent.objects.filter(action=AuditEvent.Action.VIEW).exists()


def test_wrong_methods_are_refused(
    personas: dict[str, User], client_for: ClientFor, recorded: dict[str, Any]
) -> None:
    client = client_for(personas["child_director"])
    assert (
        client.post(reverse("visits:visit-detail", args=[recorded["visit"].pk])).status_code == 405
    )
    assert client.post(reverse("visits:photo", args=[recorded["photo"].pk])).status_code == 405


@pytest.mark.parametrize("role", READERS)
def test_readers_in_scope_see_the_whole_visit_and_the_read_is_audited(
    personas: dict[str, User], client_for: ClientFor, recorded: dict[str, Any], role: str
) -> None:
    visit = recorded["visit"]
    response = client_for(personas[role]).get(reverse("visits:visit-detail", args=[visit.pk]))
    assert response.status_code == 200
    html = response.content.decode()
    for text in (
        "Home visit",
        "赵大",
        "赵小",
        "屋顶漏水。",
        "村医",
        "Child under 8 left unattended",
    ):
        assert text in html, text
    assert "Child missing" in html
    assert "Living conditions" in html and "Concern" in html
    assert reverse("visits:photo", args=[recorded["photo"].pk]) in html
    # The tasks the visit opened: the supervisor's follow-up, the director's police report.
    assert "Follow-up" in html and "Report to the police" in html
    views = AuditEvent.objects.filter(action=AuditEvent.Action.VIEW, object_type="visits.visit")
    assert set(views.values_list("minor_id", flat=True)) == {
        recorded["elder"].pk,
        recorded["young"].pk,
    }


def test_the_task_buttons_show_for_whoever_closes_the_task(
    personas: dict[str, User], client_for: ClientFor, recorded: dict[str, Any]
) -> None:
    visit = recorded["visit"]
    url = reverse("visits:visit-detail", args=[visit.pk])
    police, follow_up = (
        visit.tasks.get(kind="report_police"),
        visit.tasks.get(kind="follow_up"),
    )
    director = client_for(personas["child_director"]).get(url).content.decode()
    assert reverse("visits:task-complete", args=[police.pk]) in director
    assert reverse("visits:task-complete", args=[follow_up.pk]) not in director
    supervisor = client_for(personas["child_supervisor"]).get(url).content.decode()
    assert reverse("visits:task-complete", args=[follow_up.pk]) in supervisor
    assert reverse("visits:task-complete", args=[police.pk]) not in supervisor


def test_a_photo_is_served_privately_and_its_read_is_audited(
    personas: dict[str, User], client_for: ClientFor, recorded: dict[str, Any]
) -> None:
    photo: VisitPhoto = recorded["photo"]
    response = client_for(personas["child_supervisor"]).get(
        reverse("visits:photo", args=[photo.pk])
    )
    assert response.status_code == 200
    assert response["Content-Type"] == "image/jpeg"
    # The view asks for "private, no-store"; NoStoreMiddleware makes every signed-in
    # answer "no-store", which is stricter still.
    assert "no-store" in response["Cache-Control"]
    assert response["X-Content-Type-Options"] == "nosniff"
    with Image.open(io.BytesIO(response.content)) as image:
        assert image.size == (30, 20)
    reads = AuditEvent.objects.filter(action=AuditEvent.Action.VIEW, object_type="visits.photo")
    assert reads.count() == 2  # one per child seen
    assert (
        client_for(personas["child_director"])
        .get(reverse("visits:photo", args=[photo.pk + 1000]))
        .status_code
        == 404
    )


def test_a_user_without_any_role_is_refused(
    client_for: ClientFor, recorded: dict[str, Any]
) -> None:
    client = client_for(make_user("nobody"))
    assert (
        client.get(reverse("visits:visit-detail", args=[recorded["visit"].pk])).status_code == 403
    )


def test_the_childs_timeline_links_to_the_visit_page(
    personas: dict[str, User], client_for: ClientFor, recorded: dict[str, Any]
) -> None:
    visit: Visit = recorded["visit"]
    young: Minor = recorded["young"]
    url = reverse("visits:visit-detail", args=[visit.pk])
    [entry] = [
        e
        for e in timeline_for(personas["child_director"], young).entries
        if e.source == "visits.visits"
    ]
    assert entry.url == url
    page = client_for(personas["child_director"]).get(
        reverse("people:minor-detail", args=[young.pk])
    )
    assert f'href="{url}"' in page.content.decode()
