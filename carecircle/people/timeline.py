"""A child's timeline: every module adds its own entries, each showing only what the viewer may see.

How a module adds entries
    Write a ``timeline.py`` in the app (it is imported on the first timeline
    request, like ``admin.py``) with one function per kind of entry::

        from carecircle.people.timeline import TimelineEntry, day_start, timeline_provider

        @timeline_provider("cases.opened")
        def cases_opened(viewer, minor, *, before, limit):
            cases = cases_visible_to(viewer).filter(minor=minor)  # the module's own rule
            if before is not None:
                cases = cases.filter(opened_at__lt=before)
            for case in cases.order_by("-opened_at")[:limit]:
                yield TimelineEntry(at=case.opened_at, kind="case", title=..., url=...)

The contract a provider keeps
    - It is called only for a child the viewer may see (``timeline_for`` checks
      the permission layer before asking anyone), but seeing the child is not
      seeing everything about the child: the provider filters its own rows by its
      own rule (a case provider returns only cases the viewer can open, a
      screening provider nothing the viewer's role may not read). When in doubt,
      return nothing.
    - It returns entries strictly older than ``before`` (all of them when
      ``before`` is None), at most ``limit`` of them, the newest ones. Order does
      not matter: ``timeline_for`` merges and sorts every provider's entries.
    - Titles and details are for the viewer's eyes: no values the page around
      them would not show (never an unmasked ID number), and for changes the
      names of the fields, never their old or new values.
    - ``at`` is an aware datetime; a fact known only by its day uses
      ``day_start(day)``. ``url`` is a link the viewer may follow, or "".

Paging
    ``timeline_for`` asks each provider for ``limit + 1`` entries, merges them
    and cuts the page where the time changes, so that entries sharing one instant
    are never split across two pages; the next page starts strictly before the
    last entry shown (``TimelinePage.next_before``). The pages load the next one
    with htmx ("older entries"), or as a plain link without JavaScript.

The registry's own providers are at the end of this module: the child's
registration, category memberships opened and ended (with the reason), changes
to the record, its guardians and its household (from the audit log, field names
only), and merges of duplicate records.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta
from typing import Any, Protocol

from django.core.exceptions import FieldDoesNotExist, ImproperlyConfigured, PermissionDenied
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.module_loading import autodiscover_modules
from django.utils.translation import gettext as _

from carecircle.audit.models import AuditEvent
from carecircle.people.models import CategoryMembership, Guardian, Household, Minor
from carecircle.people.permissions import minors_visible_to

# Bootstrap contextual colours a provider may use for its entry's marker.
TONES = frozenset({"primary", "secondary", "success", "danger", "warning", "info", "dark"})
DEFAULT_LIMIT = 50
# The most entries one instant can hold before paging gives up on keeping it whole.
_SAME_INSTANT_CAP = 500


@dataclass(frozen=True)
class TimelineEntry:
    """One event in a child's life as the registry and the modules know it."""

    at: datetime
    kind: str
    title: str
    detail: str = ""
    url: str = ""
    tone: str = "secondary"
    source: str = ""  # the provider's key; set by ``timeline_for``

    def __post_init__(self) -> None:
        if timezone.is_naive(self.at):
            raise ValueError("a timeline entry needs an aware datetime (use day_start for a date)")
        if self.tone not in TONES:
            raise ValueError(f"unknown tone {self.tone!r}; use one of {sorted(TONES)}")


class TimelineProvider(Protocol):
    def __call__(
        self, viewer: Any, minor: Minor, *, before: datetime | None, limit: int
    ) -> Iterable[TimelineEntry]: ...


@dataclass(frozen=True)
class TimelinePage:
    entries: list[TimelineEntry]
    next_before: datetime | None  # None: no older entries

    @property
    def has_more(self) -> bool:
        return self.next_before is not None

    @property
    def next_cursor(self) -> str:
        return encode_cursor(self.next_before) if self.next_before else ""


_PROVIDERS: dict[str, TimelineProvider] = {}
_discovered = False


def timeline_provider(key: str) -> Callable[[TimelineProvider], TimelineProvider]:
    """Register a provider under a unique ``key`` ("<app>.<what>")."""

    def register(provider: TimelineProvider) -> TimelineProvider:
        known = _PROVIDERS.get(key)
        if known is not None and _qualname(known) != _qualname(provider):
            raise ImproperlyConfigured(f"timeline provider {key!r} is registered twice")
        _PROVIDERS[key] = provider
        return provider

    return register


def _qualname(provider: TimelineProvider) -> str:
    return f"{getattr(provider, '__module__', '')}.{getattr(provider, '__qualname__', '')}"


def providers() -> dict[str, TimelineProvider]:
    """Every registered provider, after importing each installed app's ``timeline`` module."""
    global _discovered
    if not _discovered:
        autodiscover_modules("timeline")
        _discovered = True
    return dict(_PROVIDERS)


def day_start(day: date) -> datetime:
    """The first instant of ``day`` in the local time zone (for facts known by their date)."""
    return timezone.make_aware(datetime.combine(day, time.min))


def encode_cursor(at: datetime) -> str:
    return at.astimezone(timezone.get_fixed_timezone(0)).isoformat(timespec="microseconds")


def parse_cursor(raw: str) -> datetime | None:
    """The ``before`` of a page link, or None for the first page; ValueError when malformed."""
    raw = raw.strip()
    if not raw:
        return None
    if len(raw) > 40:
        raise ValueError("cursor too long")
    at = datetime.fromisoformat(raw)
    if timezone.is_naive(at):
        raise ValueError("cursor without a time zone")
    return at


def _collect(
    viewer: Any, minor: Minor, *, before: datetime | None, limit: int
) -> list[TimelineEntry]:
    entries: list[TimelineEntry] = []
    for key, provider in sorted(providers().items()):
        for entry in provider(viewer, minor, before=before, limit=limit):
            if before is not None and entry.at >= before:
                continue  # a provider that ignored ``before`` must not repeat a page
            entries.append(replace(entry, source=key))
    entries.sort(key=lambda e: (e.at, e.source), reverse=True)
    return entries


def timeline_for(
    viewer: Any, minor: Minor, *, limit: int = DEFAULT_LIMIT, before: datetime | None = None
) -> TimelinePage:
    """One page of ``minor``'s timeline as ``viewer`` may see it, newest first."""
    if limit < 1:
        raise ValueError("limit must be positive")
    if not minors_visible_to(viewer).filter(pk=minor.pk).exists():
        # Callers fetch the child with get_minor_for_user; this is the backstop.
        raise PermissionDenied
    merged = _collect(viewer, minor, before=before, limit=limit + 1)
    if len(merged) <= limit:
        return TimelinePage(entries=merged, next_before=None)
    boundary = merged[limit].at  # the newest entry left off
    page = [e for e in merged[:limit] if e.at > boundary]
    if not page:
        # More than ``limit`` entries share one instant: show that instant whole.
        page = [
            e
            for e in _collect(
                viewer, minor, before=boundary + timedelta(microseconds=1), limit=_SAME_INSTANT_CAP
            )
            if e.at == boundary
        ]
    return TimelinePage(entries=page, next_before=page[-1].at)


# --- The registry's own entries ------------------------------------------------------


def _dated_before(field: str, before: datetime | None) -> Q:
    """Rows whose date ``field`` begins strictly before the instant ``before``."""
    if before is None:
        return Q()
    local = timezone.localtime(before)
    day = local.date()
    if local.timetz().replace(tzinfo=None) == time.min:
        return Q(**{f"{field}__lt": day})
    return Q(**{f"{field}__lte": day})


def _by(event: AuditEvent) -> str:
    actor = event.actor
    name = actor.display_name if actor is not None else event.actor_username
    return _("by %(name)s") % {"name": name} if name else _("by the system")


def _field_labels(model: type[Any], names: Iterable[str]) -> str:
    labels = []
    for name in names:
        try:
            labels.append(str(model._meta.get_field(name).verbose_name))
        except FieldDoesNotExist:
            continue  # a pseudo-field: nothing the viewer needs to read
    return "、".join(dict.fromkeys(labels))


@timeline_provider("people.registration")
def registration(
    viewer: Any, minor: Minor, *, before: datetime | None, limit: int
) -> Iterator[TimelineEntry]:
    """When the record was created, and by whom when the audit log knows."""
    if before is not None and minor.created_at >= before:
        return
    created = (
        AuditEvent.objects.filter(
            minor_id=minor.pk,
            action=AuditEvent.Action.CREATE,
            object_type="people.minor",
            object_id=str(minor.pk),
        )
        .select_related("actor")
        .first()
    )
    yield TimelineEntry(
        at=minor.created_at,
        kind="registered",
        title=_("Registered in the child registry"),
        detail=_by(created) if created is not None else "",
        tone="primary",
    )


@timeline_provider("people.categories")
def category_memberships(
    viewer: Any, minor: Minor, *, before: datetime | None, limit: int
) -> Iterator[TimelineEntry]:
    """Each category opened (with why it applies) and ended (with why it ended)."""
    memberships = minor.categories.all()
    opened = memberships.filter(_dated_before("valid_from", before)).order_by("-valid_from", "-pk")
    ended = (
        memberships.filter(valid_to__isnull=False)
        .filter(_dated_before("valid_to", before))
        .order_by("-valid_to", "-pk")
    )
    for membership in opened[:limit]:
        yield TimelineEntry(
            at=day_start(membership.valid_from),
            kind="category_opened",
            title=_("Category from now on: %(category)s") % {"category": _label(membership)},
            detail=membership.reason,
            tone="info",
        )
    for membership in ended[:limit]:
        yield TimelineEntry(
            at=day_start(membership.valid_to or membership.valid_from),
            kind="category_ended",
            title=_("Category ended: %(category)s") % {"category": _label(membership)},
            detail=membership.end_reason,
            tone="secondary",
        )


def _label(membership: CategoryMembership) -> str:
    label = membership.get_category_display()
    return f"{label}（{membership.subtype}）" if membership.subtype else str(label)


_CHANGE_MODELS: dict[str, type[Any]] = {
    "people.minor": Minor,
    "people.guardian": Guardian,
    "people.household": Household,
}


def _change_title(object_type: str, action: str) -> str:
    titles = {
        ("people.minor", "update"): _("Record updated"),
        ("people.guardian", "create"): _("Guardian added"),
        ("people.guardian", "update"): _("Guardian updated"),
        ("people.guardian", "delete"): _("Guardian removed"),
        ("people.household", "create"): _("Household recorded"),
        ("people.household", "update"): _("Household updated"),
    }
    return titles.get((object_type, action), _("Record changed"))


@timeline_provider("people.changes")
def record_changes(
    viewer: Any, minor: Minor, *, before: datetime | None, limit: int
) -> Iterator[TimelineEntry]:
    """Changes to the child's record, guardians and household: which fields, never values.

    Read from the audit log, which the timeline may read for a child the viewer sees.
    """
    # Only events carrying the child's id: the log is indexed on (minor_id, at), and a
    # search by object id would scan it whole. (``household_update`` records no child,
    # so later edits of a shared household do not show here.)
    events = AuditEvent.objects.filter(
        minor_id=minor.pk,
        object_type__in=list(_CHANGE_MODELS),
        action__in=[
            AuditEvent.Action.CREATE,
            AuditEvent.Action.UPDATE,
            AuditEvent.Action.DELETE,
        ],
    ).exclude(object_type="people.minor", action=AuditEvent.Action.CREATE)  # registration
    if before is not None:
        events = events.filter(at__lt=before)
    for event in events.select_related("actor").order_by("-at", "-seq")[:limit]:
        fields = _field_labels(_CHANGE_MODELS[event.object_type], event.fields or [])
        detail = _("Changed: %(fields)s") % {"fields": fields} if fields else ""
        yield TimelineEntry(
            at=event.at,
            kind="changed",
            title=_change_title(event.object_type, event.action),
            detail=f"{detail} · {_by(event)}" if detail else _by(event),
        )


@timeline_provider("people.merges")
def merges(
    viewer: Any, minor: Minor, *, before: datetime | None, limit: int
) -> Iterator[TimelineEntry]:
    """Duplicate records merged into this one, or this record merged into another.

    A merge is audited on the surviving record, naming the duplicate in its details.
    """
    about = Q(minor_id=minor.pk)
    if minor.merged_into_id is not None:
        about |= Q(minor_id=minor.merged_into_id, details__duplicate=minor.pk)
    query = AuditEvent.objects.filter(about, action=AuditEvent.Action.MERGE)
    if before is not None:
        query = query.filter(at__lt=before)
    events = list(query.select_related("actor").order_by("-at", "-seq")[:limit])
    others = {
        other
        for e in events
        for other in ((e.details or {}).get("duplicate"), e.minor_id)
        if isinstance(other, int) and other != minor.pk
    }
    visible = set(minors_visible_to(viewer).filter(pk__in=others).values_list("pk", flat=True))
    for event in events:
        details = event.details or {}
        if event.minor_id == minor.pk:
            title, other = (
                _("A duplicate record was merged into this one"),
                details.get("duplicate"),
            )
        else:
            title, other = _("This record was merged into another"), event.minor_id
        parts = [
            _field_labels(Minor, event.fields or []),
            str(details.get("reason") or ""),
            _by(event),
        ]
        yield TimelineEntry(
            at=event.at,
            kind="merged",
            title=title,
            detail=" · ".join(p for p in parts if p),
            url=reverse("people:minor-detail", args=[other]) if other in visible else "",
            tone="warning",
        )
