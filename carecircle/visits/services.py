"""Recording visits, idempotently, and auditing every read of one.

A visit is recorded from a phone that may have been offline for days: the phone
generates an idempotency key for each visit and sends it with every try. The key
is unique per recorder, so:

- a retry with the same key and the same content returns the visit the first try
  made and changes nothing (``visit_record`` returns it with ``created=False``);
- the same key with different content is a ``VisitConflictError``, which the API and
  the offline queue show to the person: nothing is overwritten silently;
- two tries arriving at once are serialised by the unique constraint: the loser
  finds the winner's visit and answers as a retry.

Validation comes before any write: no future time, every child active and inside
the recorder's own divisions (``permissions.minors_recordable_by``; a child outside
them is answered like one that does not exist), a home visit to one household, risk
flags known and meant for the child's age. What a visit sets off — follow-up and
police-report tasks, alerts to the supervisor — is in ``tasks``, in the same
transaction, through the outbox.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from carecircle.accounts import permissions as perms
from carecircle.accounts.models import User
from carecircle.audit.models import AuditEvent
from carecircle.audit.services import audit_record
from carecircle.people.models import Minor
from carecircle.regions.codes import PREFIX_LENGTHS
from carecircle.visits import flags as risk
from carecircle.visits.models import OBSERVATIONS, Finding, Visit, VisitMinor
from carecircle.visits.permissions import (
    MAX_ID,
    minors_recordable_by,
    recording_prefixes,
    require_recorder,
)
from carecircle.visits.tasks import visit_consequences

# Visible ASCII, 8 to 64 characters: a UUID, a ULID or base64 fits, and a key never
# reaches a log with control characters in it.
KEY_PATTERN = re.compile(r"[!-~]{8,64}")
MAX_MINORS = 20
MAX_NOTES = 5000
# A phone's clock may run a little fast; more than this ahead is a wrong date.
CLOCK_SKEW = timedelta(minutes=5)
# The fields of a visit as recorded, in the audit entry (names only, never values).
RECORDED_FIELDS = sorted(
    [
        "kind",
        "occurred_at",
        "visitors",
        "other_visitors",
        "household",
        "minors",
        *OBSERVATIONS,
        "notes",
        "follow_up_needed",
        "refer_to_centre",
    ]
)


class VisitConflictError(Exception):
    """The idempotency key was used before for a visit with different content."""

    message = gettext_lazy(
        "This visit was already sent with different details. Compare the two and "
        "record the changes as a new visit if they are needed."
    )

    def __init__(self, visit: Visit) -> None:
        super().__init__(str(self.message))
        self.visit = visit


@dataclass(frozen=True)
class MinorSeen:
    """A child seen on the visit, with the risk flags the visitor set for that child."""

    minor_id: int
    risk_flags: tuple[str, ...] = ()


@dataclass(frozen=True)
class VisitInput:
    """What a person records about a visit; a form or the API fills it."""

    kind: str
    occurred_at: datetime
    minors: tuple[MinorSeen, ...]
    visitor_ids: tuple[int, ...] = ()
    other_visitors: str = ""
    observations: Mapping[str, str] = field(default_factory=dict)
    notes: str = ""
    follow_up_needed: bool = False
    refer_to_centre: bool = False


@dataclass
class _Checked:
    """The input validated, with the rows it names."""

    minors: list[Minor]
    flags: dict[int, list[str]]
    visitors: list[User]
    observations: dict[str, str]
    household_id: int | None
    area_code: str


def _errors_add(errors: dict[str, list[str]], key: str, message: str) -> None:
    errors.setdefault(key, []).append(message)


def check_key(key: str) -> str:
    if not isinstance(key, str) or not KEY_PATTERN.fullmatch(key):
        raise ValidationError(
            {
                "idempotency_key": [
                    _(
                        "Give an idempotency key of 8 to 64 visible ASCII characters, "
                        "for example a UUID."
                    )
                ]
            }
        )
    return key


def common_area(codes: Iterable[str]) -> str:
    """The narrowest division prefix holding every code (the village for one household)."""
    codes = list(codes)
    for length in sorted(PREFIX_LENGTHS.values(), reverse=True):
        heads = {code[:length] for code in codes}
        if len(heads) == 1:
            return heads.pop()
    return ""


def _observations(given: Mapping[str, str], errors: dict[str, list[str]]) -> dict[str, str]:
    found = {name: str(Finding.NOT_CHECKED) for name in OBSERVATIONS}
    for name, value in given.items():
        if name not in found:
            _errors_add(
                errors, "observations", _("The checklist has no item %(name)s.") % {"name": name}
            )
        elif value not in Finding.values:
            _errors_add(
                errors,
                "observations",
                _("%(name)s: choose one of %(values)s.")
                % {"name": name, "values": ", ".join(Finding.values)},
            )
        else:
            found[name] = value
    return found


def _flags_for(minor: Minor, given: Sequence[str], day: Any) -> list[str]:
    """The child's flags, known and meant for the child's age; ValueError names the fault."""
    age = minor.age_on(day)
    kept: list[str] = []
    for flag in given:
        rule = risk.RULES.get(flag)
        if rule is None:
            raise ValueError(_("There is no risk flag %(flag)s.") % {"flag": flag})
        if rule.under_age is not None and age >= rule.under_age:
            raise ValueError(
                _("“%(flag)s” applies only to children under %(age)d; %(name)s is %(years)d.")
                % {
                    "flag": risk.RiskFlag(flag).label,
                    "age": rule.under_age,
                    "name": minor.name,
                    "years": age,
                }
            )
        if flag not in kept:
            kept.append(flag)
    return kept


def _check_minors(
    actor: Any, data: VisitInput, errors: dict[str, list[str]]
) -> tuple[list[Minor], dict[int, list[str]]]:
    ids = [seen.minor_id for seen in data.minors]
    if not ids:
        _errors_add(errors, "minors", _("Name at least one child seen on the visit."))
        return [], {}
    if len(ids) > MAX_MINORS:
        _errors_add(
            errors, "minors", _("Name at most %(n)d children on one visit.") % {"n": MAX_MINORS}
        )
        return [], {}
    if len(set(ids)) != len(ids):
        _errors_add(errors, "minors", _("Each child may be named once."))
    # Ids a 64-bit column cannot hold are answered like any unknown id, unqueried.
    known = [i for i in ids if 0 < i <= MAX_ID]
    found = {m.pk: m for m in minors_recordable_by(actor).filter(pk__in=known)}
    for minor_id in dict.fromkeys(ids):
        if minor_id not in found:
            # The same words for a child out of the recorder's area and for no child.
            _errors_add(
                errors,
                "minors",
                _("Child %(id)s is not in your area or does not exist.") % {"id": minor_id},
            )
    minors = [found[i] for i in dict.fromkeys(ids) if i in found]
    flags: dict[int, list[str]] = {}
    day = (
        timezone.localtime(data.occurred_at).date() if timezone.is_aware(data.occurred_at) else None
    )
    for seen in data.minors:
        minor = found.get(seen.minor_id)
        if minor is None or day is None:
            continue
        try:
            flags[minor.pk] = _flags_for(minor, seen.risk_flags, day)
        except ValueError as exc:
            _errors_add(errors, "minors", str(exc))
    return minors, flags


def _check_visitors(actor: Any, ids: Sequence[int], errors: dict[str, list[str]]) -> list[User]:
    wanted = [i for i in dict.fromkeys(ids) if i != actor.pk]
    known = [i for i in wanted if 0 < i <= MAX_ID]
    found = {u.pk: u for u in User.objects.filter(pk__in=known, is_active=True)}
    for user_id in wanted:
        if user_id not in found:
            _errors_add(
                errors,
                "visitors",
                _("No active colleague has the number %(id)s.") % {"id": user_id},
            )
    return [found[i] for i in wanted if i in found]


def validate_visit(actor: Any, data: VisitInput) -> _Checked:
    """Every fault of the input at once, keyed by field, or the rows it names."""
    errors: dict[str, list[str]] = {}
    if data.kind not in Visit.Kind.values:
        _errors_add(errors, "kind", _("Choose the kind of visit."))
    if timezone.is_naive(data.occurred_at):
        _errors_add(errors, "occurred_at", _("Give the time of the visit with its time zone."))
    elif data.occurred_at > timezone.now() + CLOCK_SKEW:
        _errors_add(errors, "occurred_at", _("The visit cannot be in the future."))
    minors, flags = _check_minors(actor, data, errors)
    households = {m.household_id for m in minors}
    if (
        data.kind == Visit.Kind.HOME
        and len(minors) > 1
        and (len(households) > 1 or None in households)
    ):
        _errors_add(
            errors,
            "minors",
            _("A home visit is to one household: these children are not recorded as one."),
        )
    visitors = _check_visitors(actor, data.visitor_ids, errors)
    if len(data.other_visitors) > 200:
        _errors_add(errors, "other_visitors", _("Name the other visitors in 200 characters."))
    if len(data.notes) > MAX_NOTES:
        _errors_add(errors, "notes", _("Keep the notes under %(n)d characters.") % {"n": MAX_NOTES})
    observations = _observations(data.observations, errors)
    area = common_area(m.area_code for m in minors)
    if minors and not perms.covers(recording_prefixes(actor), area):
        # The recorder must read what they record: a visit is read by its division.
        _errors_add(
            errors, "minors", _("Record the children of different villages on separate visits.")
        )
    if errors:
        raise ValidationError(errors)
    return _Checked(
        minors=minors,
        flags=flags,
        visitors=visitors,
        observations=observations,
        household_id=households.pop() if len(households) == 1 else None,
        area_code=area,
    )


def _content(
    *,
    kind: str,
    occurred_at: datetime,
    minors: Mapping[int, Iterable[str]],
    visitors: Iterable[int],
    other_visitors: str,
    observations: Mapping[str, str],
    notes: str,
    follow_up_needed: bool,
    refer_to_centre: bool,
) -> dict[str, Any]:
    """What makes two submissions the same visit, in one comparable shape."""
    return {
        "kind": kind,
        "occurred_at": occurred_at,
        "minors": {int(k): sorted(set(v)) for k, v in minors.items()},
        "visitors": sorted(set(visitors)),
        "other_visitors": other_visitors,
        "observations": {
            name: observations.get(name, Finding.NOT_CHECKED) for name in OBSERVATIONS
        },
        "notes": notes,
        "follow_up_needed": follow_up_needed,
        "refer_to_centre": refer_to_centre,
    }


def _stored_content(visit: Visit) -> dict[str, Any]:
    return _content(
        kind=visit.kind,
        occurred_at=visit.occurred_at,
        minors={row.minor_id: row.risk_flags for row in visit.seen.all()},
        visitors=visit.visitors.values_list("pk", flat=True),
        other_visitors=visit.other_visitors,
        observations={name: getattr(visit, name) for name in OBSERVATIONS},
        notes=visit.notes or "",
        follow_up_needed=visit.follow_up_needed,
        refer_to_centre=visit.refer_to_centre,
    )


def _given_content(actor: Any, data: VisitInput) -> dict[str, Any]:
    minors: dict[int, list[str]] = {}
    for seen in data.minors:
        minors.setdefault(seen.minor_id, []).extend(seen.risk_flags)
    return _content(
        kind=data.kind,
        occurred_at=data.occurred_at,
        minors=minors,
        visitors=[i for i in data.visitor_ids if i != actor.pk],
        other_visitors=data.other_visitors,
        observations=data.observations,
        notes=data.notes,
        follow_up_needed=data.follow_up_needed,
        refer_to_centre=data.refer_to_centre,
    )


def _replay(actor: Any, data: VisitInput, visit: Visit) -> tuple[Visit, bool]:
    """A retry of ``visit``: returned as it is, or a conflict when the content differs."""
    if _stored_content(visit) != _given_content(actor, data):
        raise VisitConflictError(visit)
    return visit, False


def normalised(data: VisitInput) -> VisitInput:
    """Text trimmed as it is stored, so that a retry compares equal to what was saved."""
    return VisitInput(
        kind=data.kind,
        occurred_at=data.occurred_at,
        minors=tuple(MinorSeen(int(s.minor_id), tuple(s.risk_flags)) for s in data.minors),
        visitor_ids=tuple(int(i) for i in data.visitor_ids),
        other_visitors=data.other_visitors.strip(),
        observations=dict(data.observations),
        notes=data.notes.strip(),
        follow_up_needed=bool(data.follow_up_needed),
        refer_to_centre=bool(data.refer_to_centre and data.follow_up_needed),
    )


@transaction.atomic
def visit_record(*, actor: Any, data: VisitInput, idempotency_key: str) -> tuple[Visit, bool]:
    """Record a visit once; returns ``(visit, created)``.

    ``created`` is False for a retry with the same key and content (nothing was
    written). Raises ``PermissionDenied`` for a role that records no visits,
    ``ValidationError`` (messages by field) for bad input or a bad key, and
    ``VisitConflictError`` for a key used before with other content.
    """
    check_key(idempotency_key)
    require_recorder(actor)
    data = normalised(data)
    earlier = Visit.objects.filter(recorded_by=actor, idempotency_key=idempotency_key).first()
    if earlier is not None:
        return _replay(actor, data, earlier)
    checked = validate_visit(actor, data)
    try:
        with transaction.atomic():
            visit = Visit.objects.create(
                kind=data.kind,
                occurred_at=data.occurred_at,
                recorded_by=actor,
                other_visitors=data.other_visitors,
                household_id=checked.household_id,
                area_code=checked.area_code,
                notes=data.notes,
                follow_up_needed=data.follow_up_needed,
                refer_to_centre=data.refer_to_centre,
                idempotency_key=idempotency_key,
                **checked.observations,
            )
    except IntegrityError:
        # A concurrent try with the same key won: answer as its retry.
        winner = Visit.objects.get(recorded_by=actor, idempotency_key=idempotency_key)
        return _replay(actor, data, winner)
    day = timezone.localtime(data.occurred_at).date()
    seen = VisitMinor.objects.bulk_create(
        [
            VisitMinor(
                visit=visit,
                minor=minor,
                visited_on=day,
                area_code=minor.area_code,
                household_id=minor.household_id,
                risk_flags=checked.flags.get(minor.pk, []),
            )
            for minor in checked.minors
        ]
    )
    visit.visitors.set(checked.visitors)
    for row in seen:
        audit_record(
            actor=actor,
            action=AuditEvent.Action.CREATE,
            object_type="visits.visit",
            object_id=visit.pk,
            minor_id=row.minor_id,
            fields=RECORDED_FIELDS,
            details={"kind": visit.kind, "flags": row.risk_flags, "area": visit.area_code},
        )
    visit_consequences(actor=actor, visit=visit, seen=seen)
    return visit, True


@transaction.atomic
def visit_view(*, actor: Any, visit: Visit, fields: Sequence[str]) -> None:
    """Record that ``actor`` is about to read ``visit``: one entry per child seen, so that
    "who read about this child" finds it. The page renders only if this commits."""
    for minor_id in visit.seen.values_list("minor_id", flat=True):
        audit_record(
            actor=actor,
            action=AuditEvent.Action.VIEW,
            object_type="visits.visit",
            object_id=visit.pk,
            minor_id=minor_id,
            fields=list(fields),
        )


@transaction.atomic
def visits_listed(*, actor: Any, visits: Sequence[Visit], minor_ids: Sequence[int]) -> None:
    """One entry for a page of visits naming children (as ``people.services.minors_listed``)."""
    if not visits:
        return
    audit_record(
        actor=actor,
        action=AuditEvent.Action.LIST,
        object_type="visits.visit",
        details={
            "ids": list(dict.fromkeys(minor_ids))[:200],
            "visits": [v.pk for v in visits][:200],
        },
    )
