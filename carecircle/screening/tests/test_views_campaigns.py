"""The campaign pages: refusals, the list, a new campaign, issuing codes, live progress,
closing early."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from carecircle.accounts.models import User
from carecircle.accounts.tests.helpers import zh
from carecircle.audit.models import AuditEvent
from carecircle.people.models import Minor, SchoolClass
from carecircle.screening.models import Campaign, Participant
from carecircle.screening.services import campaign_create, participants_issue
from carecircle.testing.fixtures import AREA_A, _create_minor, make_user

pytestmark = pytest.mark.django_db
ClientFor = Callable[[User], Client]
RUNNERS = ("school_psych_teacher", "center_staff", "counselor")
# Everyone else: the school's administrator (class teachers hold no role at all) too.
NOT_RUNNERS = (
    "school_admin",
    "district_admin",
    "social_worker",
    "child_director",
    "child_supervisor",
    "volunteer",
    "analyst",
    "auditor",
    "sysadmin",
)


def pupil(name: str, age: int, school_class: SchoolClass) -> Minor:
    """A pupil who is ``age`` all through the current year's screening (born 1 January)."""
    born = date(timezone.localdate().year - age, 1, 1)
    return _create_minor(
        name=name,
        sex="F",
        birth_date=born,
        area_code=AREA_A,
        school=school_class.school,
        school_class=school_class,
    )


def open_campaign(actor: User, school: Any, **extra: Any) -> Campaign:
    """A campaign open from an hour ago for a week, PHQ-A from 12, SCARED from 8."""
    now = timezone.now()
    fields: dict[str, Any] = {
        "actor": actor,
        "school": school,
        "name": "2026年秋季心理健康筛查",
        "opens_at": now - timedelta(hours=1),
        "closes_at": now + timedelta(days=7),
        "basis": Campaign.Basis.GUARDIAN_CONSENT,
        "instruments": [("PHQA", 12, 18), ("SCARED", 8, 11)],
    }
    fields.update(extra)
    return campaign_create(**fields)


@pytest.fixture
def school(district: dict[str, Any]) -> Any:
    return district["orgs"]["school_A"]


@pytest.fixture
def classes(school: Any) -> dict[str, SchoolClass]:
    return {
        "g8": SchoolClass.objects.create(school=school, grade=8, name="2班"),
        "g4": SchoolClass.objects.create(school=school, grade=4, name="1班"),
    }


@pytest.fixture
def pupils(classes: dict[str, SchoolClass]) -> dict[str, Minor]:
    return {
        "older": pupil("王大", 15, classes["g8"]),
        "younger": pupil("王小", 13, classes["g8"]),
        "child": pupil("李幼", 9, classes["g4"]),
        "toddler": pupil("李小", 5, classes["g4"]),  # no instrument for the age
    }


@pytest.fixture
def campaign(personas: dict[str, User], school: Any) -> Campaign:
    return open_campaign(personas["school_psych_teacher"], school)


def urls(campaign: Campaign, class_pk: int = 0) -> dict[str, tuple[str, str]]:
    """Every page of the app: name -> (method, URL)."""
    pk = campaign.pk
    participant = campaign.participants.first()
    return {
        "list": ("get", reverse("screening:campaign-list")),
        "create": ("get", reverse("screening:campaign-create")),
        "scope": ("get", reverse("screening:campaign-scope")),
        "detail": ("get", reverse("screening:campaign-detail", args=[pk])),
        "progress": ("get", reverse("screening:campaign-progress", args=[pk])),
        "issue": ("post", reverse("screening:campaign-issue", args=[pk])),
        "close": ("post", reverse("screening:campaign-close", args=[pk])),
        "class": ("get", reverse("screening:class-detail", args=[pk, class_pk])),
        "sheet": ("get", reverse("screening:class-sheet", args=[pk, class_pk])),
        "class-consent": ("post", reverse("screening:class-consent", args=[pk, class_pk])),
        "consent": (
            "post",
            reverse("screening:participant-consent", args=[participant.pk if participant else 1]),
        ),
    }


# --- Refusals --------------------------------------------------------------------------


def test_it_sends_anonymous_visitors_to_the_login(campaign: Campaign) -> None:
    for name, (method, url) in urls(campaign).items():
        response = getattr(Client(), method)(url)
        assert response.status_code == 302, name
        assert response["Location"].startswith(reverse("accounts:login")), name


@pytest.mark.parametrize("role", NOT_RUNNERS)
def test_it_refuses_everyone_who_does_not_run_campaigns(
    personas: dict[str, User],
    client_for: ClientFor,
    campaign: Campaign,
    pupils: dict[str, Minor],
    role: str,
) -> None:
    participants_issue(actor=personas["school_psych_teacher"], campaign=campaign)
    client = client_for(personas[role])
    g8 = pupils["older"].school_class_id
    assert g8 is not None
    for name, (method, url) in urls(campaign, g8).items():
        response = getattr(client, method)(url, {"on": str(timezone.localdate())})
        assert response.status_code == 403, name
    assert Campaign.objects.get().status == Campaign.Status.OPEN
    assert not Participant.objects.exclude(consent__in=["pending", "not_needed"]).exists()


def test_a_user_without_any_role_is_refused_too(
    client_for: ClientFor, campaign: Campaign, district: dict[str, Any]
) -> None:
    client = client_for(make_user("class_teacher"))
    for name, (method, url) in urls(campaign).items():
        assert getattr(client, method)(url).status_code == 403, name


@pytest.mark.parametrize("role", ["school_psych_teacher", "center_staff", "counselor"])
def test_another_schools_teacher_or_another_countys_centre_finds_nothing(
    other_personas: dict[str, User],
    client_for: ClientFor,
    campaign: Campaign,
    personas: dict[str, User],
    pupils: dict[str, Minor],
    role: str,
) -> None:
    participants_issue(actor=personas["school_psych_teacher"], campaign=campaign)
    client = client_for(other_personas[role])
    g8 = pupils["older"].school_class_id
    assert g8 is not None
    for name, (method, url) in urls(campaign, g8).items():
        if name in ("list", "create", "scope"):
            continue
        response = getattr(client, method)(url, {"on": str(timezone.localdate())})
        assert response.status_code == 404, name
    assert Campaign.objects.get().status == Campaign.Status.OPEN
    assert not Participant.objects.filter(consent="given").exists()
    assert not client.get(reverse("screening:campaign-list")).context["page"].object_list


def test_wrong_methods_are_refused(
    personas: dict[str, User], client_for: ClientFor, campaign: Campaign
) -> None:
    client = client_for(personas["school_psych_teacher"])
    for name, (method, url) in urls(campaign).items():
        if name == "create":  # GET and POST
            continue
        wrong = "get" if method == "post" else "post"
        assert getattr(client, wrong)(url).status_code == 405, name
    assert client.put(reverse("screening:campaign-create")).status_code == 405
    assert Campaign.objects.get().status == Campaign.Status.OPEN


# --- The list --------------------------------------------------------------------------


def test_it_lists_the_visible_campaigns_newest_first_with_their_progress(
    personas: dict[str, User],
    client_for: ClientFor,
    district: dict[str, Any],
    school: Any,
    pupils: dict[str, Minor],
) -> None:
    teacher = personas["school_psych_teacher"]
    now = timezone.now()
    older = open_campaign(
        teacher,
        school,
        name="春季",
        opens_at=now - timedelta(days=200),
        closes_at=now - timedelta(days=190),
    )
    newer = open_campaign(teacher, school, name="秋季")
    participants_issue(actor=teacher, campaign=newer)
    newer.participants.filter(minor=pupils["older"]).update(status=Participant.Status.SUBMITTED)
    elsewhere = open_campaign(personas["center_staff"], district["orgs"]["school_B"], name="乙校")

    page = client_for(teacher).get(reverse("screening:campaign-list"))
    assert page.status_code == 200
    assert list(page.context["page"]) == [newer, older]
    listed = page.context["page"][0]
    assert (listed.pupils, listed.answered, listed.pending) == (3, 1, 2)
    assert page.context["states"][older.pk][0] == "closed"
    assert page.context["states"][newer.pk][0] == "open"
    assert zh("New campaign") in page.content.decode()

    centre = client_for(personas["center_staff"]).get(reverse("screening:campaign-list"))
    assert {c.pk for c in centre.context["page"]} == {newer.pk, older.pk, elsewhere.pk}


# --- A new campaign --------------------------------------------------------------------


def good_form(school: Any, **overrides: Any) -> dict[str, Any]:
    opens = timezone.localtime() + timedelta(days=1)
    data = {
        "name": "2027年春季心理健康筛查",
        "school": school.pk,
        "opens_at": opens.strftime("%Y-%m-%dT%H:%M"),
        "closes_at": (opens + timedelta(days=7)).strftime("%Y-%m-%dT%H:%M"),
        "basis": "guardian_consent",
        "statutory_basis": "",
        "notice_sent_on": str(timezone.localdate()),
        "instruments-TOTAL_FORMS": "4",
        "instruments-INITIAL_FORMS": "0",
        "instruments-0-code": "PHQA",
        "instruments-0-min_age": "12",
        "instruments-0-max_age": "18",
        "instruments-1-code": "SCARED",
        "instruments-1-min_age": "8",
        "instruments-1-max_age": "11",
        "instruments-2-code": "",
        "instruments-2-min_age": "3",  # a row left on "—" is not used, whatever its ages
        "instruments-2-max_age": "",
        "instruments-3-code": "",
    }
    data.update(overrides)
    return data


def test_the_form_offers_only_the_users_schools_and_a_default_set_of_instruments(
    personas: dict[str, User],
    other_personas: dict[str, User],
    client_for: ClientFor,
    district: dict[str, Any],
    classes: dict[str, SchoolClass],
) -> None:
    page = client_for(personas["school_psych_teacher"]).get(reverse("screening:campaign-create"))
    assert page.status_code == 200
    form = page.context["form"]
    assert list(form.fields["school"].queryset) == [district["orgs"]["school_A"]]
    # The only school is chosen: its classes and grades are offered at once.
    assert set(form.fields["classes"].queryset) == set(classes.values())
    assert [g for g, _label in form.fields["grades"].choices] == [4, 8]
    rows = [
        (f.initial["code"], f.initial["min_age"], f.initial["max_age"])
        for f in page.context["rows"].initial_forms
    ]
    assert rows == [
        ("PHQA", 12, 18),
        ("GAD7", 12, 18),
        ("ASQ", 10, 18),
        ("PSC17Y", 11, 11),
        ("SCARED", 8, 11),
    ]
    codes = {code for code, _label in page.context["rows"].forms[0].fields["code"].choices}
    assert {"PHQA", "ASQ", "SCARED", "PSC17Y"} <= codes
    assert not {"PSC17", "SCAREDP"} & codes  # parent forms: not answered with a pupil's code
    centre = client_for(personas["center_staff"]).get(reverse("screening:campaign-create"))
    assert set(centre.context["form"].fields["school"].queryset) == {
        district["orgs"]["school_A"],
        district["orgs"]["school_B"],
    }
    other = client_for(other_personas["center_staff"]).get(reverse("screening:campaign-create"))
    assert list(other.context["form"].fields["school"].queryset) == []


def test_choosing_a_school_loads_its_classes(
    personas: dict[str, User],
    client_for: ClientFor,
    district: dict[str, Any],
    classes: dict[str, SchoolClass],
) -> None:
    client = client_for(personas["center_staff"])
    url = reverse("screening:campaign-scope")
    page = client.get(url, {"school": district["orgs"]["school_A"].pk}, HTTP_HX_REQUEST="true")
    assert page.status_code == 200
    assert f'value="{classes["g8"].pk}"' in page.content.decode()
    other = SchoolClass.objects.create(school=district["orgs"]["school_B"], grade=7, name="9班")
    teacher = client_for(personas["school_psych_teacher"])
    # The teacher of school A cannot list school B's classes.
    refused = teacher.get(url, {"school": district["orgs"]["school_B"].pk})
    assert refused.status_code == 200
    assert f'value="{other.pk}"' not in refused.content.decode()


def test_it_creates_a_campaign_from_good_input(
    personas: dict[str, User],
    client_for: ClientFor,
    school: Any,
    classes: dict[str, SchoolClass],
) -> None:
    data = good_form(school, grades=["8"], classes=[classes["g8"].pk])
    response = client_for(personas["school_psych_teacher"]).post(
        reverse("screening:campaign-create"), data
    )
    campaign = Campaign.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("screening:campaign-detail", args=[campaign.pk])
    assert (campaign.name, campaign.school, campaign.grades) == (
        "2027年春季心理健康筛查",
        school,
        [8],
    )
    assert list(campaign.classes.all()) == [classes["g8"]]
    assert [(i.code, i.min_age, i.max_age) for i in campaign.instruments.all()] == [
        ("PHQA", 12, 18),
        ("SCARED", 8, 11),
    ]
    assert campaign.notice_sent_on == timezone.localdate()
    assert campaign.created_by == personas["school_psych_teacher"]


def test_bad_input_shows_every_error_and_saves_nothing(
    personas: dict[str, User],
    client_for: ClientFor,
    school: Any,
    district: dict[str, Any],
    classes: dict[str, SchoolClass],
) -> None:
    client = client_for(personas["center_staff"])
    url = reverse("screening:campaign-create")
    other_class = SchoolClass.objects.create(
        school=district["orgs"]["school_B"], grade=8, name="3班"
    )
    opens = timezone.localtime() + timedelta(days=1)
    bad = good_form(
        school,
        basis="statutory",
        closes_at=(opens - timedelta(days=1)).strftime("%Y-%m-%dT%H:%M"),
        classes=[other_class.pk],
    )
    page = client.post(url, bad)
    assert page.status_code == 200
    errors = page.context["form"].errors
    assert "classes" in errors  # another school's class is not even a choice
    assert not Campaign.objects.exists()
    # The service's own checks, shown on their fields.
    page = client.post(url, good_form(school, basis="statutory", closes_at=bad["opens_at"]))
    errors = page.context["form"].errors
    assert errors["statutory_basis"] == [
        zh("Write down the statutory basis: the law or document and its article.")
    ]
    assert errors["closes_at"] == [zh("The campaign must close after it opens.")]
    assert zh("Write down the statutory basis: the law or document and its article.") in (
        page.content.decode()
    )
    # Instruments: none, twice the same, ages upside down, a class outside the grades.
    none = good_form(school, **{"instruments-0-code": "", "instruments-1-code": ""})
    assert client.post(url, none).context["instrument_errors"] == [
        zh("Choose at least one instrument.")
    ]
    twice = good_form(school, **{"instruments-1-code": "PHQA"})
    assert client.post(url, twice).context["instrument_errors"] == [
        zh("Each instrument may be chosen once.")
    ]
    upside = client.post(
        url, good_form(school, **{"instruments-0-min_age": "18", "instruments-0-max_age": "12"})
    )
    assert upside.context["rows"].forms[0].errors["max_age"] == [
        zh("The oldest age must not be below the youngest.")
    ]
    outside = client.post(url, good_form(school, grades=["4"], classes=[classes["g8"].pk]))
    assert "classes" in outside.context["form"].errors
    assert not Campaign.objects.exists()
    assert not AuditEvent.objects.filter(object_type="screening.campaign").exists()


def test_a_school_outside_the_users_scope_is_not_a_choice(
    personas: dict[str, User], client_for: ClientFor, district: dict[str, Any]
) -> None:
    page = client_for(personas["school_psych_teacher"]).post(
        reverse("screening:campaign-create"), good_form(district["orgs"]["school_B"])
    )
    assert page.status_code == 200
    assert "school" in page.context["form"].errors
    assert not Campaign.objects.exists()


# --- A campaign: codes, progress, closing -------------------------------------------------


def test_issuing_codes_gives_each_pupil_of_an_age_one_code_once(
    personas: dict[str, User],
    client_for: ClientFor,
    campaign: Campaign,
    pupils: dict[str, Minor],
) -> None:
    client = client_for(personas["counselor"])
    url = reverse("screening:campaign-issue", args=[campaign.pk])
    response = client.post(url, follow=True)
    assert response.redirect_chain[-1][0] == reverse(
        "screening:campaign-detail", args=[campaign.pk]
    )
    by_minor = {p.minor_id: p for p in campaign.participants.all()}
    assert set(by_minor) == {pupils["older"].pk, pupils["younger"].pk, pupils["child"].pk}
    codes = {p.code for p in by_minor.values()}
    client.post(url)
    assert {p.code for p in campaign.participants.all()} == codes
    assert campaign.participants.count() == 3


def test_a_closed_campaign_issues_no_codes(
    personas: dict[str, User], client_for: ClientFor, campaign: Campaign, pupils: dict[str, Minor]
) -> None:
    client = client_for(personas["school_psych_teacher"])
    client.post(reverse("screening:campaign-close", args=[campaign.pk]))
    client.post(reverse("screening:campaign-issue", args=[campaign.pk]))
    assert not campaign.participants.exists()


def test_progress_counts_each_class_and_keeps_polling_while_open(
    personas: dict[str, User],
    client_for: ClientFor,
    campaign: Campaign,
    pupils: dict[str, Minor],
    classes: dict[str, SchoolClass],
) -> None:
    teacher = personas["school_psych_teacher"]
    participants_issue(actor=teacher, campaign=campaign)
    extra = pupil("赵三", 16, classes["g8"])
    participants_issue(actor=teacher, campaign=campaign)
    part = {p.minor_id: p for p in campaign.participants.all()}
    Participant.objects.filter(pk=part[pupils["older"].pk].pk).update(status="submitted")
    Participant.objects.filter(pk=part[extra.pk].pk).update(status="started")
    client = client_for(teacher)
    page = client.get(reverse("screening:campaign-progress", args=[campaign.pk]))
    assert page.status_code == 200
    rows = {r["class"]: r for r in page.context["rows"]}
    g8, g4 = rows[classes["g8"]], rows[classes["g4"]]
    assert (g8["pupils"], g8["answered"], g8["started"], g8["missing"], g8["pending"]) == (
        3,
        1,
        1,
        0,
        1,
    )
    assert (g4["pupils"], g4["answered"], g4["missing"], g4["pending"]) == (1, 0, 0, 1)
    assert page.context["totals"]["pupils"] == 4
    html = page.content.decode()
    assert 'hx-trigger="every 10s"' in html
    assert reverse("screening:class-sheet", args=[campaign.pk, classes["g8"].pk]) in html
    detail = client.get(reverse("screening:campaign-detail", args=[campaign.pk]))
    assert 'hx-trigger="every 10s"' in detail.content.decode()
    # Once closed, the numbers stop changing: no more polling.
    client.post(reverse("screening:campaign-close", args=[campaign.pk]))
    closed = client.get(reverse("screening:campaign-progress", args=[campaign.pk]))
    assert "hx-trigger" not in closed.content.decode()


def test_closing_early_stops_the_codes_and_is_audited(
    personas: dict[str, User], client_for: ClientFor, campaign: Campaign
) -> None:
    response = client_for(personas["center_staff"]).post(
        reverse("screening:campaign-close", args=[campaign.pk])
    )
    assert response.status_code == 302
    campaign.refresh_from_db()
    assert campaign.status == Campaign.Status.CLOSED
    assert campaign.closes_at <= timezone.now()
    event = AuditEvent.objects.get(object_type="screening.campaign", action="update")
    assert event.object_id == str(campaign.pk)


def test_a_school_number_that_is_no_number_chooses_no_school(
    personas: dict[str, User], client_for: ClientFor
) -> None:
    client = client_for(personas["center_staff"])
    for raw in ("²", "x", ""):
        assert client.get(reverse("screening:campaign-scope"), {"school": raw}).status_code == 200
        assert client.get(reverse("screening:campaign-create"), {"school": raw}).status_code == 200
