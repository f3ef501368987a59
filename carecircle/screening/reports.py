"""Screening reports (issue 4, item 8): per school, grade and class, for each
instrument, the band and triage-level distributions of the latest round and their
trend across rounds (the school's campaigns in time order). No report names a pupil.

Who sees what
    The school's psychology teacher and the centre — whoever runs campaigns at the
    school (``permissions.can_run_campaigns``) — see the counts as they are. The
    school's administrator (``Role.SCHOOL_ADMIN`` on that school) sees the same
    tables with small cells suppressed (item 7: aggregates only). Nobody else.

Small cells
    For an aggregates-only viewer a count from 1 to ``CARECIRCLE_MIN_CELL`` - 1 is
    shown as "<5" (``SMALL``); zero is shown, as on the statistics page, since it
    singles no child out. Then no cell may be worked out from the others: a round
    of one instrument is one table in which every distribution adds up to its total
    (bands, triage levels) and every count of the school adds up over its grades and
    the pupils without a class, and every count of a grade over its classes. Where
    such a sum has exactly one hidden term, the smallest other non-zero term is
    withheld as well (``WITHHELD``, shown as "—"), and so on until no sum has a
    single hidden term. The table is suppressed as a whole before any part of it is
    shown, so the school's, a grade's and a class's pages agree and cannot be
    subtracted from one another. A hidden cell carries no value at all, and a share
    is shown only when its count and its total both are.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Hashable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TypeVar

from django.conf import settings
from django.db.models import Count, Q, QuerySet
from django.utils.translation import gettext as _

from carecircle.accounts import permissions as perms
from carecircle.accounts.models import Organisation
from carecircle.accounts.roles import Role
from carecircle.people.models import SchoolClass
from carecircle.screening.instruments import InstrumentError, get_instrument
from carecircle.screening.instruments.model import localize
from carecircle.screening.models import Campaign, Response
from carecircle.screening.permissions import can_run_campaigns, runs_campaigns, school_scope_q

NO_CLASS = 0  # the class of the pupils enrolled without one, as in views.NO_CLASS
SHOWN, SMALL, WITHHELD = "shown", "small", "withheld"
TRIAGE_ORDER = (
    Response.Triage.RED_CRITICAL,
    Response.Triage.RED,
    Response.Triage.YELLOW,
    Response.Triage.GREEN,
)
BANDS, TRIAGE, TOTAL = "band", "triage", "total"

Node = tuple[str, int]  # ("school", 0), ("grade", 7), ("class", pk or NO_CLASS)
Key = tuple[Node, str, str]  # (node, BANDS / TRIAGE / TOTAL, category; "" for TOTAL)
SCHOOL: Node = ("school", 0)
K = TypeVar("K", bound=Hashable)


# --- Access --------------------------------------------------------------------------


def admin_schools(user: perms.AnyUser) -> set[int]:
    """Schools whose administrator the user is: aggregates only."""
    return {
        a.organisation_id
        for a in perms.assignments(user)
        if a.role == Role.SCHOOL_ADMIN and a.organisation_id is not None
    }


def reads_reports(user: perms.AnyUser) -> bool:
    """Whether any role lets the user read some school's report (the 403 gate)."""
    return runs_campaigns(user) or bool(admin_schools(user))


def schools_reported_to(user: perms.AnyUser) -> QuerySet[Organisation]:
    """The schools whose reports the user reads, in full or as aggregates."""
    q = school_scope_q(user, "")
    if ids := admin_schools(user):
        q = Q(pk__in=ids) if q is None else q | Q(pk__in=ids)
    if q is None:
        return Organisation.objects.none()
    return Organisation.objects.filter(q, kind=Organisation.Kind.SCHOOL)


def sees_full_counts(user: perms.AnyUser, school: Organisation) -> bool:
    """Counts as they are for those who run the school's campaigns; else suppressed."""
    return can_run_campaigns(user, school)


# --- Suppression ---------------------------------------------------------------------


def suppress(values: dict[K, int], sums: Iterable[Sequence[K]], min_cell: int) -> dict[K, str]:
    """The hidden cells, ``SMALL`` or ``WITHHELD``; every other cell is shown.

    ``sums`` lists the additive relations of the table, each as [whole, *parts]. A
    relation with exactly one hidden term would give it away: hide its smallest other
    non-zero term too (a part before the whole), and repeat until none is left.
    """
    hidden: dict[K, str] = {k: SMALL for k, v in values.items() if 0 < v < min_cell}
    relations = [list(s) for s in sums]
    changed = bool(hidden)
    while changed:
        changed = False
        for terms in relations:
            if sum(1 for k in terms if k in hidden) != 1:
                continue
            candidates = [
                (index == 0, values.get(k, 0), index)
                for index, k in enumerate(terms)
                if k not in hidden and values.get(k, 0) > 0
            ]
            if candidates:  # always, unless the relation does not hold
                hidden[terms[min(candidates)[2]]] = WITHHELD
                changed = True
    return hidden


# --- The report ------------------------------------------------------------------------


@dataclass(frozen=True)
class Category:
    key: str
    label: str


@dataclass(frozen=True)
class Cell:
    """One count: ``value`` and ``share`` are None whenever they are not to be shown."""

    value: int | None
    state: str = SHOWN
    share: float | None = None

    @property
    def percent(self) -> str:
        return "" if self.share is None else f"{self.share * 100:.1f}%"


@dataclass(frozen=True)
class Distribution:
    cells: tuple[tuple[Category, Cell], ...]
    total: Cell


@dataclass(frozen=True)
class Round:
    campaign_id: int
    name: str
    opens_at: datetime
    bands: Distribution | None
    triage: Distribution


@dataclass(frozen=True)
class InstrumentReport:
    code: str
    name: str
    bands: tuple[Category, ...]  # empty for an instrument without bands (ASQ, SCARED)
    triage: tuple[Category, ...]
    rounds: tuple[Round, ...]  # oldest first

    @property
    def latest(self) -> Round:
        return self.rounds[-1]


@dataclass(frozen=True)
class Part:
    """What a report covers: the school (key ""), a grade ("grade-7") or a class
    ("class-12"; "class-0" for the pupils without a class)."""

    key: str
    label: str
    node: Node
    grade: int | None = None


@dataclass(frozen=True)
class SchoolReport:
    school: Organisation
    part: Part
    parts: tuple[Part, ...]
    instruments: tuple[InstrumentReport, ...]
    suppressed: bool
    min_cell: int


def _grade_label(grade: int) -> str:
    return str(dict(SchoolClass.Grade.choices).get(grade, grade))


class _Tables:
    """The school's submitted results counted per (campaign, instrument) and node."""

    def __init__(self, school: Organisation) -> None:
        rows = list(
            Response.objects.filter(
                participant__campaign__school=school, submitted_at__isnull=False
            )
            .values(
                "participant__campaign_id", "code", "participant__school_class_id", "band", "triage"
            )
            .annotate(n=Count("pk"))
            .order_by()
        )
        class_ids = {r["participant__school_class_id"] for r in rows} - {None}
        self.classes = {c.pk: c for c in SchoolClass.objects.filter(pk__in=class_ids)}
        self.counts: dict[tuple[int, str], Counter[Key]] = defaultdict(Counter)
        self.band_keys: dict[str, set[str]] = defaultdict(set)
        self.triage_keys: dict[str, set[str]] = defaultdict(set)
        self.without_class = False
        for row in rows:
            code, n = row["code"], row["n"]
            table = self.counts[(row["participant__campaign_id"], code)]
            self.without_class |= row["participant__school_class_id"] is None
            self.band_keys[code].add(row["band"])
            self.triage_keys[code].add(row["triage"])
            for node in self.chain(row["participant__school_class_id"]):
                table[(node, TOTAL, "")] += n
                table[(node, BANDS, row["band"])] += n
                table[(node, TRIAGE, row["triage"])] += n

    def chain(self, class_id: int | None) -> tuple[Node, ...]:
        """The nodes a pupil of ``class_id`` counts in: class, grade, school."""
        if class_id is None:
            return (("class", NO_CLASS), SCHOOL)
        return (("class", class_id), ("grade", self.classes[class_id].grade), SCHOOL)

    def parent(self, node: Node) -> Node | None:
        if node == SCHOOL:
            return None
        if node[0] == "grade" or node[1] == NO_CLASS:
            return SCHOOL
        return ("grade", self.classes[node[1]].grade)

    def parts(self) -> tuple[Part, ...]:
        grades = sorted({c.grade for c in self.classes.values()})
        parts = [Part("", _("The whole school"), SCHOOL)]
        for grade in grades:
            parts.append(Part(f"grade-{grade}", _grade_label(grade), ("grade", grade), grade))
            in_grade = sorted((c for c in self.classes.values() if c.grade == grade), key=str)
            parts += [Part(f"class-{c.pk}", str(c), ("class", c.pk), grade) for c in in_grade]
        if self.without_class:
            parts.append(Part(f"class-{NO_CLASS}", _("Without a class"), ("class", NO_CLASS)))
        return tuple(parts)


def _categories(
    code: str, band_keys: set[str], triage_keys: set[str]
) -> tuple[str, tuple[Category, ...], tuple[Category, ...]]:
    """(instrument name, band categories, triage categories) in the instrument's order;
    keys that only old versions had come last, by their key."""
    try:
        instrument = get_instrument(code)
    except InstrumentError:
        name, defined = code, []
    else:
        name = localize(instrument.name)
        defined = [Category(b.key, localize(b.label)) for b in instrument.bands]
    known = {c.key for c in defined}
    extra = sorted(band_keys - known)
    bands = defined + [Category(k, k or _("No band")) for k in extra]
    if not defined and extra == [""]:
        bands = []  # an instrument without bands: the triage table says it all
    labels = dict(Response.Triage.choices)
    order = list(TRIAGE_ORDER) + sorted(triage_keys - set(TRIAGE_ORDER))
    triage = [Category(k, str(labels.get(k, k))) for k in order]
    return name, tuple(bands), tuple(triage)


def _relations(
    table: Counter[Key], tables: _Tables, dims: dict[str, tuple[Category, ...]]
) -> list[list[Key]]:
    nodes = {k[0] for k in table}
    relations: list[list[Key]] = []
    for node in nodes:
        for dim, categories in dims.items():
            relations.append([(node, TOTAL, "")] + [(node, dim, c.key) for c in categories])
    children: dict[Node, list[Node]] = defaultdict(list)
    for node in nodes:
        parent = tables.parent(node)
        if parent is not None:
            children[parent].append(node)
    kinds = [(TOTAL, "")] + [(dim, c.key) for dim, cs in dims.items() for c in cs]
    for parent, kids in children.items():
        for dim, key in kinds:
            relations.append([(parent, dim, key)] + [(kid, dim, key) for kid in sorted(kids)])
    return relations


def _distribution(
    table: Counter[Key], hidden: dict[Key, str], node: Node, dim: str, cats: tuple[Category, ...]
) -> Distribution:
    total_key: Key = (node, TOTAL, "")
    total_shown = total_key not in hidden
    whole = table[total_key]

    def cell(key: Key, *, share: bool) -> Cell:
        if key in hidden:
            return Cell(None, hidden[key])
        value = table[key]
        return Cell(value, SHOWN, value / whole if share and total_shown and whole else None)

    cells = tuple((c, cell((node, dim, c.key), share=True)) for c in cats)
    return Distribution(cells, cell(total_key, share=False))


def school_report(school: Organisation, *, part: str = "", suppressed: bool) -> SchoolReport | None:
    """The report of ``part`` of ``school``, or None when the school has no such part.

    ``suppressed``: for a viewer who sees aggregates only (see the module docstring).
    """
    tables = _Tables(school)
    parts = tables.parts()
    chosen = next((p for p in parts if p.key == part), None)
    if chosen is None:
        return None
    min_cell = settings.CARECIRCLE_MIN_CELL
    campaigns = list(
        Campaign.objects.filter(school=school)
        .order_by("opens_at", "pk")
        .values_list("pk", "name", "opens_at")
    )
    instruments = []
    for code in sorted({code for _pk, code in tables.counts}):
        name, bands, triage = _categories(code, tables.band_keys[code], tables.triage_keys[code])
        dims = {TRIAGE: triage, **({BANDS: bands} if bands else {})}
        rounds = []
        for pk, campaign_name, opens_at in campaigns:
            table = tables.counts.get((pk, code))
            if table is None or not table[(chosen.node, TOTAL, "")]:
                continue
            hidden = (
                suppress(dict(table), _relations(table, tables, dims), min_cell)
                if suppressed
                else {}
            )
            rounds.append(
                Round(
                    campaign_id=pk,
                    name=campaign_name,
                    opens_at=opens_at,
                    bands=_distribution(table, hidden, chosen.node, BANDS, bands)
                    if bands
                    else None,
                    triage=_distribution(table, hidden, chosen.node, TRIAGE, triage),
                )
            )
        if rounds:
            instruments.append(InstrumentReport(code, name, bands, triage, tuple(rounds)))
    return SchoolReport(
        school=school,
        part=chosen,
        parts=parts,
        instruments=tuple(instruments),
        suppressed=suppressed,
        min_cell=min_cell,
    )
