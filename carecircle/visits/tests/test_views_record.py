"""The record page: a household's children together, the checklist and flags, photos,
double submits and conflicts, bad input, and every refusal."""

from __future__ import annotations

import io
import re
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
from carecircle.accounts.tests.helpers import zh
from carecircle.audit.models import AuditEvent
from carecircle.people.models import Minor
from carecircle.testing.fixtures import AREA_B, make_user
from carecircle.visits.forms import VisitForm
from carecircle.visits.models import OBSERVATIONS, Visit, VisitPhoto, VisitTask
from carecircle.visits.serializers import VisitCreateSerializer
from carecircle.visits.tests.factories import HouseholdFactory, MinorFactory

pytestmark = pytest.mark.django_db
ClientFor = Callable[[User], Client]
URL = "visits:visit-create"
KEY = "0f8e2d6c4b1a49e3a5c7d9e1f3a5b7c9"
RECORDERS = ("child_director", "child_supervisor", "social_worker", "center_staff")
NOT_RECORDERS = (
    "counselor",
    "school_psych_teacher",
    "school_admin",
    "volunteer",
    "analyst",
    "auditor",
    "sysadmin",
    "lawyer",
)


@pytest.fixture(autouse=True)
def _english(english: None, settings: Any, tmp_path: Path) -> None:
    """Messages compared with their msgids; photos kept in a throwaway folder."""
    settings.CARECIRCLE_VISIT_PHOTO_DIR = str(tmp_path / "photos")


@pytest.fixture
def kids(district: Any) -> dict[str, Minor]:
    home = HouseholdFactory.create()
    return {
        "elder": MinorFactory.create(name="张大", household=home),
        "young": MinorFactory.create(name="张小", household=home, young=True),
        "alone": MinorFactory.create(name="王一"),
        "b": MinorFactory.create(name="李乙", area_code=AREA_B),
    }


def when(hours: int = 2) -> str:
    return (timezone.localtime() - timedelta(hours=hours)).strftime("%Y-%m-%dT%H:%M")


def form_body(*minors: Minor, **fields: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "kind": "home",
        "occurred_at": when(),
        "minors": [m.pk for m in minors],
        "offered": [m.pk for m in minors],
        **{name: "not_checked" for name in OBSERVATIONS},
        "guardian_present": "ok",
        "unmet_needs": "concern",
        "notes": "需要学习用品。",
        "idempotency_key": KEY,
    }
    data.update(fields)
    return data


def jpeg(size: tuple[int, int] = (40, 30)) -> io.BytesIO:
    out = io.BytesIO()
    Image.new("RGB", size, "blue").save(out, format="JPEG")
    out.seek(0)
    out.name = "photo.jpg"
    return out


# --- Refusals ---------------------------------------------------------------------------


def test_it_sends_anonymous_visitors_to_the_login(kids: dict[str, Minor]) -> None:
    for name in (URL, "visits:visit-children"):
        for method in ("get", "post"):
            response = getattr(Client(), method)(reverse(name))
            if name == "visits:visit-children" and method == "post":
                assert response.status_code in (302, 405)
                continue
            assert response.status_code == 302, (name, method)
            assert response["Location"].startswith(reverse("accounts:login"))
    assert not Visit.objects.exists()


@pytest.mark.parametrize("role", NOT_RECORDERS)
def test_roles_that_record_no_visits_are_refused(
    personas: dict[str, User], client_for: ClientFor, kids: dict[str, Minor], role: str
) -> None:
    client = client_for(personas[role])
    assert client.get(reverse(URL)).status_code == 403
    assert (
        client.get(reverse("visits:visit-children"), {"minor": kids["elder"].pk}).status_code == 403
    )
    assert client.post(reverse(URL), form_body(kids["elder"])).status_code == 403
    assert not Visit.objects.exists()


def test_a_user_without_any_role_is_refused(client_for: ClientFor, district: Any) -> None:
    assert client_for(make_user("nobody")).get(reverse(URL)).status_code == 403


def test_wrong_methods_are_refused(personas: dict[str, User], client_for: ClientFor) -> None:
    client = client_for(personas["child_director"])
    assert client.put(reverse(URL)).status_code == 405
    assert client.post(reverse("visits:visit-children")).status_code == 405


# --- The form ---------------------------------------------------------------------------


def test_the_form_is_named_like_the_api_body(
    personas: dict[str, User], client_for: ClientFor, kids: dict[str, Minor]
) -> None:
    response = client_for(personas["child_director"]).get(reverse(URL), {"minor": kids["elder"].pk})
    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="visit-form"' in html
    assert f'data-api-url="{reverse("api:visit-list")}"' in html
    assert 'name="csrfmiddlewaretoken"' in html
    form: VisitForm = response.context["form"]
    api = set(VisitCreateSerializer().fields) - {"observations"}
    names = set(form.fields)
    flags = {n for n in names if n.startswith("flags_")}
    assert api <= names
    assert names - api - flags == {*OBSERVATIONS, "photos"}
    assert flags == {f"flags_{kids['elder'].pk}", f"flags_{kids['young'].pk}"}
    key = form.initial["idempotency_key"]
    assert re.fullmatch(r"[0-9a-f]{32}", key) and f'value="{key}"' in html
    # A new form, a new key.
    again = client_for(personas["child_director"]).get(reverse(URL))
    assert again.context["form"].initial["idempotency_key"] != key


def test_picking_a_child_offers_the_whole_household_with_flags_for_each_age(
    personas: dict[str, User], client_for: ClientFor, kids: dict[str, Minor]
) -> None:
    response = client_for(personas["child_director"]).get(reverse(URL), {"minor": kids["elder"].pk})
    form = response.context["form"]
    children = form.children()
    assert [(m.name, ticked) for m, _age, ticked, _f in children] == [
        ("张大", True),
        ("张小", False),
    ]
    elder_flags = {v for v, _l in form.fields[f"flags_{kids['elder'].pk}"].choices}
    young_flags = {v for v, _l in form.fields[f"flags_{kids['young'].pk}"].choices}
    assert "under_8_unattended" in young_flags and "under_8_unattended" not in elder_flags
    html = response.content.decode()
    assert html.count('name="minors"') == 2
    assert "王一" not in html.split('id="visit-children"')[1].split("</fieldset>")[0]


def test_the_search_finds_children_in_scope_only(
    personas: dict[str, User], client_for: ClientFor, kids: dict[str, Minor]
) -> None:
    client = client_for(personas["child_director"])
    page = client.get(reverse(URL), {"q": "王"})
    assert [m.name for m in page.context["choices"]] == ["王一"]
    assert not client.get(reverse(URL), {"q": "李"}).context["choices"]
    fragment = client.get(reverse(URL), {"q": "王"}, HTTP_HX_REQUEST="true")
    assert fragment.content.decode().lstrip().startswith('<div id="pick-results">')
    # Without a search, the children due first (a village's director).
    suggested = client.get(reverse(URL)).context["choices"]
    assert {m.name for m in suggested} <= {"张大", "张小", "王一"}


def test_the_children_fragment_adds_a_pick_and_keeps_ticks_and_flags(
    personas: dict[str, User], client_for: ClientFor, kids: dict[str, Minor]
) -> None:
    client = client_for(personas["child_director"])
    elder, young, alone = kids["elder"], kids["young"], kids["alone"]
    url = reverse("visits:visit-children")
    query: dict[str, Any] = {
        "minor": alone.pk,
        "offered": [elder.pk, young.pk],
        "minors": [young.pk],
        f"flags_{young.pk}": ["under_8_unattended"],
    }
    fragment = client.get(url, query, HTTP_HX_REQUEST="true")
    assert fragment.status_code == 200
    children = fragment.context["form"].children()
    assert [(m.name, ticked) for m, _a, ticked, _f in children] == [
        ("张大", False),
        ("张小", True),
        ("王一", True),
    ]
    assert fragment.context["form"].children()[1][3].value() == ["under_8_unattended"]
    # Without htmx: the record page with the children ticked so far.
    plain = client.get(url, query)
    assert plain.status_code == 302
    assert plain["Location"] == f"{reverse(URL)}?minor={young.pk}&minor={alone.pk}"
    # A child out of scope is never offered.
    outside = client.get(url, {"minor": kids["b"].pk}, HTTP_HX_REQUEST="true")
    assert outside.context["form"].children() == []


def test_pages_render_in_chinese_by_default(
    personas: dict[str, User], client_for: ClientFor, kids: dict[str, Minor], settings: Any
) -> None:
    settings.LANGUAGE_CODE = "zh-hans"
    page = client_for(personas["child_director"]).get(reverse(URL))
    assert page.status_code == 200
    assert zh("Record the visit") in page.content.decode()
    assert 'lang="zh-hans"' in page.content.decode()


# --- Recording --------------------------------------------------------------------------


def test_a_director_records_a_household_visit_with_flags_and_a_follow_up(
    personas: dict[str, User], client_for: ClientFor, kids: dict[str, Minor]
) -> None:
    director = personas["child_director"]
    elder, young = kids["elder"], kids["young"]
    body = form_body(
        elder,
        young,
        visitors=[personas["child_supervisor"].pk],
        other_visitors="村医",
        follow_up_needed="on",
        **{f"flags_{young.pk}": ["under_8_unattended"]},
    )
    client = client_for(director)
    response = client.post(reverse(URL), body)
    visit = Visit.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("visits:visit-detail", args=[visit.pk])
    assert visit.recorded_by == director and visit.idempotency_key == KEY
    assert sorted(visit.seen.values_list("minor__name", flat=True)) == ["张大", "张小"]
    assert visit.seen.get(minor=young).risk_flags == ["under_8_unattended"]
    assert list(visit.visitors.all()) == [personas["child_supervisor"]]
    assert (visit.guardian_present, visit.unmet_needs, visit.notes) == (
        "ok",
        "concern",
        body["notes"],
    )
    assert visit.follow_up_needed and not visit.refer_to_centre
    assert visit.tasks.get().kind == VisitTask.Kind.FOLLOW_UP
    page = client.get(response["Location"])
    assert "The visit is recorded." in page.content.decode()
    assert "The child supervisor was asked to follow up." in page.content.decode()


def test_a_reportable_flag_opens_the_police_task_and_says_so(
    personas: dict[str, User], client_for: ClientFor, kids: dict[str, Minor]
) -> None:
    alone = kids["alone"]
    body = form_body(alone, **{f"flags_{alone.pk}": ["under_16_alone"]})
    response = client_for(personas["child_director"]).post(reverse(URL), body, follow=True)
    assert VisitTask.objects.get().kind == VisitTask.Kind.REPORT_POLICE
    assert "Report this to the police now" in response.content.decode()


def test_a_double_submit_returns_the_first_visit_and_adds_nothing(
    personas: dict[str, User], client_for: ClientFor, kids: dict[str, Minor]
) -> None:
    client = client_for(personas["child_director"])
    body = form_body(kids["alone"], follow_up_needed="on")
    first = client.post(reverse(URL), body)
    second = client.post(reverse(URL), {**body, "photos": [jpeg()]})
    visit = Visit.objects.get()
    assert (
        first["Location"] == second["Location"] == reverse("visits:visit-detail", args=[visit.pk])
    )
    assert VisitTask.objects.count() == 1 and not VisitPhoto.objects.exists()
    page = client.get(second["Location"])
    assert "This visit was already recorded. Nothing was added." in page.content.decode()


def test_the_same_key_with_other_details_is_a_conflict_with_a_link(
    personas: dict[str, User], client_for: ClientFor, kids: dict[str, Minor]
) -> None:
    client = client_for(personas["child_director"])
    client.post(reverse(URL), form_body(kids["alone"]))
    visit = Visit.objects.get()
    response = client.post(reverse(URL), form_body(kids["alone"], notes="别的内容"))
    assert response.status_code == 409
    html = response.content.decode()
    assert "This visit was already sent with different details." in html
    assert reverse("visits:visit-detail", args=[visit.pk]) in html
    assert Visit.objects.get().notes == "需要学习用品。"
    # The form comes back with the details and a new key: sending again records them anew.
    form = response.context["form"]
    assert form["notes"].value() == "别的内容"
    assert form["idempotency_key"].value() != KEY
    again = client.post(
        reverse(URL),
        {
            **form_body(kids["alone"], notes="别的内容"),
            "idempotency_key": form["idempotency_key"].value(),
        },
    )
    assert again.status_code == 302 and Visit.objects.count() == 2


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        (
            {"occurred_at": (timezone.localtime() + timedelta(days=1)).strftime("%Y-%m-%dT%H:%M")},
            "occurred_at",
            "The visit cannot be in the future.",
        ),
        ({"occurred_at": "yesterday"}, "occurred_at", "Enter a valid date/time."),
        ({"minors": []}, "minors", "Tick at least one child seen on the visit."),
        ({"kind": "party"}, "kind", "Select a valid choice."),
        ({"unmet_needs": "maybe"}, "unmet_needs", "Select a valid choice."),
        ({"idempotency_key": ""}, "idempotency_key", "This form has expired."),
        ({"other_visitors": "x" * 201}, "other_visitors", "at most 200 characters"),
    ],
)
def test_bad_input_is_answered_field_by_field_and_nothing_is_saved(
    personas: dict[str, User],
    client_for: ClientFor,
    kids: dict[str, Minor],
    change: dict[str, Any],
    field: str,
    message: str,
) -> None:
    response = client_for(personas["child_director"]).post(
        reverse(URL), form_body(kids["alone"], **change)
    )
    assert response.status_code == 400
    errors = " ".join(response.context["form"].errors.get(field, []))
    assert message in errors
    assert message.split("%")[0] in response.content.decode().replace("&#x27;", "'")
    assert not Visit.objects.exists()
    if field == "idempotency_key":  # the form comes back with a key to send it with
        assert len(response.context["form"]["idempotency_key"].value()) == 32


def test_a_child_out_of_scope_gets_the_services_message(
    personas: dict[str, User], client_for: ClientFor, kids: dict[str, Minor]
) -> None:
    b = kids["b"]
    response = client_for(personas["child_director"]).post(reverse(URL), form_body(b, offered=[]))
    assert response.status_code == 400
    assert f"Child {b.pk} is not in your area or does not exist." in response.content.decode()
    huge = client_for(personas["child_director"]).post(
        reverse(URL), form_body(kids["alone"], minors=[str(2**70)])
    )
    assert huge.status_code == 400
    assert not Visit.objects.exists()


def test_a_flag_for_another_age_and_a_household_mix_are_refused(
    personas: dict[str, User], client_for: ClientFor, kids: dict[str, Minor]
) -> None:
    client = client_for(personas["child_director"])
    elder = kids["elder"]
    wrong = client.post(
        reverse(URL), form_body(elder, **{f"flags_{elder.pk}": ["under_8_unattended"]})
    )
    assert wrong.status_code == 400
    assert "applies only to children under 8" in wrong.content.decode()
    mixed = client.post(reverse(URL), form_body(elder, kids["alone"]))
    assert mixed.status_code == 400
    assert "A home visit is to one household" in mixed.content.decode()
    assert not Visit.objects.exists()


def test_checklist_items_left_out_are_not_checked(
    personas: dict[str, User], client_for: ClientFor, kids: dict[str, Minor]
) -> None:
    body = {
        "kind": "phone",
        "occurred_at": when(),
        "minors": [kids["alone"].pk],
        "idempotency_key": KEY,
    }
    assert client_for(personas["child_director"]).post(reverse(URL), body).status_code == 302
    visit = Visit.objects.get()
    assert {getattr(visit, name) for name in OBSERVATIONS} == {"not_checked"}


def test_a_talk_may_see_children_of_two_households(
    personas: dict[str, User], client_for: ClientFor, kids: dict[str, Minor]
) -> None:
    response = client_for(personas["child_director"]).post(
        reverse(URL), form_body(kids["elder"], kids["alone"], kind="talk")
    )
    assert response.status_code == 302
    assert Visit.objects.get().seen.count() == 2


@pytest.mark.parametrize("role", RECORDERS)
def test_every_recorder_records_in_their_own_scope(
    personas: dict[str, User], client_for: ClientFor, kids: dict[str, Minor], role: str
) -> None:
    response = client_for(personas[role]).post(reverse(URL), form_body(kids["alone"]))
    assert response.status_code == 302
    assert Visit.objects.get().recorded_by == personas[role]


def test_the_other_villages_director_cannot_record_our_children(
    other_personas: dict[str, User], client_for: ClientFor, kids: dict[str, Minor]
) -> None:
    response = client_for(other_personas["child_director"]).post(
        reverse(URL), form_body(kids["alone"])
    )
    assert response.status_code == 400
    assert not Visit.objects.exists()


def test_colleagues_offered_are_recorders_of_the_same_area(
    personas: dict[str, User],
    other_personas: dict[str, User],
    client_for: ClientFor,
    kids: dict[str, Minor],
) -> None:
    form = client_for(personas["child_director"]).get(reverse(URL)).context["form"]
    offered = set(form.fields["visitors"].queryset)
    assert personas["child_supervisor"] in offered
    assert personas["district_admin"] in offered
    assert personas["child_director"] not in offered  # the recorder is implied
    assert other_personas["child_director"] not in offered  # another village
    assert personas["counselor"] not in offered  # reads visits, records none
    stranger = make_user("stranger")
    response = client_for(personas["child_director"]).post(
        reverse(URL), form_body(kids["alone"], visitors=[stranger.pk])
    )
    assert response.status_code == 400
    assert not Visit.objects.exists()


# --- Photos -----------------------------------------------------------------------------


def test_photos_are_kept_with_the_visit(
    personas: dict[str, User], client_for: ClientFor, kids: dict[str, Minor]
) -> None:
    body = {**form_body(kids["alone"]), "photos": [jpeg(), jpeg((20, 20))]}
    response = client_for(personas["child_director"]).post(reverse(URL), body)
    assert response.status_code == 302
    visit = Visit.objects.get()
    assert visit.photos.count() == 2
    assert AuditEvent.objects.filter(object_type="visits.photo").count() == 2


@pytest.mark.parametrize(
    ("upload", "message"),
    [
        (lambda: _named(io.BytesIO(b"not an image at all"), "x.jpg"), "This file is not a photo"),
        (lambda: _named(io.BytesIO(b""), "empty.jpg"), "The submitted file is empty."),
        (lambda: jpeg((400, 400)), "The photo is larger than"),
    ],
)
def test_a_refused_photo_leaves_no_visit_and_no_file(
    personas: dict[str, User],
    client_for: ClientFor,
    kids: dict[str, Minor],
    settings: Any,
    tmp_path: Path,
    upload: Callable[[], io.BytesIO],
    message: str,
) -> None:
    settings.CARECIRCLE_VISIT_PHOTO_MAX_BYTES = 600  # the 400×400 JPEG is larger
    body = {**form_body(kids["alone"]), "photos": [jpeg((10, 10)), upload()]}
    response = client_for(personas["child_director"]).post(reverse(URL), body)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert "choose them again" in response.content.decode()
    assert not Visit.objects.exists() and not VisitPhoto.objects.exists()
    folder = tmp_path / "photos"
    assert not folder.exists() or not any(p.is_file() for p in folder.rglob("*"))


def test_too_many_photos_are_refused(
    personas: dict[str, User], client_for: ClientFor, kids: dict[str, Minor], settings: Any
) -> None:
    settings.CARECIRCLE_VISIT_PHOTO_MAX_PER_VISIT = 2
    body = {**form_body(kids["alone"]), "photos": [jpeg(), jpeg(), jpeg()]}
    response = client_for(personas["child_director"]).post(reverse(URL), body)
    assert response.status_code == 400
    assert "A visit keeps at most 2 photos." in response.content.decode()
    assert not Visit.objects.exists()


def _named(data: io.BytesIO, name: str) -> io.BytesIO:
    data.name = name
    return data
