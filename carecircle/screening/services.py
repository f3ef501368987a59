"""Writes of the screening app: campaigns, one-time codes, answers.

Codes are ten characters of Crockford's base-32 alphabet (no I, L, O, U: nothing
a pupil misreads on a printed sheet), 50 bits from ``secrets``; a pupil may type
them in lower case and with spaces or dashes. Only their SHA-256 digest is looked
up (PERFORMANCE.md G5), and the code is kept encrypted so that a class sheet can
be printed again.

A pupil's answers are saved as they go (``response_save``), so a questionnaire can
be resumed with the same code; ``response_submit`` scores it once. A second submit
— a double tap, a retry — changes nothing and returns the first result.
"""

from __future__ import annotations

import hashlib
import json
import secrets
import unicodedata
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from functools import lru_cache
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import DEFAULT_DB_ALIAS, connections, transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from carecircle.accounts.models import Organisation
from carecircle.audit.models import AuditEvent
from carecircle.audit.services import audit_record, chain_held
from carecircle.crypto.prepared import Prepared, attnames, insert_row, instance, update_row
from carecircle.db.pipeline import (
    atomic_pipelined,
    in_pipeline,
    with_key_drawn,
    written_together,
)
from carecircle.people.models import Minor, SchoolClass
from carecircle.people.rules import age_on
from carecircle.screening.followups import followup_open
from carecircle.screening.instruments import InstrumentError, get_instrument, score
from carecircle.screening.models import Campaign, CampaignInstrument, Participant, Response
from carecircle.screening.permissions import can_run_campaigns

CODE_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
CODE_LENGTH = 10
CONSENT_AGE = 14  # under 14 a guardian consents (个人信息保护法 art. 31)
# What a pupil may type around or instead of the code's own characters.
_LOOKALIKES = str.maketrans({"O": "0", "I": "1", "L": "1"})
_SEPARATORS = frozenset("-_.")


def new_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def normalise_code(typed: str) -> str:
    """The code as issued: full-width characters (a Chinese keyboard), lower case,
    spaces, dashes and the look-alike letters O, I, L do not matter."""
    text = unicodedata.normalize("NFKC", typed).upper()
    text = "".join(ch for ch in text if not ch.isspace() and ch not in _SEPARATORS)
    return text.translate(_LOOKALIKES)


def looks_like_a_code(code: str) -> bool:
    """Whether a normalised code could be one: anything else is refused unlooked-up."""
    return len(code) == CODE_LENGTH and set(code) <= set(CODE_ALPHABET)


def code_digest(code: str) -> str:
    """The digest a typed code is looked up by."""
    return hashlib.sha256(normalise_code(code).encode("ascii", "replace")).hexdigest()


@transaction.atomic
def campaign_create(
    *,
    actor: Any,
    school: Organisation,
    name: str,
    opens_at: datetime,
    closes_at: datetime,
    basis: str,
    instruments: Sequence[tuple[str, int, int]],
    grades: Iterable[int] = (),
    classes: Iterable[SchoolClass] = (),
    statutory_basis: str = "",
    notice_sent_on: date | None = None,
) -> Campaign:
    """Open a screening round at ``school``; ``instruments`` are (code, from age, to age)."""
    if not can_run_campaigns(actor, school):
        raise PermissionDenied(_("You cannot run screening campaigns at this school."))
    errors: dict[str, list[str]] = {}
    if closes_at <= opens_at:
        errors.setdefault("closes_at", []).append(_("The campaign must close after it opens."))
    if basis not in Campaign.Basis.values:
        errors.setdefault("basis", []).append(_("Choose the legal basis of the screening."))
    if basis == Campaign.Basis.STATUTORY and not statutory_basis.strip():
        errors.setdefault("statutory_basis", []).append(
            _("Write down the statutory basis: the law or document and its article.")
        )
    classes = list(classes)
    if any(c.school_id != school.pk for c in classes):
        errors.setdefault("classes", []).append(_("Every class must belong to the school."))
    chosen: list[CampaignInstrument] = []
    if not instruments:
        errors.setdefault("instruments", []).append(_("Choose at least one instrument."))
    for position, (code, low, high) in enumerate(instruments):
        try:
            instrument = get_instrument(code)
        except InstrumentError:
            errors.setdefault("instruments", []).append(
                _("No instrument has the code %(code)s.") % {"code": code}
            )
            continue
        if not 0 <= low <= high <= 18:
            errors.setdefault("instruments", []).append(
                _("The ages of %(code)s must run from 0 to 18, youngest first.") % {"code": code}
            )
        chosen.append(
            CampaignInstrument(
                code=instrument.code,
                version=instrument.version,
                min_age=low,
                max_age=high,
                position=position,
            )
        )
    if len({c.code for c in chosen}) != len(chosen):
        errors.setdefault("instruments", []).append(_("Each instrument may be chosen once."))
    if errors:
        raise ValidationError(errors)
    campaign = Campaign.objects.create(
        name=name,
        school=school,
        grades=sorted(set(grades)),
        opens_at=opens_at,
        closes_at=closes_at,
        basis=basis,
        statutory_basis=statutory_basis.strip(),
        notice_sent_on=notice_sent_on,
        status=Campaign.Status.OPEN,
        created_by=actor,
    )
    campaign.classes.set(classes)
    for row in chosen:
        row.campaign = campaign
    CampaignInstrument.objects.bulk_create(chosen)
    audit_record(
        actor=actor,
        action=AuditEvent.Action.CREATE,
        object_type="screening.campaign",
        object_id=campaign.pk,
        details={"school": school.pk, "instruments": [c.code for c in chosen]},
    )
    return campaign


def instruments_for(campaign: Campaign, minor: Minor, on: date) -> list[CampaignInstrument]:
    """The campaign's instruments for the pupil's age on ``on``."""
    age = age_on(minor.birth_date, on)
    return [i for i in campaign_instruments(campaign) if i.min_age <= age <= i.max_age]


INSTRUMENTS_READ = "_screening_instruments"  # where a loaded campaign keeps them


# A campaign's instruments are written with it (``campaign_create``) and never
# change, so each process reads them once per campaign rather than once per pupil's
# request. The creation time is part of the key: a key the database hands out again
# (a test's rolled-back row) never finds another campaign's instruments.
@lru_cache(maxsize=512)  # campaigns; a district opens a few hundred a year
def _instruments_of(pk: int, created: datetime) -> tuple[CampaignInstrument, ...]:
    return _fetch_instruments(pk)


def _fetch_instruments(pk: int) -> tuple[CampaignInstrument, ...]:
    return tuple(instance(CampaignInstrument, r) for r in _INSTRUMENTS.rows(campaign=pk))


def forget_campaign_instruments() -> None:
    """Empty the process's copy (tests that reuse keys and a frozen clock)."""
    _instruments_of.cache_clear()


def _read_instruments(campaign: Campaign) -> tuple[CampaignInstrument, ...]:
    created = campaign.__dict__.get("created_at")  # never load a deferred column for a key
    if created is None:
        return _fetch_instruments(campaign.pk)
    return _instruments_of(campaign.pk, created)


def campaign_instruments(campaign: Campaign) -> list[CampaignInstrument]:
    """The campaign's instruments in order: prefetched ones if the caller prefetched.

    The instances are shared with other requests of the process: read them, never
    change them."""
    prefetched = getattr(campaign, "_prefetched_objects_cache", {}).get("instruments")
    if prefetched is not None:
        return list(prefetched)
    loaded: tuple[CampaignInstrument, ...] | None = getattr(campaign, INSTRUMENTS_READ, None)
    if loaded is None:
        loaded = _read_instruments(campaign)
        setattr(campaign, INSTRUMENTS_READ, loaded)
    return list(loaded)


def responses_of(participant: Participant) -> dict[str, Response]:
    """The participant's responses by instrument code."""
    return _by_code(_RESPONSES.rows(participant=participant.pk))


def _by_code(rows: list[Any]) -> dict[str, Response]:
    responses = (instance(Response, row) for row in rows)
    return {response.code: response for response in responses}


@transaction.atomic
def participants_issue(*, actor: Any, campaign: Campaign) -> int:
    """Give every pupil in the campaign's grades and classes who has an instrument for
    their age a one-time code; returns how many were added (pupils already in keep
    their codes)."""
    if not can_run_campaigns(actor, campaign.school):
        raise PermissionDenied(_("You cannot run screening campaigns at this school."))
    # One issuer at a time: a second click waits here, then finds the codes given.
    list(Campaign.objects.select_for_update().filter(pk=campaign.pk).values_list("pk"))
    day = timezone.localdate(campaign.opens_at)
    instruments = list(campaign.instruments.all())
    pupils = Minor.objects.filter(school=campaign.school, status=Minor.Status.ACTIVE)
    classes = list(campaign.classes.all())
    if classes:
        pupils = pupils.filter(school_class__in=classes)
    if campaign.grades:
        pupils = pupils.filter(school_class__grade__in=campaign.grades)
    already = campaign.participants.values("minor_id")
    added: list[Participant] = []
    # Three columns, not whole records: nothing encrypted needs decrypting here.
    for minor_id, born, class_id in (
        pupils.exclude(pk__in=already)
        .order_by("school_class_id", "name")
        .values_list("pk", "birth_date", "school_class_id")
    ):
        age = age_on(born, day)
        if not any(i.min_age <= age <= i.max_age for i in instruments):
            continue
        code = new_code()
        needs_consent = campaign.basis == Campaign.Basis.GUARDIAN_CONSENT and age < CONSENT_AGE
        added.append(
            Participant(
                campaign=campaign,
                minor_id=minor_id,
                school_class_id=class_id,
                code=code,
                code_digest=code_digest(code),
                consent=(
                    Participant.Consent.PENDING if needs_consent else Participant.Consent.NOT_NEEDED
                ),
            )
        )
    Participant.objects.bulk_create(added)
    audit_record(
        actor=actor,
        action=AuditEvent.Action.CREATE,
        object_type="screening.participant",
        object_id=campaign.pk,
        details={"campaign": campaign.pk, "issued": len(added)},
    )
    return len(added)


# A pupil's pages and the submit API load a participant on every request: these reads
# are compiled once (carecircle/crypto/prepared.py). The encrypted code is left out (only
# a printed sheet needs it), and of the child only the birth date, which picks the
# instruments: nothing of the child is decrypted to answer a questionnaire.
_PARTICIPANT = [name for name in attnames(Participant) if name != "code"]
_CAMPAIGN = attnames(Campaign)
# What the submit API needs of the campaign (whether it is open, the pupil's age on
# its first day, the school of a follow-up, the key of its cached instruments): each
# column read is a value converted, and a timestamp's conversion is Python's. In the
# model's order, as from_db wants.
_CAMPAIGN_TO_SUBMIT = [
    name
    for name in _CAMPAIGN
    if name in {"id", "school_id", "status", "opens_at", "closes_at", "created_at"}
]


def _participant_rows(campaign: Sequence[str] = _CAMPAIGN, **filters: Any) -> Any:
    return (
        Participant.objects.filter(**filters)
        .order_by()
        .values_list(
            *_PARTICIPANT, *(f"campaign__{name}" for name in campaign), "minor__birth_date"
        )
    )


_BY_DIGEST = Prepared(lambda digest: _participant_rows(code_digest=digest), digest=str)
_BY_PK = Prepared(lambda pk: _participant_rows(pk=pk), pk=int)
# Locks the participant row only: PostgreSQL cannot lock the other tables' rows of
# a join it does not need to.
_LOCKED = Prepared(lambda pk: _participant_rows(pk=pk).select_for_update(of=("self",)), pk=int)
_INSTRUMENTS = Prepared(
    lambda campaign: (
        CampaignInstrument.objects.filter(campaign_id=campaign)
        .order_by("position", "pk")
        .values_list(*attnames(CampaignInstrument))
    ),
    campaign=int,
)
_RESPONSES = Prepared(
    lambda participant: (
        Response.objects.filter(participant_id=participant)
        .order_by()
        .values_list(*attnames(Response))
    ),
    participant=int,
)


def _participant_from(rows: list[Any], campaign: Sequence[str] = _CAMPAIGN) -> Participant | None:
    """The participant of a ``_participant_rows`` row read with these ``campaign``
    columns, its campaign and the child's birth date attached (the other fields
    load if anything asks for them)."""
    if not rows:
        return None
    row = rows[0]
    split = len(_PARTICIPANT)
    participant = Participant.from_db(DEFAULT_DB_ALIAS, _PARTICIPANT, list(row[:split]))
    loaded = Campaign.from_db(DEFAULT_DB_ALIAS, campaign, list(row[split : split + len(campaign)]))
    minor = Minor.from_db(DEFAULT_DB_ALIAS, ["id", "birth_date"], [participant.minor_id, row[-1]])
    Participant.campaign.field.set_cached_value(participant, loaded)
    Participant.minor.field.set_cached_value(participant, minor)
    return participant


def participant_by_code(code: str, *, now: datetime | None = None) -> Participant | None:
    """The participant a typed code opens, or None: unknown code, campaign not open
    now, code withdrawn or already submitted, or no consent yet. The caller shows the
    same neutral page for every None, so that a guess learns nothing."""
    found = _participant_from(_BY_DIGEST.rows(digest=code_digest(code)))
    return found if found is not None and participant_open(found, now or timezone.now()) else None


def participant_by_pk(pk: int) -> Participant | None:
    """The participant ``pk`` as ``participant_by_code`` loads it, open or not."""
    return _participant_from(_BY_PK.rows(pk=pk))


def participant_open(participant: Participant, now: datetime) -> bool:
    """Whether the participant may answer now: consented, not done, campaign open."""
    campaign = participant.campaign
    return (
        participant.may_answer
        and campaign.status == Campaign.Status.OPEN
        and campaign.opens_at <= now < campaign.closes_at
    )


def campaign_instrument(code: str, version: int) -> Any:
    """The instrument a campaign chose, as long as its file still has that version: a
    changed wording or scoring must not score answers given to the old one."""
    try:
        instrument = get_instrument(code)
    except InstrumentError:
        instrument = None
    if instrument is None or instrument.version != version:
        raise ValidationError(
            _(
                "The questionnaire %(code)s changed after the campaign opened; ask the "
                "campaign's organiser to renew it."
            )
            % {"code": code}
        )
    return instrument


def _check_answers(instrument: Any, answers: Mapping[str, Any]) -> dict[str, Any]:
    known = {item.id: item for item in instrument.items}
    kept: dict[str, Any] = {}
    for key, value in answers.items():
        item = known.get(key)
        if item is None:
            raise ValidationError(_("The questionnaire has no question %(id)s.") % {"id": key})
        if value is not None and value not in {o.value for o in item.option_set.options}:
            raise ValidationError(_("Question %(n)d has no such answer.") % {"n": item.number})
        kept[key] = value
    return kept


def _age_on(born: date, campaign: Campaign) -> int:
    return age_on(born, timezone.localdate(campaign.opens_at))


@dataclass
class _Open:
    """A participant locked for the transaction, with what answering needs, each read once."""

    participant: Participant
    instruments: list[CampaignInstrument]
    responses: dict[str, Response]
    age: int

    @classmethod
    def lock(cls, participant: Participant) -> _Open:
        return cls.locking(participant)()

    @classmethod
    def locking(cls, participant: Participant) -> Callable[[], _Open]:
        """Send the participant's lock now; the function returned reads what answering
        needs. In a pipeline (PostgreSQL) the read of the pupil's saved answers goes
        out with the lock, to be read under it in the same round trip; and whatever
        the caller sends before calling the function goes along too."""
        rows = _LOCKED.send(pk=participant.pk)
        connection = connections[DEFAULT_DB_ALIAS]
        saved = _RESPONSES.send(participant=participant.pk) if in_pipeline(connection) else None

        def opened() -> _Open:
            locked = _participant_from(rows())
            answers = saved() if saved is not None else None
            if locked is None:
                raise Participant.DoesNotExist
            return cls.of(locked, answers)

        return opened

    @classmethod
    def of(cls, locked: Participant, saved: list[Any] | None = None) -> _Open:
        """What answering needs, for a participant whose row this transaction locked
        (and the rows of its responses, when the caller read them under the lock).

        A pupil who has not started has no responses: the first answer saved or
        submitted marks the participant started in its own transaction (``mark``).
        """
        if locked.status == Participant.Status.ISSUED:
            responses = {}
        else:
            responses = responses_of(locked) if saved is None else _by_code(saved)
        return cls(
            participant=locked,
            instruments=campaign_instruments(locked.campaign),
            responses=responses,
            age=_age_on(locked.minor.birth_date, locked.campaign),
        )

    def chosen(self, code: str) -> CampaignInstrument:
        if not self.participant.may_answer:
            raise ValidationError(_("This questionnaire can no longer be answered."))
        found = next((i for i in self.instruments if i.code == code), None)
        if found is None:
            raise ValidationError(_("This questionnaire is not part of the campaign."))
        return found

    def merged(self, chosen: CampaignInstrument, answers: Mapping[str, Any]) -> tuple[Any, str]:
        """The instrument and the answers so far with these merged in, as JSON."""
        response = self.responses.get(chosen.code)
        if response is not None and response.submitted_at is not None:
            raise ValidationError(_("This questionnaire has already been submitted."))
        instrument = campaign_instrument(chosen.code, chosen.version)
        saved = json.loads(response.answers or "{}") if response is not None else {}
        saved.update(_check_answers(instrument, answers))
        return instrument, json.dumps(saved, ensure_ascii=False)

    def write(self, chosen: CampaignInstrument, key: int | None = None, **fields: Any) -> Response:
        """Insert or update the questionnaire's response; a new one takes ``key`` if
        the caller drew one (``with_key_drawn``)."""
        response = self.responses.get(chosen.code)
        if response is None:
            response = Response(
                participant=self.participant, code=chosen.code, version=chosen.version, **fields
            )
            response.pk = key
            insert_row(response, key="assigned" if key is None else "given")
            self.responses[chosen.code] = response
        else:
            for name, value in fields.items():
                setattr(response, name, value)
            update_row(response, [*fields, "updated_at"])
        return response

    def mark(self, *, submitted_at: datetime | None = None) -> None:
        """Started on the first answer; submitted once every instrument for the age is."""
        participant, changed = self.participant, []
        if participant.status == Participant.Status.ISSUED:
            participant.status, participant.started_at = Participant.Status.STARTED, timezone.now()
            changed += ["status", "started_at"]
        wanted = {i.code for i in self.instruments if i.min_age <= self.age <= i.max_age}
        answered = {code for code, r in self.responses.items() if r.submitted_at is not None}
        if submitted_at is not None and wanted <= answered:
            participant.status, participant.submitted_at = (
                Participant.Status.SUBMITTED,
                submitted_at,
            )
            changed += ["status", "submitted_at"]
        if changed:
            update_row(participant, sorted(set(changed)))


def response_save(*, participant: Participant, code: str, answers: Mapping[str, Any]) -> Response:
    """Keep the answers given so far (merged into those saved before)."""
    # A page of a questionnaire: on PostgreSQL the lock goes with the read of the
    # saved answers, and the writes go together (carecircle.db.pipeline).
    with atomic_pipelined():
        opened = _Open.lock(participant)
        chosen = opened.chosen(code)
        merged = opened.merged(chosen, answers)[1]
        response = opened.write(chosen, answers=merged)
        opened.mark()
        return response


def response_submit(
    *, participant: Participant, code: str, answers: Mapping[str, Any], idempotency_key: str = ""
) -> Response:
    """Score and submit one questionnaire; a repeat returns the first submission."""
    return response_submit_once(
        participant=participant, code=code, answers=answers, idempotency_key=idempotency_key
    )[0]


def response_submit_once(
    *, participant: Participant, code: str, answers: Mapping[str, Any], idempotency_key: str = ""
) -> tuple[Response, bool]:
    """Score and submit one questionnaire: the response, and whether this call stored it
    (False: it had been submitted before, and that first submission is returned).

    Two submits of one pupil (a double tap, a retry) run one after the other on the
    participant's lock; the second finds the first's result and returns it.
    """
    with atomic_pipelined():
        opening = _Open.locking(participant)
        with chain_held():  # SQLite: the head's lock goes with the participant's
            opened = opening()
            done = opened.responses.get(code)
            if done is not None and done.submitted_at is not None:
                return done, False
            scored = _score(opened, opened.chosen(code), answers)
            return _store(opened, scored, idempotency_key), True


@dataclass(frozen=True)
class _Scored:
    """A questionnaire's answers merged with those saved before (as JSON) and scored."""

    chosen: CampaignInstrument
    merged: str
    result: Any


def _score(opened: _Open, chosen: CampaignInstrument, answers: Mapping[str, Any]) -> _Scored:
    instrument, merged = opened.merged(chosen, answers)
    result = score(instrument, json.loads(merged))
    if not result.valid:
        raise ValidationError(result.problems)
    return _Scored(chosen, merged, result)


def _store(
    opened: _Open, scored: _Scored, idempotency_key: str, key: int | None = None
) -> Response:
    """Store a scored questionnaire, its audit event and any follow-up, and mark the
    participant (whose row the caller's transaction has locked). On PostgreSQL the
    writes go as one statement (``written_together``)."""
    with written_together():
        return _written(opened, scored, idempotency_key, key)


def _written(opened: _Open, scored: _Scored, idempotency_key: str, key: int | None) -> Response:
    result = scored.result
    response = opened.write(
        scored.chosen,
        key,
        answers=scored.merged,
        total=None if result.total is None else Decimal(str(round(result.total, 2))),
        subscales=dict(result.subscales),
        band=result.band or "",
        positive=list(result.positive),
        critical=result.critical,
        triage=result.triage.level,
        triage_reasons=[str(reason) for reason in result.triage.reasons],
        submitted_at=timezone.now(),
        idempotency_key=idempotency_key[:64],
    )
    # The pupil has no account: the event is the system's, naming the child and level.
    audit_record(
        actor=None,
        action=AuditEvent.Action.CREATE,
        object_type="screening.response",
        object_id=response.pk,
        minor_id=opened.participant.minor_id,
        details={"instrument": response.code, "triage": response.triage},
        username="questionnaire",
    )
    followup_open(response)
    opened.mark(submitted_at=response.submitted_at)
    return response


def _locked_by_digest(digest: str) -> QuerySet[Participant]:
    return _participant_rows(_CAMPAIGN_TO_SUBMIT, code_digest=digest).select_for_update(
        of=("self",)
    )


_LOCKED_BY_DIGEST = Prepared(_locked_by_digest, digest=str)
# On PostgreSQL the lock also draws the key of the response the submit inserts.
_LOCKED_BY_DIGEST_DRAWING = Prepared(
    lambda digest: with_key_drawn(_locked_by_digest(digest), Response), digest=str
)


def _locking_by_digest(
    digest: str, vendor: str
) -> Callable[[], tuple[Participant | None, int | None]]:
    """Send the lock of the code's participant now; the function returned reads the
    participant (None for an unknown code) and, on PostgreSQL, a new response key."""
    if vendor != "postgresql":
        rows = _LOCKED_BY_DIGEST.send(digest=digest)
        return lambda: (_participant_from(rows(), _CAMPAIGN_TO_SUBMIT), None)
    drawing = _LOCKED_BY_DIGEST_DRAWING.send(digest=digest)

    def read() -> tuple[Participant | None, int | None]:
        found = drawing()
        if not found:
            return None, None
        return _participant_from([found[0][:-1]], _CAMPAIGN_TO_SUBMIT), found[0][-1]

    return read


def _prepare(
    participant: Participant, instrument: str, read_answers: Callable[[Any], Mapping[str, Any]]
) -> tuple[_Open, _Scored | Response]:
    """The questionnaire chosen by the pupil's age and its answers scored, or the
    response that submitted it before."""
    opened = _Open.of(participant)
    chosen = next(
        (
            i
            for i in opened.instruments
            if i.code == instrument and i.min_age <= opened.age <= i.max_age
        ),
        None,
    )
    if chosen is None:
        raise ValidationError(
            _("This questionnaire is not part of the campaign."), code="instrument"
        )
    done = opened.responses.get(chosen.code)
    if done is not None and done.submitted_at is not None:
        return opened, done
    try:
        loaded = campaign_instrument(chosen.code, chosen.version)
    except ValidationError as exc:
        raise ValidationError(exc.messages[0], code="instrument") from None
    return opened, _score(opened, chosen, read_answers(loaded))


def _scored_before_the_lock(
    digest: str, instrument: str, read_answers: Callable[[Any], Mapping[str, Any]]
) -> tuple[_Open, _Scored] | None:
    """A pupil who has not started, scored before the transaction begins, or None.

    On SQLite a transaction holds the whole database's write lock from its first
    statement, and the other writers queue (``carecircle.db.sqlite3``): scoring
    outside it lets the next pupil's submit in sooner. A pupil with nothing saved
    has nothing another request could change but the row itself, which the
    transaction reads again (``_unchanged``).
    """
    seen = _participant_from(_BY_DIGEST.rows(digest=digest))
    if (
        seen is None
        or seen.status != Participant.Status.ISSUED
        or not participant_open(seen, timezone.now())
    ):
        return None
    opened, prepared = _prepare(seen, instrument, read_answers)
    return (opened, prepared) if isinstance(prepared, _Scored) else None


# What scoring a pupil read that another request could change, read again under the
# transaction's lock.
_RECHECK = Prepared(
    lambda pk: (
        Participant.objects.filter(pk=pk)
        .order_by()
        .select_for_update(of=("self",))
        .values_list(
            "status",
            "consent",
            "campaign__status",
            "campaign__opens_at",
            "campaign__closes_at",
            "minor__birth_date",
        )
    ),
    pk=int,
)


def _unchanged(seen: Participant) -> bool:
    """Whether the locked row still says what scoring ``seen`` read."""
    campaign = seen.campaign
    read = (
        seen.status,
        seen.consent,
        campaign.status,
        campaign.opens_at,
        campaign.closes_at,
        seen.minor.birth_date,
    )
    return [read] == _RECHECK.rows(pk=seen.pk) and participant_open(seen, timezone.now())


def response_submit_by_code(
    *,
    code: str,
    instrument: str,
    read_answers: Callable[[Any], Mapping[str, Any]],
    idempotency_key: str,
) -> tuple[Response | None, bool]:
    """The submit API: the code's participant locked, the questionnaire chosen by the
    pupil's age, the answers read for the loaded instrument by ``read_answers``
    (whose errors propagate, with nothing stored), then scored and stored once, in
    one transaction.

    Returns (None, False) when the code opens nothing now, (the first submission,
    False) when this questionnaire was submitted before, (the response, True) when
    this call stored it. A questionnaire that is not the pupil's, or that changed
    since the campaign opened, is a ValidationError with the code "instrument".
    """
    digest = code_digest(code)
    vendor = connections[DEFAULT_DB_ALIAS].vendor
    early = None
    if vendor == "sqlite":
        early = _scored_before_the_lock(digest, instrument, read_answers)
    # On PostgreSQL the participant's lock draws the response's key, and the writes
    # go out together (carecircle.db.pipeline); the database chains the audit event
    # as it appends it, so the chain head is held from there to the commit only.
    with atomic_pipelined():
        if early is not None and _unchanged(early[0].participant):
            with chain_held():
                return _store(*early, idempotency_key), True
        locking = _locking_by_digest(digest, vendor)
        with chain_held():
            locked, key = locking()
            if locked is None or not participant_open(locked, timezone.now()):
                return None, False
            opened, prepared = _prepare(locked, instrument, read_answers)
            if isinstance(prepared, Response):
                return prepared, False
            return _store(opened, prepared, idempotency_key, key), True


OPEN_STATUSES = (Participant.Status.ISSUED, Participant.Status.STARTED)


def _set_consent(actor: Any, participant: Participant, consent: str, on: date) -> None:
    participant.consent = consent
    participant.consent_on = on
    participant.save(update_fields=["consent", "consent_on"])
    audit_record(
        actor=actor,
        action=AuditEvent.Action.UPDATE,
        object_type="screening.participant",
        object_id=participant.pk,
        minor_id=participant.minor_id,
        fields=["consent", "consent_on"],
        details={"campaign": participant.campaign_id, "consent": consent},
    )


def _consent_error(participant: Participant) -> str:
    if participant.consent == Participant.Consent.NOT_NEEDED:
        return _("This pupil needs no guardian consent.")
    if participant.status not in OPEN_STATUSES:
        return _("This pupil has already answered.")
    return ""


@transaction.atomic
def participant_consent_record(
    *, actor: Any, participant: Participant, consent: str, on: date
) -> None:
    """A guardian's answer for a pupil under 14, before the pupil answers."""
    participant = Participant.objects.select_for_update().get(pk=participant.pk)
    if not can_run_campaigns(actor, participant.campaign.school):
        raise PermissionDenied(_("You cannot run screening campaigns at this school."))
    if consent not in (Participant.Consent.GIVEN, Participant.Consent.REFUSED):
        raise ValidationError(_("Record whether the guardian consented or refused."))
    error = _consent_error(participant)
    if error:
        raise ValidationError(error)
    _set_consent(actor, participant, consent, on)


@transaction.atomic
def class_consent_record(
    *, actor: Any, campaign: Campaign, school_class: SchoolClass | None, on: date
) -> int:
    """Every pupil of the class still awaiting an answer: consented. Each one audited."""
    if not can_run_campaigns(actor, campaign.school):
        raise PermissionDenied(_("You cannot run screening campaigns at this school."))
    waiting = (
        campaign.participants.filter(school_class=school_class)
        .exclude(status=Participant.Status.VOID)
        .filter(consent=Participant.Consent.PENDING, status__in=OPEN_STATUSES)
    )
    changed = 0
    for participant in waiting.select_for_update().order_by("pk"):
        _set_consent(actor, participant, Participant.Consent.GIVEN, on)
        changed += 1
    return changed


@transaction.atomic
def campaign_close(*, actor: Any, campaign: Campaign) -> None:
    """Stop the campaign now: no code opens a questionnaire any more."""
    if not can_run_campaigns(actor, campaign.school):
        raise PermissionDenied(_("You cannot run screening campaigns at this school."))
    now = timezone.now()
    campaign.status = Campaign.Status.CLOSED
    if campaign.opens_at < now < campaign.closes_at:
        campaign.closes_at = now
    campaign.save(update_fields=["status", "closes_at", "updated_at"])
    audit_record(
        actor=actor,
        action=AuditEvent.Action.UPDATE,
        object_type="screening.campaign",
        object_id=campaign.pk,
        fields=["status", "closes_at"],
        details={"status": Campaign.Status.CLOSED},
    )
