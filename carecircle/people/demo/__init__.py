"""The demo district: 冷水滩区 with its organisations, staff of every role, minors and
a little activity, for ``manage.py seed_demo`` and ``make run``.

Everything is invented. The plan (who, where, which child) is pure and
deterministic for a seed: ``staff_plan`` and ``minor_rows`` draw from their own
``random.Random`` streams, so the same seed gives the same names, ID numbers and
villages on every machine, and changing ``--minors`` leaves the staff unchanged.
Birth dates are counted back from ``today``, so children stay 0-17 years old
whenever the demo is loaded. ``demo_seed`` writes the plan in one transaction,
through the services where a real user would act (role grants by the system
administrator, children registered by the child director, a break-the-glass
access), so the audit log and the notifications look like a working district.

Every demo account shares ``DEMO_PASSWORD``, which is published in the README:
``seed_demo`` refuses to run in production.
"""

from carecircle.people.demo.district import (
    CLASS_SIZE,
    COUNTY,
    DEFAULT_MINORS,
    DEFAULT_SEED,
    DEMO_AGENCY,
    DEMO_HOSPITAL,
    DEMO_PASSWORD,
    DEMO_SCHOOL,
    DEMO_TOWNSHIP,
    DEMO_USERNAMES,
    DEMO_VILLAGE,
    ORGANISATIONS,
    REGISTERED_BY_DIRECTOR,
    SCHOOLS,
    DemoOrg,
    class_size,
    school_grade,
    townships,
    villages,
)
from carecircle.people.demo.district import _region_rows as _region_rows
from carecircle.people.demo.families import SHOWCASE, SITUATIONS, Situation
from carecircle.people.demo.identity import (
    adult_name,
    child_name,
    given_name,
    id_check_character,
    id_number_for,
)
from carecircle.people.demo.load import insert_guardians
from carecircle.people.demo.planner import minor_rows
from carecircle.people.demo.rows import DemoGuardian, DemoHousehold, DemoMinor
from carecircle.people.demo.seed import DemoSummary, demo_loaded, demo_seed
from carecircle.people.demo.staff import CENTER_PROFESSIONALS, DemoStaff, staff_plan

__all__ = [
    "CENTER_PROFESSIONALS",
    "CLASS_SIZE",
    "COUNTY",
    "DEFAULT_MINORS",
    "DEFAULT_SEED",
    "DEMO_AGENCY",
    "DEMO_HOSPITAL",
    "DEMO_PASSWORD",
    "DEMO_SCHOOL",
    "DEMO_TOWNSHIP",
    "DEMO_USERNAMES",
    "DEMO_VILLAGE",
    "ORGANISATIONS",
    "REGISTERED_BY_DIRECTOR",
    "SCHOOLS",
    "SHOWCASE",
    "SITUATIONS",
    "DemoGuardian",
    "DemoHousehold",
    "DemoMinor",
    "DemoOrg",
    "DemoStaff",
    "DemoSummary",
    "Situation",
    "adult_name",
    "child_name",
    "class_size",
    "demo_loaded",
    "demo_seed",
    "given_name",
    "id_check_character",
    "id_number_for",
    "insert_guardians",
    "minor_rows",
    "school_grade",
    "staff_plan",
    "townships",
    "villages",
]
