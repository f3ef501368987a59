"""Indicators of screening (issue 4, item 8): questionnaires, pupils screened, red
results and key assistance targets, for a period and an area subtree.

The area is the child's residence code (``Minor.area_code``) under the scope's
prefixes, the convention of ``people.indicators``, not the school's division: a
pupil who lives in one town and attends school in the next counts where they live.
A period runs from the first day's midnight to the midnight after the last day,
local time. A record merged into another counts as the child it was merged into
(screening results stay on the duplicate), so a child screened under both records
is one person.
"""

from __future__ import annotations

from datetime import timedelta

from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _

from carecircle.accounts.permissions import prefix_q
from carecircle.people.timeline import day_start
from carecircle.screening.models import KeyTarget, Response
from carecircle.stats.registry import Scope, Unit, distinct_children, indicator

SCREENING = _("Screening")
RED_LEVELS = (Response.Triage.RED, Response.Triage.RED_CRITICAL)


def submitted_in(scope: Scope) -> QuerySet[Response]:
    """Questionnaires submitted within the period by children living in the scope."""
    return Response.objects.filter(
        prefix_q("participant__minor__area_code", scope.prefixes) or Q(),
        submitted_at__gte=day_start(scope.start),
        submitted_at__lt=day_start(scope.end + timedelta(days=1)),
    )


def responses(scope: Scope) -> int:
    return submitted_in(scope).count()


def minors_screened(scope: Scope) -> int:
    return distinct_children(submitted_in(scope), "participant__minor")


def minors_red(scope: Scope) -> int:
    return distinct_children(
        submitted_in(scope).filter(triage__in=RED_LEVELS), "participant__minor"
    )


def key_targets(scope: Scope) -> int:
    """Children confirmed as key assistance targets by the last day and not ended
    before it (ended on the last day still counts: they were a target that day)."""
    rows = KeyTarget.objects.filter(
        Q(ended_at__isnull=True) | Q(ended_at__gte=day_start(scope.end)),
        prefix_q("minor__area_code", scope.prefixes) or Q(),
        confirmed_at__lt=day_start(scope.end + timedelta(days=1)),
    )
    return distinct_children(rows)


indicator(
    "screening.responses",
    name=_("Screening questionnaires"),
    unit=Unit.COPIES,
    group=SCREENING,
    counts_children=True,
    definition=_(
        "Questionnaires submitted in the period by children living in the area. A child "
        "who answers two questionnaires, or is screened in two rounds, counts each time."
    ),
)(responses)
indicator(
    "screening.minors_screened",
    name=_("Children screened"),
    unit=Unit.PERSONS,
    group=SCREENING,
    counts_children=True,
    definition=_(
        "Distinct children living in the area who submitted at least one questionnaire in "
        "the period. A child screened more than once counts once."
    ),
)(minors_screened)
indicator(
    "screening.red",
    name=_("Children with a red result"),
    unit=Unit.PERSONS,
    group=SCREENING,
    counts_children=True,
    definition=_(
        "Distinct children living in the area with at least one questionnaire submitted in "
        "the period whose triage level was red or red-critical."
    ),
)(minors_red)
indicator(
    "screening.key_targets",
    name=_("Key assistance targets"),
    unit=Unit.PERSONS,
    group=SCREENING,
    counts_children=True,
    definition=_(
        "Distinct children living in the area who were confirmed key assistance targets on "
        "the last day of the period: confirmed by then and not ended before that day."
    ),
)(key_targets)
