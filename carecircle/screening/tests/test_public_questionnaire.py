"""The pupils' questionnaire at /q/: a one-time code, no account, answers saved as they go.

Pages are requested in English (the msgids): the zh-hans catalogue may translate
them at any time. A campaign gives ASQ then PHQ-9 to pupils aged 12-18.
"""

from __future__ import annotations

import json
import re
import time
from datetime import date, timedelta
from typing import Any

import pytest
from django.contrib.sessions.models import Session
from django.core import signing
from django.core.cache import cache
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from carecircle.accounts.models import User
from carecircle.people.models import Minor, SchoolClass
from carecircle.screening.models import Campaign, Participant, Response
from carecircle.screening.public_views import PUPIL_SALT, pupil_cookie_name
from carecircle.screening.services import campaign_create, participants_issue
from carecircle.testing.fixtures import _create_minor

pytestmark = pytest.mark.django_db

START = reverse("questionnaire:start")
ANSWER = reverse("questionnaire:answer")
THANKS = reverse("questionnaire:thanks")
REFUSED = "This code cannot be used now. Check it and try again, or ask your teacher."
REQUIRED = "Please answer this question."
ASQ_Q1 = "In the past few weeks, have you wished you were dead?"
ASQ_Q5 = "Are you having thoughts of killing yourself right now?"
PHQ9_Q1 = "Little interest or pleasure in doing things"
PHQ9_Q6 = "Feeling bad about yourself"


@pytest.fixture(autouse=True)
def _english_pages(english: None, settings: Any) -> None:
    settings.LANGUAGE_CODE = "en"
    cache.clear()


@pytest.fixture
def school(district: dict[str, Any]) -> Any:
    return district["orgs"]["school_A"]


def _born(years: int) -> date:
    today = timezone.localdate()
    return date(today.year - years, 1, 1) - timedelta(days=1)  # already had the birthday


@pytest.fixture
def pupils(school: Any) -> dict[str, Minor]:
    grade8 = SchoolClass.objects.create(school=school, grade=8, name="2班")
    common = {"area_code": "431103101200", "school": school, "school_class": grade8}
    return {
        "older": _create_minor(name="王大", sex="M", birth_date=_born(15), **common),
        "younger": _create_minor(name="王小", sex="F", birth_date=_born(12), **common),
    }


@pytest.fixture
def campaign(personas: dict[str, User], school: Any, pupils: dict[str, Minor]) -> Campaign:
    teacher = personas["school_psych_teacher"]
    opened = campaign_create(
        actor=teacher,
        school=school,
        name="春季筛查",
        opens_at=timezone.now() - timedelta(hours=1),
        closes_at=timezone.now() + timedelta(days=7),
        basis=Campaign.Basis.GUARDIAN_CONSENT,
        instruments=[("ASQ", 10, 18), ("PHQ9", 12, 18)],
    )
    participants_issue(actor=teacher, campaign=opened)
    return opened


@pytest.fixture
def older(campaign: Campaign, pupils: dict[str, Minor]) -> Participant:
    return campaign.participants.get(minor=pupils["older"])


def _enter(client: Client, code: str, **extra: Any) -> Any:
    return client.post(START, {"code": code}, **extra)


def _show(client: Client, url: str = ANSWER) -> str:
    response = client.get(url)
    assert response.status_code == 200, response
    return str(response.content.decode())


def _form(client: Client, url: str = ANSWER) -> dict[str, str]:
    """The hidden fields of the page at ``url``, as the pupil's browser would post them."""
    return dict(
        re.findall(r'type="hidden" name="(part|page|ticket)" value="([^"]*)"', _show(client, url))
    )


def _post(client: Client, form: dict[str, str], action: str = "next", **answers: str) -> Any:
    return client.post(ANSWER, {**form, **answers, "action": action})


def _page(client: Client, url: str = ANSWER, action: str = "next", **answers: str) -> Any:
    """Open the page at ``url`` and post it with ``answers``."""
    return _post(client, _form(client, url), action, **answers)


def _goes(response: Any) -> str:
    """Where a redirect sends the browser."""
    assert response.status_code == 302, response
    return str(response["Location"])


def _answers(participant: Participant, code: str) -> dict[str, Any]:
    return json.loads(Response.objects.get(participant=participant, code=code).answers)


def _held(client: Client) -> int | None:
    """The participant the browser's pupil cookie holds (None: none, or deleted)."""
    morsel = client.cookies.get(pupil_cookie_name())
    if morsel is None or not morsel.value:
        return None
    pk: int = signing.loads(morsel.value, salt=PUPIL_SALT)["p"]
    return pk


def _no(n: int) -> dict[str, str]:
    return {f"q{i}": "N" for i in range(1, n + 1)}


def test_a_pupil_answers_leaves_resumes_and_submits_once(older: Participant) -> None:
    client = Client()
    typed = f"{older.code[:5].lower()} - {older.code[5:]}"
    assert _enter(client, typed).url == ANSWER
    assert _held(client) == older.pk
    assert not Session.objects.exists()  # a pupil costs no session row

    html = _show(client)
    assert ASQ_Q1 in html and "Part 1 of 2" in html and ASQ_Q5 not in html
    # A negative ASQ screen: question 5 is skipped and the ASQ submitted.
    assert _page(client, **_no(4)).url == ANSWER
    asq = Response.objects.get(participant=older, code="ASQ")
    assert asq.submitted_at is not None and not asq.critical
    assert _answers(older, "ASQ").get("q5") is None

    html = _show(client)
    assert PHQ9_Q1 in html and "Part 2 of 2" in html
    assert _page(client, q1="0", q2="1", q3="0", q4="1", q5="0").url == f"{ANSWER}?page=1"

    # The browser closes; the same code opens the first unanswered page.
    client = Client()
    assert _enter(client, older.code).url == ANSWER
    html = _show(client)
    assert PHQ9_Q6 in html and PHQ9_Q1 not in html
    assert _page(client, q6="0", q7="0", q8="0", q9="0").url == ANSWER
    assert _goes(client.get(ANSWER)) == THANKS
    assert _held(client) is None

    older.refresh_from_db()
    assert older.status == Participant.Status.SUBMITTED
    phq9 = Response.objects.get(participant=older, code="PHQ9")
    assert phq9.submitted_at is not None and phq9.total == 2
    assert _answers(older, "PHQ9")["difficulty"] is None  # the optional difficulty item, left blank
    assert Response.objects.filter(participant=older).count() == 2
    # The code is spent: one neutral refusal like any other.
    assert REFUSED in _enter(Client(), older.code).content.decode()


def test_every_page_is_uncached_and_carries_no_staff_navigation(
    older: Participant, personas: dict[str, User], client_for: Any
) -> None:
    for client in (Client(), client_for(personas["school_psych_teacher"])):
        pages = [client.get(START), client.get(THANKS)]
        _enter(client, older.code)
        pages.append(client.get(ANSWER))
        for response in pages:
            assert response.status_code == 200
            assert "no-store" in response["Cache-Control"]
            html = response.content.decode()
            for staff in ("accounts:logout", "notifications:list", "people:minor-list"):
                assert reverse(staff) not in html
            assert 'href="/"' not in html
    start = Client().get(START).content.decode()
    assert 'autocapitalize="characters"' in start and "autofocus" in start
    assert "screening/questionnaire.js" in start


@pytest.mark.parametrize(
    "spoil",
    ["unknown", "closed", "not_open", "expired", "consent", "submitted", "withdrawn"],
)
def test_every_unusable_code_gets_the_same_neutral_answer(
    older: Participant, pupils: dict[str, Minor], spoil: str
) -> None:
    code = older.code
    campaign = older.campaign
    if spoil == "unknown":
        code = "0000000000"
    elif spoil == "closed":
        Campaign.objects.filter(pk=campaign.pk).update(status=Campaign.Status.CLOSED)
    elif spoil == "not_open":
        Campaign.objects.filter(pk=campaign.pk).update(opens_at=timezone.now() + timedelta(hours=1))
    elif spoil == "expired":
        Campaign.objects.filter(pk=campaign.pk).update(
            opens_at=timezone.now() - timedelta(days=8),
            closes_at=timezone.now() - timedelta(days=1),
        )
    elif spoil == "consent":  # 12 years old: the guardian has not answered yet
        code = campaign.participants.get(minor=pupils["younger"]).code
    elif spoil == "submitted":
        Participant.objects.filter(pk=older.pk).update(status=Participant.Status.SUBMITTED)
    elif spoil == "withdrawn":
        Participant.objects.filter(pk=older.pk).update(status=Participant.Status.VOID)
    client = Client()
    response = _enter(client, code)
    assert response.status_code == 200
    assert REFUSED in response.content.decode()
    assert _held(client) is None
    assert _goes(client.get(ANSWER)) == START


def test_refused_codes_are_throttled_per_address(older: Participant, settings: Any) -> None:
    settings.CARECIRCLE_CODE_ATTEMPTS = 3
    client = Client()
    assert "Enter the code on your slip." in _enter(client, "  ").content.decode()  # not counted
    for guess in ("0000000000", "1111111111", "zz"):
        assert REFUSED in _enter(client, guess).content.decode()
    # Past the limit even the right code is not looked up.
    response = _enter(client, older.code)
    assert response.status_code == 429 and REFUSED not in response.content.decode()
    assert _held(client) is None
    # Another address is not affected.
    assert _enter(Client(), older.code, REMOTE_ADDR="10.0.0.2").url == ANSWER


def test_asq_question_5_follows_only_a_positive_screen(older: Participant) -> None:
    client = Client()
    _enter(client, older.code)
    assert _page(client, **{**_no(4), "q1": "Y"}).url == f"{ANSWER}?page=1"
    html = _show(client, f"{ANSWER}?page=1")
    assert ASQ_Q5 in html and ASQ_Q1 not in html and ">Submit<" in html
    # Required: the pupil is told, and nothing is submitted.
    response = _page(client, f"{ANSWER}?page=1")
    assert response.status_code == 200 and REQUIRED in response.content.decode()
    assert not Response.objects.filter(submitted_at__isnull=False).exists()
    # Going back and changing the screen to negative drops the answer to question 5.
    assert _page(client, f"{ANSWER}?page=1", "back", q5="Y").url == f"{ANSWER}?page=0"
    assert _answers(older, "ASQ")["q5"] == "Y"
    assert _page(client, f"{ANSWER}?page=0", **_no(4)).url == ANSWER
    asq = Response.objects.get(participant=older, code="ASQ")
    assert asq.submitted_at is not None and not asq.critical
    assert _answers(older, "ASQ")["q5"] is None
    assert ASQ_Q5 not in _show(client)  # on to the PHQ-9


def test_required_and_invalid_answers_are_explained_and_the_rest_kept(
    older: Participant,
) -> None:
    client = Client()
    _enter(client, older.code)
    _page(client, **_no(4))  # ASQ done
    response = _page(client, q1="7", q2="1")
    html = response.content.decode()
    assert response.status_code == 200
    assert "Choose one of the answers." in html and html.count(REQUIRED) == 3
    assert _answers(older, "PHQ9") == {"q2": 1}
    assert re.search(r'name="q2" id="[^"]+" value="1" autocomplete="off" checked', html)


def test_a_replayed_submit_changes_nothing(older: Participant) -> None:
    client = Client()
    _enter(client, older.code)
    asq_form = _form(client)
    assert _post(client, asq_form, **_no(4)).url == ANSWER
    submitted_at = Response.objects.get(code="ASQ").submitted_at
    # The same ASQ form again (a double tap, the back button): redirected, not saved.
    assert _post(client, asq_form, **{**_no(4), "q1": "Y"}).url == ANSWER
    asq = Response.objects.get(code="ASQ")
    assert asq.submitted_at == submitted_at and not asq.critical
    assert _answers(older, "ASQ")["q1"] == "N"

    _page(client, q1="0", q2="0", q3="0", q4="0", q5="0")
    last_form = _form(client)
    last = _post(client, last_form, q6="0", q7="0", q8="0", q9="0")
    assert _goes(client.get(last.url)) == THANKS
    # Replayed after the session was cleared: still the thank-you page, nothing stored twice.
    assert _post(client, last_form, q6="0", q7="0", q8="0", q9="3").url == THANKS
    assert Response.objects.filter(participant=older).count() == 2
    assert not Response.objects.get(code="PHQ9").critical
    # Without the signed ticket a lost session only leads back to the code form.
    assert _post(Client(), {**last_form, "ticket": "forged"}).url == START


def test_the_thank_you_page_is_the_same_whatever_the_answers(older: Participant) -> None:
    client = Client()
    _enter(client, older.code)
    _page(client, **{**_no(4), "q1": "Y", "q3": "Y"})
    _page(client, f"{ANSWER}?page=1", q5="Y")
    _page(client, q1="3", q2="3", q3="3", q4="3", q5="3")
    done = _page(client, q6="3", q7="3", q8="3", q9="3", difficulty="3")
    phq9 = Response.objects.get(participant=older, code="PHQ9")
    asq = Response.objects.get(participant=older, code="ASQ")
    assert (asq.triage, phq9.band, phq9.total) == ("red_critical", "severe", 27)

    def neutral(text: str) -> str:
        # The CSRF token is random: it may hold "27" or "red" by chance.
        return re.sub(r'name="csrfmiddlewaretoken" value="[^"]*"', "", text)

    assert _goes(client.get(done.url)) == THANKS
    html = neutral(client.get(THANKS).content.decode())
    for line in ("12356", "12355", "110", "120"):
        assert line in html
    for secret in ("27", "severe", "Severe", "red", "critical", "positive", "Positive", "band"):
        assert secret not in html
    assert html == neutral(Client().get(THANKS).content.decode())


def test_leaving_and_idling_need_the_code_again(older: Participant, settings: Any) -> None:
    client = Client()
    _enter(client, older.code)
    response = _page(client, action="leave", q1="Y")
    assert response.url == START and _held(client) is None
    assert _answers(older, "ASQ") == {"q1": "Y"}
    assert _goes(client.get(ANSWER)) == START

    settings.CARECIRCLE_QUESTIONNAIRE_IDLE = 60
    _enter(client, older.code)
    client.cookies[pupil_cookie_name()] = signing.dumps(
        {"p": older.pk, "t": int(time.time()) - 61}, salt=PUPIL_SALT
    )
    assert _goes(client.get(ANSWER)) == START
    assert _held(client) is None
    assert "Enter your code again" in client.get(START).content.decode()


@pytest.mark.parametrize(
    ("method", "url"),
    [("put", START), ("delete", ANSWER), ("post", THANKS), ("patch", THANKS)],
)
def test_other_methods_are_refused(method: str, url: str) -> None:
    assert getattr(Client(), method)(url).status_code == 405


def test_a_page_number_that_is_no_number_shows_the_page_it_may(older: Participant) -> None:
    client = Client()
    _enter(client, older.code)
    for page in ("²", "9" * 5000, "-1"):
        shown = client.get(ANSWER, {"page": page})
        assert shown.status_code == 200 and ASQ_Q1 in shown.content.decode()
