"""The URL resolver's routes and the fixture world the matrix runs against."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from django.urls import URLPattern, URLResolver, get_resolver

from carecircle.accounts.models import Organisation, RoleAssignment, User
from carecircle.accounts.roles import Role
from carecircle.testing.matrix.cases import build_cases
from carecircle.testing.matrix.cases_api import build_case_sessions
from carecircle.testing.matrix.core import (
    HOME_DIVISION,
    NO_ROLE,
    REGISTRY_KINDS,
    R,
)
from carecircle.testing.matrix.counseling import build_counseling
from carecircle.testing.matrix.referrals import build_referrals
from carecircle.testing.matrix.tips_staff import build_tips
from carecircle.testing.matrix.visits import build_visits

# --- The resolver ----------------------------------------------------------------


def _is_static(pattern: URLPattern) -> bool:
    # django.views.static.serve appears only with DEBUG (and static() helpers); it
    # serves public assets, not data, so it has no place in the matrix.
    return getattr(pattern.callback, "__module__", "") == "django.views.static"


def resolver_routes() -> dict[str, str]:
    """Every route of the URLconf → its pattern, namespaces included. An unnamed
    pattern is keyed by its regex so that it, too, needs an entry."""
    found: dict[str, str] = {}

    def walk(resolver: URLResolver, namespace: tuple[str, ...], prefix: str) -> None:
        for entry in resolver.url_patterns:
            if isinstance(entry, URLResolver):
                ns = (*namespace, entry.namespace) if entry.namespace else namespace
                walk(entry, ns, prefix + str(entry.pattern))
            elif not _is_static(entry):
                route = prefix + str(entry.pattern)
                name = ":".join((*namespace, entry.name)) if entry.name else f"<unnamed {route}>"
                found[name] = route

    walk(get_resolver(), (), "")
    return found


# --- The world the matrix runs against --------------------------------------------


@dataclass
class World:
    """The fixture district, both sets of personas, and the objects of ``OBJECTS``."""

    personas: dict[str, User]
    other_personas: dict[str, User]
    no_role: User
    minors: dict[str, Any]
    accounts: dict[str, User]
    organisations: dict[str, Organisation]
    assignments: dict[str, RoleAssignment]
    notification_id: int
    registry: dict[str, Any] = field(default_factory=dict)  # REGISTRY_KINDS objects by label

    def user(self, actor: str, side: str) -> User:
        if actor == NO_ROLE:
            return self.no_role
        return (self.personas if side == "A" else self.other_personas)[actor]

    def url_kwargs(self, kind: str, label: str, actor: User | None) -> dict[str, int]:
        if kind in REGISTRY_KINDS:
            return {"pk": self.registry[label].pk}
        if kind == "minor":
            return {"pk": self.minors[label].pk}
        if kind == "organisation":
            return {"pk": self.organisations[label].pk}
        if kind == "account":
            target = actor if label == "self" else self.accounts[label]
            return {"pk": getattr(target, "pk", 0) or 0}
        if label == "asg_self":
            own = RoleAssignment.objects.filter(user=actor).first() if actor else None
            return {"pk": getattr(actor, "pk", 0) or 0, "assignment_pk": getattr(own, "pk", 0)}
        if label == "asg_mismatch":
            user, assignment = self.accounts["acct_a"], self.assignments["asg_c"]
        else:
            assignment = self.assignments[label]
            user = assignment.user
        return {"pk": user.pk, "assignment_pk": assignment.pk}


def build_world() -> World:
    from carecircle.notifications.models import Notification
    from carecircle.people.models import Minor
    from carecircle.regions.models import Division
    from carecircle.testing import fixtures

    district = fixtures.build_district()
    personas = {role: fixtures.build_persona(district, role, "A") for role in Role.values}
    other_personas = {role: fixtures.build_persona(district, role, "B") for role in Role.values}
    minors = {
        "a": fixtures.build_minor_a(district),
        "b": fixtures.build_minor_b(district),
        "c": Minor.objects.create(
            name="王小军",
            sex="M",
            birth_date=date(2015, 7, 9),
            area_code="431102001001",
            id_number="431102201507090018",
        ),
    }
    accounts = {
        "acct_a": fixtures.make_user("acct_a"),
        "acct_c": fixtures.make_user("acct_c"),
        "unassigned": fixtures.make_user("unassigned", home_prefix="431103"),
    }
    assignments = {
        "asg_a": fixtures.grant(accounts["acct_a"], R.VOLUNTEER, prefix=HOME_DIVISION["A"]),
        "asg_c": fixtures.grant(accounts["acct_c"], R.VOLUNTEER, prefix=HOME_DIVISION["B"]),
    }
    organisations = {
        "org_a": district["orgs"]["school_A"],
        "org_c": Organisation.objects.create(
            name="C-school",
            kind=Organisation.Kind.SCHOOL,
            division=Division.objects.get(prefix=HOME_DIVISION["B"]),
        ),
    }
    notification = Notification.objects.create(recipient=accounts["acct_a"], title="Bystander")
    registry = _build_registry(district, minors, organisations["org_c"])
    registry.update(_build_screening(registry, minors, personas["counselor"]))
    registry.update(build_visits(minors, personas, other_personas))
    registry.update(build_tips(district, personas, other_personas, organisations["org_c"]))
    registry.update(build_cases(minors, personas, other_personas))
    registry.update(build_case_sessions(registry))
    registry.update(build_counseling(minors, personas, other_personas, registry))
    registry.update(build_referrals(minors, personas, other_personas, registry))
    return World(
        personas=personas,
        other_personas=other_personas,
        no_role=fixtures.make_user(NO_ROLE),
        minors=minors,
        accounts=accounts,
        organisations=organisations,
        assignments=assignments,
        notification_id=notification.pk,
        registry=registry,
    )


def _build_registry(
    district: dict[str, Any], minors: dict[str, Any], school_c: Organisation
) -> dict[str, Any]:
    """A guardian and a household for each minor; schools A, B, C with a class each."""
    from carecircle.people.models import Guardian, Household, Minor, SchoolClass

    registry: dict[str, Any] = {}
    for label, minor in minors.items():
        registry[f"guardian_{label}"] = Guardian.objects.create(
            minor=minor, relation="mother", name="Guardian"
        )
        household = Household.objects.create(area_code=minor.area_code)
        Minor.objects.filter(pk=minor.pk).update(household=household)
        registry[f"household_{label}"] = household
    schools = {
        "a": district["orgs"]["school_A"],
        "b": district["orgs"]["school_B"],
        "c": school_c,
    }
    for label, school in schools.items():
        registry[f"school_{label}"] = school
        registry[f"class_{label}"] = SchoolClass.objects.create(school=school, grade=1, name="1")
    return registry


def _build_screening(
    registry: dict[str, Any], minors: dict[str, Any], organiser: User
) -> dict[str, Any]:
    """At each school a campaign whose pupil (minor a, b, c) gave a red-critical answer."""
    from django.utils import timezone

    from carecircle.screening.models import (
        Campaign,
        CampaignInstrument,
        FollowUp,
        KeyTarget,
        Participant,
        Response,
    )

    now = timezone.now()
    built: dict[str, Any] = {}
    for label in ("a", "b", "c"):
        school = registry[f"school_{label}"]
        campaign = Campaign.objects.create(
            name=f"Campaign {label}",
            school=school,
            opens_at=now,
            closes_at=now + timedelta(days=7),
            basis=Campaign.Basis.STATUTORY,
            statutory_basis="test",
            status=Campaign.Status.OPEN,
            created_by=organiser,
        )
        CampaignInstrument.objects.create(
            campaign=campaign, code="PHQ9", version=1, min_age=0, max_age=18
        )
        participant = Participant.objects.create(
            campaign=campaign,
            minor=minors[label],
            code=f"CODE{label.upper()}",
            code_digest=f"digest-{label}",
            consent=Participant.Consent.NOT_NEEDED,
        )
        response = Response.objects.create(
            participant=participant,
            code="PHQ9",
            version=1,
            submitted_at=now,
            triage=Response.Triage.RED_CRITICAL,
        )
        built[f"campaign_{label}"] = campaign
        built[f"participant_{label}"] = participant
        built[f"result_{label}"] = response
        built[f"screened_{label}"] = minors[label]
        built[f"key_target_{label}"] = KeyTarget.objects.create(
            minor=minors[label], reasons=["test"], confirmed_by=organiser, confirmed_at=now
        )
        built[f"follow_up_{label}"] = FollowUp.objects.create(
            response=response,
            minor=minors[label],
            school=school,
            level=Response.Triage.RED_CRITICAL,
            kind=FollowUp.Kind.ACKNOWLEDGE,
            due_at=now + timedelta(hours=24),
        )
    return built
