"""The demo district's staff: one account per role, named after it, and the district's
other staff, drawn from their own ``random.Random`` stream so that changing the
number of minors leaves them unchanged."""

from __future__ import annotations

import random
from dataclasses import dataclass

from carecircle.accounts.roles import Role
from carecircle.people.demo.district import (
    COUNTY,
    DEFAULT_SEED,
    DEMO_AGENCY,
    DEMO_HOSPITAL,
    DEMO_SCHOOL,
    DEMO_TOWNSHIP,
    DEMO_USERNAMES,
    DEMO_VILLAGE,
    SCHOOLS,
    townships,
    villages,
)
from carecircle.people.demo.identity import adult_name


@dataclass(frozen=True)
class DemoStaff:
    username: str
    full_name: str
    role: str
    division: str = ""  # prefix, for division-scoped roles
    organisation: str = ""  # DemoOrg.key, for organisation-scoped roles
    phone: str = ""


# Where each named demo user holds its role; the rest are district-wide (431103).
_NAMED_SCOPES: dict[str, tuple[str, str]] = {
    Role.CHILD_SUPERVISOR: (DEMO_TOWNSHIP, ""),
    Role.CHILD_DIRECTOR: (DEMO_VILLAGE, ""),
    Role.SCHOOL_PSYCH_TEACHER: ("", DEMO_SCHOOL),
    Role.SCHOOL_ADMIN: ("", DEMO_SCHOOL),
    Role.HOSPITAL_CLINICIAN: ("", DEMO_HOSPITAL),
    Role.AGENCY_OFFICER: ("", DEMO_AGENCY),
}
# The minors' protection center's part-time professionals (the article: 2 social
# workers, 2 counselors, 1 family-education instructor, 2 lawyers), named users included.
CENTER_PROFESSIONALS = {
    Role.SOCIAL_WORKER: 2,
    Role.COUNSELOR: 2,
    Role.FAMILY_EDUCATOR: 1,
    Role.LAWYER: 2,
}


def staff_plan(seed: int = DEFAULT_SEED) -> list[DemoStaff]:
    """Every demo account: one per role named after it, then the district's other staff
    (the center's professionals, a child supervisor per township or street, a child
    director per village or community, a psychology teacher per school; kindergartens
    have none)."""
    rng = random.Random(f"carecircle-demo:{seed}:staff")  # noqa: S311 - demo data, not crypto
    used: set[str] = set()

    def person(username: str, role: str, division: str = "", organisation: str = "") -> DemoStaff:
        name = adult_name(rng)
        while name in used:
            name = adult_name(rng)
        used.add(name)
        phone = rng.choice(("139", "138", "137", "150", "151", "187", "199")) + "".join(
            rng.choice("0123456789") for _ in range(8)
        )
        return DemoStaff(username, name, role, division, organisation, phone)

    plan = []
    for role in DEMO_USERNAMES:
        division, organisation = _NAMED_SCOPES.get(role, (COUNTY, ""))
        plan.append(person(role, role, division, organisation))
    for role, total in CENTER_PROFESSIONALS.items():
        plan += [person(f"{role}_{n}", role, COUNTY) for n in range(2, total + 1)]
    for prefix, _name in townships():
        if prefix != DEMO_TOWNSHIP:
            plan.append(person(f"child_supervisor_{prefix[6:]}", Role.CHILD_SUPERVISOR, prefix))
    for code, _name, _class in villages():
        if code != DEMO_VILLAGE:
            plan.append(person(f"child_director_{code[6:]}", Role.CHILD_DIRECTOR, code))
    for school in SCHOOLS:
        if school.key != DEMO_SCHOOL and not school.is_kindergarten:
            plan.append(
                person(
                    f"school_psych_teacher_{school.key}",
                    Role.SCHOOL_PSYCH_TEACHER,
                    organisation=school.key,
                )
            )
    return plan
