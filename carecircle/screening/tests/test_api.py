"""The screening API: submitting with a one-time code, reading results within scope."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from datetime import timedelta
from typing import Any

import pytest
from django.core.cache import cache
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from carecircle.accounts.models import Organisation, User
from carecircle.accounts.roles import Role
from carecircle.audit.models import AuditEvent
from carecircle.audit.services import audit_verify
from carecircle.notifications.models import OutboxMessage
from carecircle.people.models import Minor, SchoolClass
from carecircle.screening import services
from carecircle.screening.instruments import get_instrument, score
from carecircle.screening.models import Campaign, CampaignInstrument, FollowUp, Participant
from carecircle.screening.models import Response as ScreeningResponse
from carecircle.screening.services import (
    campaign_create,
    forget_campaign_instruments,
    participants_issue,
    response_submit,
)
from carecircle.screening.tests.test_views_campaigns import pupil
from carecircle.testing.fixtures import make_user

pytestmark = pytest.mark.django_db
ClientFor = Callable[[User], Client]

SUBMIT = "api:screening-submit"
LIST = "api:screening-result-list"
DETAIL = "api:screening-result-detail"
NEUTRAL = "This code cannot be used now. Check it and try again, or ask your teacher."
PHQ9_MILD = [1, 1, 1, 1, 1, 1, 0, 0, 0, 1]  # total 6, item 9 not endorsed: green/mild
PHQ9_CRITICAL = [3, 3, 3, 3, 3, 3, 3, 3, 3, 3]  # total 27 with item 9: red-critical
GAD7_NONE = [0] * 7
RUNNERS = ("school_psych_teacher", "center_staff", "counselor")
NOT_RUNNERS = sorted(set(Role.values) - set(RUNNERS))


@pytest.fixture(autouse=True)
def _clean_throttle() -> Iterator[None]:
    """The throttle counts in the cache: every test starts from nothing."""
    cache.clear()
    yield
    cache.clear()


@pytest.fixture(autouse=True)
def _english(english: None, settings: Any) -> None:
    """Messages are compared with their msgids, in the test and in the responses."""
    settings.LANGUAGE_CODE = "en"


def open_campaign(
    actor: User, school: Organisation, *, instruments: Any = None, **extra: Any
) -> Campaign:
    now = timezone.now()
    fields: dict[str, Any] = {
        "actor": actor,
        "school": school,
        "name": "2026年秋季心理健康筛查",
        "opens_at": now - timedelta(hours=1),
        "closes_at": now + timedelta(days=7),
        "basis": Campaign.Basis.GUARDIAN_CONSENT,
        "instruments": instruments or [("PHQ9", 13, 18), ("GAD7", 12, 18)],
    }
    return campaign_create(**{**fields, **extra})


class World:
    """Campaigns at school A and school B, each with pupils holding codes."""

    def __init__(self, personas: dict[str, User], others: dict[str, User], district: Any) -> None:
        self.school_a = district["orgs"]["school_A"]
        self.school_b = district["orgs"]["school_B"]
        self.class_a = SchoolClass.objects.create(school=self.school_a, grade=9, name="1班")
        self.class_b = SchoolClass.objects.create(school=self.school_b, grade=8, name="3班")
        self.older = pupil("王大", 15, self.class_a)  # no consent needed
        self.younger = pupil("王小", 13, self.class_a)  # consent pending
        self.pupil_b = pupil("李红", 15, self.class_b)
        self.campaign_a = open_campaign(personas["school_psych_teacher"], self.school_a)
        self.campaign_b = open_campaign(others["school_psych_teacher"], self.school_b)
        participants_issue(actor=personas["school_psych_teacher"], campaign=self.campaign_a)
        participants_issue(actor=others["school_psych_teacher"], campaign=self.campaign_b)

    def participant(self, minor: Minor) -> Participant:
        return Participant.objects.get(minor=minor)

    def code(self, minor: Minor) -> str:
        return self.participant(minor).code


@pytest.fixture
def world(personas: dict[str, User], other_personas: dict[str, User], district: Any) -> World:
    return World(personas, other_personas, district)


def submit(
    client: Client | None = None,
    *,
    code: str,
    instrument: str = "PHQ9",
    answers: Any = None,
    key: str = "key-0001-abcdef",
    **extra: Any,
) -> Any:
    body = {
        "code": code,
        "instrument": instrument,
        "answers": PHQ9_MILD if answers is None else answers,
        "idempotency_key": key,
    }
    return (client or Client()).post(
        reverse(SUBMIT), json.dumps(body), content_type="application/json", **extra
    )


def state() -> tuple[Any, ...]:
    """Everything a submission may change."""
    return (
        list(
            ScreeningResponse.objects.order_by("pk").values_list(
                "pk", "code", "answers", "submitted_at", "idempotency_key", "total", "triage"
            )
        ),
        list(Participant.objects.order_by("pk").values_list("pk", "status", "submitted_at")),
        FollowUp.objects.count(),
        AuditEvent.objects.count(),
    )


# --- Submitting: the happy paths ---------------------------------------------------------


def test_it_scores_a_submission_and_answers_only_submitted(world: World) -> None:
    response = submit(code=world.code(world.older), answers=PHQ9_MILD)
    assert response.status_code == 201
    assert response.json() == {"status": "submitted", "instrument": "PHQ9"}
    stored = ScreeningResponse.objects.get(participant__minor=world.older, code="PHQ9")
    assert stored.submitted_at is not None
    assert (stored.total, stored.band, stored.triage) == (6, "mild", "green")
    assert stored.idempotency_key == "key-0001-abcdef"
    # Not finished: GAD-7 is still open for this pupil.
    assert world.participant(world.older).status == Participant.Status.STARTED


def _statements(queries: list[dict[str, str]]) -> list[tuple[str, str]]:
    """(verb, first table or function) of each statement sent, transaction control
    left out."""
    found = []
    for query in queries:
        words = query["sql"].replace('"', "").split()
        verb = words[0].upper()
        if verb in ("BEGIN", "COMMIT", "SAVEPOINT", "RELEASE"):
            continue
        if verb == "SELECT":
            table = (words[words.index("FROM") + 1] if "FROM" in words else words[1]).split("(")[0]
        else:
            table = words[words.index("INTO") + 1] if verb == "INSERT" else words[1]
        found.append((verb, table))
    return found


def _written_together(sql: str) -> list[tuple[str, str]]:
    """(verb, table or function) of each write of a ``written_together`` statement."""
    parts = sql.split(" AS (")[1:]
    return _statements([{"sql": part} for part in parts])


def test_a_submit_sends_only_the_statements_it_needs(world: World) -> None:
    # PERFORMANCE.md G4. The campaign's instruments are read once per process; a
    # pupil who has not started has no saved answers to read. On PostgreSQL the
    # participant's lock draws the response's key, the three writes are one
    # statement (carecircle.db.pipeline), and the database chains the audit event
    # as it appends it: the app never reads the chain head. On SQLite the head is
    # locked once and the event's insert moves it; the pupil is read once more:
    # scored before the write lock, read again under it.
    code, answers = world.code(world.older), {f"q{n}": 0 for n in range(1, 8)}
    with CaptureQueriesContext(connection) as first:
        assert submit(code=code, answers=PHQ9_MILD).status_code == 201
    with CaptureQueriesContext(connection) as second:
        assert submit(code=code, instrument="GAD7", answers=answers).status_code == 201
    writes = [
        ("INSERT", "screening_response"),
        ("INSERT", "audit_auditevent"),
        ("UPDATE", "screening_participant"),
    ]
    head = ("SELECT", "audit_auditchainhead")
    if connection.vendor == "sqlite":
        participant = ("SELECT", "screening_participant")
        assert _statements(first.captured_queries) == [
            participant,
            ("SELECT", "screening_campaigninstrument"),
            participant,  # again, under the lock
            head,
            *writes,
        ]
        assert _statements(second.captured_queries) == [
            participant,  # started: not scored early
            participant,
            head,
            ("SELECT", "screening_response"),
            *writes,
        ]
    else:
        lock = ("SELECT", "screening_participant")
        together = ("WITH", "w0")
        assert _statements(first.captured_queries) == [
            lock,
            ("SELECT", "screening_campaigninstrument"),
            together,
        ]
        assert _statements(second.captured_queries) == [
            lock,
            ("SELECT", "screening_response"),
            together,
        ]
        for captured in (first, second):
            sql = next(q["sql"] for q in captured.captured_queries if q["sql"].startswith("WITH"))
            assert _written_together(sql) == [
                ("INSERT", "screening_response"),
                ("SELECT", "audit_append"),
                ("UPDATE", "screening_participant"),
            ]
    assert world.participant(world.older).status == Participant.Status.SUBMITTED


ONLY_SQLITE = pytest.mark.skipif(
    connection.vendor != "sqlite", reason="SQLite scores a pupil before the write lock"
)


def _meanwhile(monkeypatch: pytest.MonkeyPatch, change: Callable[[], object]) -> None:
    """Run ``change`` after the pupil was scored, before the submit's transaction."""
    scored = services._scored_before_the_lock

    def then_change(*args: Any) -> Any:
        found = scored(*args)
        assert found is not None  # the pupil had not started: scored early
        change()
        return found

    monkeypatch.setattr(services, "_scored_before_the_lock", then_change)


@ONLY_SQLITE
def test_a_code_withdrawn_while_the_answers_were_scored_stores_nothing(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    pupil = world.participant(world.older)
    _meanwhile(
        monkeypatch,
        lambda: Participant.objects.filter(pk=pupil.pk).update(status=Participant.Status.VOID),
    )
    before = state()
    response = submit(code=world.code(world.older))
    assert response.status_code == 404
    assert state()[0] == before[0]  # no response stored


@ONLY_SQLITE
def test_a_submit_that_lands_while_another_is_scored_is_the_one_stored(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    code = world.code(world.older)
    first: dict[str, Any] = {}

    def other_tab() -> None:
        monkeypatch.undo()  # the other tab's submit takes the ordinary way
        first["response"] = submit(code=code, answers=PHQ9_CRITICAL, key="other-tab-key")

    _meanwhile(monkeypatch, other_tab)
    late = submit(code=code, answers=PHQ9_MILD, key="this-tab-key")
    assert first["response"].status_code == 201
    assert late.status_code == 409  # submitted before, with another key: not stored
    stored = ScreeningResponse.objects.get(participant__minor=world.older, code="PHQ9")
    assert (stored.idempotency_key, stored.triage) == ("other-tab-key", "red_critical")


@pytest.mark.usefixtures("flushable_audit_log")
def test_a_committed_critical_submit_stores_each_row_once(world: World) -> None:
    # Committed for real (a transactional test): on PostgreSQL the writes travel
    # together in a pipeline, and must all be there, chained, after the commit.
    before = AuditEvent.objects.count()
    assert submit(code=world.code(world.older), answers=PHQ9_CRITICAL).status_code == 201
    stored = ScreeningResponse.objects.get()
    follow_up = FollowUp.objects.get()
    assert (stored.triage, follow_up.response_id) == ("red_critical", stored.pk)
    assert OutboxMessage.objects.get().payload == {"follow_up": follow_up.pk}
    events = AuditEvent.objects.filter(seq__gt=0).order_by("seq")[before:]
    assert [(e.object_type, e.object_id) for e in events] == [
        ("screening.response", str(stored.pk)),
        ("screening.followup", str(follow_up.pk)),
    ]
    assert audit_verify().ok
    assert world.participant(world.older).status == Participant.Status.STARTED


def test_the_answer_never_carries_a_score_even_for_a_critical_result(world: World) -> None:
    response = submit(code=world.code(world.older), answers=PHQ9_CRITICAL)
    assert response.status_code == 201
    assert response.json() == {"status": "submitted", "instrument": "PHQ9"}
    body = response.content.decode()
    for word in ("total", "band", "triage", "critical", "positive", "red", "27", "severe"):
        assert word not in body
    stored = ScreeningResponse.objects.get(participant__minor=world.older, code="PHQ9")
    assert stored.triage == ScreeningResponse.Triage.RED_CRITICAL
    assert FollowUp.objects.filter(response=stored).exists()  # the staff side acts on it


def test_it_takes_answers_by_item_id_and_a_code_as_typed(world: World) -> None:
    code = world.code(world.older)
    typed = f" {code[:5].lower()}-{code[5:].lower()} "
    answers = {f"q{n}": 0 for n in range(1, 8)}
    response = submit(code=typed, instrument="gad7", answers=answers)
    assert response.status_code == 201
    assert response.json() == {"status": "submitted", "instrument": "GAD7"}


def test_the_last_questionnaire_finishes_the_pupil(world: World) -> None:
    code = world.code(world.older)
    assert submit(code=code, answers=PHQ9_MILD, key="first-key-1").status_code == 201
    assert (
        submit(code=code, instrument="GAD7", answers=GAD7_NONE, key="second-key").status_code == 201
    )
    assert world.participant(world.older).status == Participant.Status.SUBMITTED


# --- Idempotency ----------------------------------------------------------------------------


def test_a_replay_with_the_same_key_answers_200_and_changes_nothing(world: World) -> None:
    code = world.code(world.older)
    first = submit(code=code, answers=PHQ9_MILD)
    before = state()
    again = submit(code=code, answers=PHQ9_CRITICAL)  # same key; other answers are ignored
    assert again.status_code == 200
    assert again.json() == first.json()
    assert state() == before


def test_a_replay_after_the_code_is_used_up_is_still_200(world: World) -> None:
    code = world.code(world.older)
    submit(code=code, answers=PHQ9_MILD, key="phq9-key-1")
    submit(code=code, instrument="GAD7", answers=GAD7_NONE, key="gad7-key-1")
    before = state()
    again = submit(code=code, answers=PHQ9_MILD, key="phq9-key-1")
    assert again.status_code == 200
    assert again.json() == {"status": "submitted", "instrument": "PHQ9"}
    # Another key for the used code: the neutral refusal, like any used code.
    other = submit(code=code, answers=PHQ9_MILD, key="phq9-key-2")
    assert other.status_code == 404
    assert other.json() == {"detail": NEUTRAL}
    assert state() == before


def test_another_key_for_a_submitted_questionnaire_is_409(world: World) -> None:
    code = world.code(world.older)
    submit(code=code, answers=PHQ9_MILD, key="first-key-1")
    before = state()
    response = submit(code=code, answers=PHQ9_CRITICAL, key="second-key-2")
    assert response.status_code == 409
    assert response.json() == {"detail": "This questionnaire has already been submitted."}
    assert state() == before


def test_a_questionnaire_submitted_on_the_pupils_page_is_409_for_any_key(world: World) -> None:
    participant = world.participant(world.older)
    answers = dict(zip([f"q{n}" for n in range(1, 10)] + ["difficulty"], PHQ9_MILD, strict=True))
    response_submit(participant=participant, code="PHQ9", answers=answers)  # no key
    assert submit(code=participant.code).status_code == 409


# --- Refused codes: one neutral answer ------------------------------------------------------


def _close(world: World) -> str:
    Campaign.objects.filter(pk=world.campaign_a.pk).update(status=Campaign.Status.CLOSED)
    return world.code(world.older)


def _expired(world: World) -> str:
    Campaign.objects.filter(pk=world.campaign_a.pk).update(
        closes_at=timezone.now() - timedelta(minutes=1),
        opens_at=timezone.now() - timedelta(days=1),
    )
    return world.code(world.older)


def _withdrawn(world: World) -> str:
    Participant.objects.filter(minor=world.older).update(status=Participant.Status.VOID)
    return world.code(world.older)


def _refused_consent(world: World) -> str:
    Participant.objects.filter(minor=world.younger).update(consent=Participant.Consent.REFUSED)
    return world.code(world.younger)


@pytest.mark.parametrize(
    "make_code",
    [
        lambda world: "ABCDEFGHJK",  # well formed, unknown
        lambda world: "not a code at all",
        lambda world: world.code(world.younger),  # 13: the guardian has not answered
        _refused_consent,
        _close,
        _expired,
        _withdrawn,
    ],
    ids=["unknown", "malformed", "consent-pending", "consent-refused", "closed", "expired", "void"],
)
def test_a_code_that_cannot_be_used_gets_the_neutral_404(
    world: World, make_code: Callable[[World], str]
) -> None:
    code = make_code(world)
    before = state()
    response = submit(code=code, answers=[9] * 3)  # bad answers too: the code comes first
    assert response.status_code == 404
    assert response.json() == {"detail": NEUTRAL}
    assert state() == before


# --- Bad input: 400 with the problems ----------------------------------------------------------


def test_a_value_not_allowed_names_the_item_and_the_allowed_answers(world: World) -> None:
    before = state()
    response = submit(code=world.code(world.older), answers=[1, 1, 7, 1, 1, 1, 0, 0, "Y", 1])
    assert response.status_code == 400
    assert response.json() == {
        "answers": {
            "q3": ["Item 3 (q3): 7 is not an allowed answer; allowed: 0, 1, 2, 3."],
            "q9": ['Item 9 (q9): "Y" is not an allowed answer; allowed: 0, 1, 2, 3.'],
        }
    }
    assert state() == before


def test_an_unknown_item_and_a_wrong_count_are_named(world: World) -> None:
    code = world.code(world.older)
    short = submit(code=code, answers=[1, 1, 1])
    assert short.status_code == 400
    # The engine's message, which says how many answers the list may hold.
    message = score(get_instrument("PHQ9"), [1, 1, 1]).problems[0].message
    assert message.startswith("PHQ9 has ") and "but 3 answers were given." in message
    assert short.json() == {"answers": {"non_field_errors": [message]}}
    long = submit(code=code, answers=[1] * 11)
    assert long.status_code == 400
    assert list(long.json()["answers"]) == ["non_field_errors"]
    unknown = submit(code=code, answers={"q1": 1, "q99": 2, "q2": True})
    assert unknown.status_code == 400
    assert unknown.json()["answers"] == {
        "q99": ["PHQ9 has no item q99."],
        "q2": ["Item 2 (q2): true is not an allowed answer; allowed: 0, 1, 2, 3."],
    }


def test_a_required_answer_left_blank_is_named_and_nothing_is_stored(world: World) -> None:
    before = state()
    answers = {f"q{n}": 1 for n in range(1, 9)}  # q9 missing
    response = submit(code=world.code(world.older), answers=answers)
    assert response.status_code == 400
    assert response.json() == {"answers": {"q9": ["Item 9 (q9) is required but blank."]}}
    assert state() == before
    listed = submit(code=world.code(world.older), answers=[1] * 8 + [None, None])
    assert listed.json() == {"answers": {"q9": ["Item 9 (q9) is required but blank."]}}


def test_a_list_may_stop_where_the_engine_allows(world: World) -> None:
    nine = PHQ9_MILD[:9]  # without the optional difficulty question
    accepted = score(get_instrument("PHQ9"), nine).valid
    response = submit(code=world.code(world.older), answers=nine)
    assert response.status_code == (201 if accepted else 400)


def test_whole_numbers_written_as_decimals_are_answers(world: World) -> None:
    response = submit(code=world.code(world.older), answers=[float(a) for a in PHQ9_MILD])
    assert response.status_code == 201


def test_an_instrument_not_given_to_the_pupil_is_refused(world: World) -> None:
    code = world.code(world.older)
    for instrument in ("K6", "NOPE"):
        response = submit(code=code, instrument=instrument, answers=[0] * 6)
        assert response.status_code == 400
        assert response.json() == {
            "instrument": ["This questionnaire is not part of the campaign."]
        }


def test_a_pupil_too_young_for_an_instrument_cannot_submit_it(
    world: World, personas: dict[str, User]
) -> None:
    Participant.objects.filter(minor=world.younger).update(consent=Participant.Consent.GIVEN)
    response = submit(code=world.code(world.younger), instrument="PHQ9")  # PHQ-9 from 13 here
    assert response.status_code == 201  # 13 is in range
    CampaignInstrument.objects.filter(campaign=world.campaign_a, code="GAD7").update(min_age=14)
    # The app never changes a campaign's instruments, so a process keeps them.
    forget_campaign_instruments()
    young = submit(
        code=world.code(world.younger), instrument="GAD7", answers=GAD7_NONE, key="k" * 8
    )
    assert young.status_code == 400
    assert young.json() == {"instrument": ["This questionnaire is not part of the campaign."]}


def test_a_stale_instrument_version_is_refused_with_a_clear_message(world: World) -> None:
    CampaignInstrument.objects.filter(campaign=world.campaign_a, code="PHQ9").update(version=99)
    before = state()
    response = submit(code=world.code(world.older))
    assert response.status_code == 400
    assert response.json() == {
        "instrument": [
            "The questionnaire PHQ9 changed after the campaign opened; ask the campaign's "
            "organiser to renew it."
        ]
    }
    assert state() == before


DROP = object()


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"code": DROP}, "code"),
        ({"code": ""}, "code"),
        ({"answers": DROP}, "answers"),
        ({"idempotency_key": DROP}, "idempotency_key"),
        ({"idempotency_key": "short"}, "idempotency_key"),
        ({"idempotency_key": "x" * 65}, "idempotency_key"),
        ({"idempotency_key": "密钥密钥密钥密钥"}, "idempotency_key"),
        ({"idempotency_key": "has spaces in it"}, "idempotency_key"),
        ({"answers": "0,1,2"}, "answers"),
        ({"answers": None}, "answers"),
        ({"answers": [0] * 201}, "answers"),
        ({"instrument": ""}, "instrument"),
    ],
)
def test_a_malformed_body_is_400_per_field(
    world: World, change: dict[str, Any], field: str
) -> None:
    body = {
        "code": world.code(world.older),
        "instrument": "PHQ9",
        "answers": PHQ9_MILD,
        "idempotency_key": "key-0001-abcdef",
    }
    body = {k: v for k, v in {**body, **change}.items() if v is not DROP}
    before = state()
    response = Client().post(reverse(SUBMIT), json.dumps(body), content_type="application/json")
    assert response.status_code == 400
    assert list(response.json()) == [field]
    assert state() == before


def test_a_form_encoded_body_is_refused(world: World) -> None:
    response = Client().post(reverse(SUBMIT), {"code": world.code(world.older)})
    assert response.status_code == 415


# --- Who may submit ------------------------------------------------------------------------------


def test_a_session_is_neither_needed_nor_used_and_no_csrf_token_is_asked(
    world: World, personas: dict[str, User], client_for: ClientFor
) -> None:
    staff = client_for(personas["school_psych_teacher"])
    staff.handler.enforce_csrf_checks = True  # type: ignore[attr-defined]
    # The check is on: a session-authenticated API refuses this client's POST.
    elsewhere = staff.post(reverse("api:minor-list"), {}, content_type="application/json")
    assert elsewhere.status_code == 403 and "CSRF" in elsewhere.json()["detail"]
    # A signed-in teacher's session does not open an unusable code ...
    refused = submit(staff, code=world.code(world.younger))
    assert refused.status_code == 404
    assert refused.json() == {"detail": NEUTRAL}
    # ... and a submission through a signed-in browser works without a CSRF token.
    response = submit(staff, code=world.code(world.older))
    assert response.status_code == 201


def test_a_token_header_is_not_read(world: World) -> None:
    response = submit(code=world.code(world.older), HTTP_AUTHORIZATION="Token not-a-token")
    assert response.status_code == 201


@pytest.mark.parametrize("method", ["get", "put", "patch", "delete"])
def test_submissions_only_take_post(world: World, method: str) -> None:
    response = getattr(Client(), method)(reverse(SUBMIT))
    assert response.status_code == 405


def test_it_throttles_per_client_address(world: World, settings: Any) -> None:
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {"screening_submit": "3/min"},
    }
    code = world.code(world.older)
    answers = [submit(code="ABCDEFGHJK", REMOTE_ADDR="10.1.1.1").status_code for _ in range(3)]
    assert answers == [404, 404, 404]
    assert Client().get(reverse(SUBMIT), REMOTE_ADDR="10.1.1.1").status_code == 405  # not counted
    throttled = submit(code=code, REMOTE_ADDR="10.1.1.1")
    assert throttled.status_code == 429
    assert "Retry-After" in throttled
    assert not ScreeningResponse.objects.filter(submitted_at__isnull=False).exists()
    # Another address is not held back.
    assert submit(code=code, REMOTE_ADDR="10.1.1.2").status_code == 201


def test_the_throttle_has_a_default_rate(world: World, settings: Any) -> None:
    from carecircle.screening.api import DEFAULT_SUBMIT_RATE, SubmitThrottle

    settings.REST_FRAMEWORK = {
        k: v for k, v in settings.REST_FRAMEWORK.items() if k != "DEFAULT_THROTTLE_RATES"
    }
    assert SubmitThrottle().get_rate() == DEFAULT_SUBMIT_RATE
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {"screening_submit": None},
    }
    assert SubmitThrottle().get_rate() is None


# --- Results: who sees them ---------------------------------------------------------------------


@pytest.fixture
def answered(world: World) -> World:
    """PHQ-9 submitted by 王大 at school A (red-critical) and 李红 at school B (green)."""
    assert submit(code=world.code(world.older), answers=PHQ9_CRITICAL).status_code == 201
    assert submit(code=world.code(world.pupil_b), answers=PHQ9_MILD).status_code == 201
    return world


def result_of(minor: Minor) -> ScreeningResponse:
    return ScreeningResponse.objects.get(participant__minor=minor, submitted_at__isnull=False)


def listed(client: Client, **params: Any) -> list[int]:
    response = client.get(reverse(LIST), params)
    assert response.status_code == 200, response.content
    return [row["minor"] for row in response.json()["results"]]


def test_each_runner_lists_the_results_of_their_scope(
    answered: World,
    personas: dict[str, User],
    other_personas: dict[str, User],
    client_for: ClientFor,
) -> None:
    a, b = answered.older.pk, answered.pupil_b.pk
    assert listed(client_for(personas["school_psych_teacher"])) == [a]
    assert listed(client_for(other_personas["school_psych_teacher"])) == [b]
    for role in ("center_staff", "counselor"):
        # The county's centre covers both schools; the other county's covers neither.
        assert sorted(listed(client_for(personas[role]))) == sorted([a, b])
        assert listed(client_for(other_personas[role])) == []


def test_a_result_carries_the_pupil_and_the_scores(
    answered: World, personas: dict[str, User], client_for: ClientFor
) -> None:
    result = result_of(answered.older)
    client = client_for(personas["school_psych_teacher"])
    row = client.get(reverse(LIST)).json()["results"][0]
    detail = client.get(reverse(DETAIL, args=[result.pk])).json()
    assert row == detail
    assert detail["id"] == result.pk
    assert detail["minor"] == answered.older.pk
    assert (detail["name"], detail["area_code"]) == ("王大", answered.older.area_code)
    assert detail["campaign"] == answered.campaign_a.pk
    assert (detail["school"], detail["school_name"]) == (answered.school_a.pk, "A-school")
    assert detail["school_class"] == answered.class_a.pk
    assert detail["school_class_name"] == str(answered.class_a)
    assert (detail["instrument"], detail["version"]) == ("PHQ9", 1)
    assert (detail["total"], detail["subscales"], detail["band"]) == (27, {}, "severe")
    assert detail["positive"] == ["depression"]
    assert detail["critical"] is True
    assert detail["triage"] == "red_critical"
    assert len(detail["triage_reasons"]) == 3
    assert detail["submitted_at"]
    assert "answers" not in detail and "idempotency_key" not in detail


@pytest.mark.parametrize("role", NOT_RUNNERS)
def test_other_roles_are_refused_before_any_lookup(
    answered: World, personas: dict[str, User], client_for: ClientFor, role: str
) -> None:
    client = client_for(personas[role])
    for url in (reverse(LIST), reverse(DETAIL, args=[result_of(answered.older).pk])):
        response = client.get(url)
        assert response.status_code == 403
        assert "王大" not in response.content.decode()


def test_a_signed_in_user_without_roles_is_refused(answered: World, client_for: ClientFor) -> None:
    client = client_for(make_user("nobody"))
    assert client.get(reverse(LIST)).status_code == 403
    assert client.get(reverse(DETAIL, args=[result_of(answered.older).pk])).status_code == 403


def test_anonymous_callers_get_401(answered: World) -> None:
    for url in (reverse(LIST), reverse(DETAIL, args=[result_of(answered.older).pk])):
        response = Client().get(url)
        assert response.status_code == 401
        assert "王大" not in response.content.decode()


@pytest.mark.parametrize(
    ("side", "role"),
    [
        ("B", "school_psych_teacher"),  # another school
        ("B", "center_staff"),  # another county
        ("B", "counselor"),
    ],
)
def test_a_result_out_of_scope_is_404_and_recorded(
    answered: World,
    other_personas: dict[str, User],
    client_for: ClientFor,
    side: str,
    role: str,
) -> None:
    result = result_of(answered.older)
    response = client_for(other_personas[role]).get(reverse(DETAIL, args=[result.pk]))
    assert response.status_code == 404
    assert "王大" not in response.content.decode()
    denial = AuditEvent.objects.get(action=AuditEvent.Action.DENIED)
    assert (denial.object_type, denial.object_id) == ("screening.response", str(result.pk))


def test_a_school_teacher_does_not_reach_the_other_schools_result(
    answered: World, personas: dict[str, User], client_for: ClientFor
) -> None:
    client = client_for(personas["school_psych_teacher"])
    assert client.get(reverse(DETAIL, args=[result_of(answered.pupil_b).pk])).status_code == 404


def test_unsubmitted_missing_and_huge_ids_are_404(
    answered: World, personas: dict[str, User], client_for: ClientFor
) -> None:
    client = client_for(personas["counselor"])
    answers = {"q1": 1}
    from carecircle.screening.services import response_save

    started = response_save(
        participant=answered.participant(answered.older), code="GAD7", answers=answers
    )
    for pk in (started.pk, 999_999, 2**63, 10**30):
        assert client.get(reverse(DETAIL, args=[pk])).status_code == 404
    assert started.pk not in [r["id"] for r in client.get(reverse(LIST)).json()["results"]]


@pytest.mark.parametrize("method", ["post", "put", "patch", "delete"])
def test_results_are_read_only(
    answered: World, personas: dict[str, User], client_for: ClientFor, method: str
) -> None:
    client = client_for(personas["counselor"])
    for url in (reverse(LIST), reverse(DETAIL, args=[result_of(answered.older).pk])):
        response = getattr(client, method)(url, {}, content_type="application/json")
        assert response.status_code == 405


# --- Results: filters, pages, audit ---------------------------------------------------------


def test_it_filters_by_campaign_school_level_and_time(
    answered: World, personas: dict[str, User], client_for: ClientFor
) -> None:
    client = client_for(personas["counselor"])
    a, b = answered.older.pk, answered.pupil_b.pk
    assert listed(client, campaign=answered.campaign_b.pk) == [b]
    assert listed(client, school=answered.school_a.pk) == [a]
    assert listed(client, level="red_critical") == [a]
    assert listed(client, level="green") == [b]
    assert listed(client, level="yellow") == []
    ScreeningResponse.objects.filter(participant__minor=answered.pupil_b).update(
        submitted_at=timezone.now() - timedelta(days=3)
    )
    cut = (timezone.now() - timedelta(days=1)).isoformat()
    assert listed(client, submitted_after=cut) == [a]
    assert listed(client, submitted_before=cut) == [b]
    assert listed(client) == [a, b]  # newest first


@pytest.mark.parametrize(
    "params",
    [
        {"level": "purple"},
        {"campaign": "abc"},
        {"school": str(2**63)},
        {"submitted_after": "yesterday"},
        {"submitted_after": "2026-03-02T00:00:00Z", "submitted_before": "2026-03-01T00:00:00Z"},
    ],
)
def test_a_bad_filter_is_400(
    answered: World,
    personas: dict[str, User],
    client_for: ClientFor,
    params: dict[str, str],
) -> None:
    response = client_for(personas["counselor"]).get(reverse(LIST), params)
    assert response.status_code == 400
    assert set(response.json()) <= set(params)


def test_a_list_page_is_one_audited_read_naming_its_children(
    answered: World, personas: dict[str, User], client_for: ClientFor
) -> None:
    client = client_for(personas["counselor"])
    first = client.get(reverse(LIST), {"page_size": 1}).json()
    assert first["next"]
    client.get(first["next"])
    reads = AuditEvent.objects.filter(
        action=AuditEvent.Action.LIST, object_type="screening.response"
    )
    events = list(reads.order_by("seq"))
    assert len(events) == 2
    # Newest first: 李红 (school B) submitted last.
    assert [e.details["ids"] for e in events] == [[answered.pupil_b.pk], [answered.older.pk]]
    assert [e.details["results"] for e in events] == [
        [result_of(answered.pupil_b).pk],
        [result_of(answered.older).pk],
    ]
    # An empty page reads nobody and records nothing.
    client.get(reverse(LIST), {"level": "yellow"})
    assert reads.count() == 2


def test_a_detail_read_is_audited_with_the_child(
    answered: World, personas: dict[str, User], client_for: ClientFor
) -> None:
    result = result_of(answered.older)
    client_for(personas["school_psych_teacher"]).get(reverse(DETAIL, args=[result.pk]))
    event = AuditEvent.objects.get(action=AuditEvent.Action.VIEW, object_type="screening.response")
    assert (event.object_id, event.minor_id) == (str(result.pk), answered.older.pk)
    assert "triage" in event.fields and "name" in event.fields


def test_a_refused_read_records_nothing_read(
    answered: World, personas: dict[str, User], client_for: ClientFor
) -> None:
    client = client_for(personas["school_admin"])
    client.get(reverse(LIST))
    client.get(reverse(DETAIL, args=[result_of(answered.older).pk]))
    read = AuditEvent.objects.filter(object_type="screening.response")
    # The submissions themselves are recorded (by the questionnaire); no read is.
    assert not read.exclude(
        action__in=[AuditEvent.Action.DENIED, AuditEvent.Action.CREATE]
    ).exists()


# --- Schema ------------------------------------------------------------------------------


def test_the_schema_describes_the_api_without_warnings() -> None:
    from drf_spectacular.drainage import GENERATOR_STATS
    from drf_spectacular.generators import SchemaGenerator
    from drf_spectacular.validation import validate_schema

    GENERATOR_STATS.reset()
    schema = SchemaGenerator().get_schema(request=None, public=True)
    assert not GENERATOR_STATS, "drf-spectacular warned while building the schema"
    validate_schema(schema)
    paths = schema["paths"]
    assert set(paths["/api/v1/screening/submissions/"]) == {"post"}
    assert set(paths["/api/v1/screening/results/"]) == {"get"}
    assert set(paths["/api/v1/screening/results/{id}/"]) == {"get"}
    submitted = schema["components"]["schemas"]["ScreeningSubmitted"]
    assert set(submitted["properties"]) == {"status", "instrument"}
    # The pupil's client sends no credential: the operation declares none.
    assert paths["/api/v1/screening/submissions/"]["post"]["security"] == [{}]
