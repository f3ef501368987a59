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

from __future__ import annotations

import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from itertools import accumulate, islice

from django.contrib.auth.hashers import make_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from carecircle.accounts.models import Organisation, RoleAssignment, User
from carecircle.accounts.roles import Role
from carecircle.accounts.services import organisation_save, role_grant, sysadmin_grant
from carecircle.audit.models import AuditEvent
from carecircle.audit.services import audit_record
from carecircle.notifications.models import Notification
from carecircle.notifications.services import notification_send
from carecircle.people.models import Minor
from carecircle.people.names import name_keys
from carecircle.people.services import emergency_access_grant, minor_create, minor_view
from carecircle.regions.data import lengshuitan
from carecircle.regions.models import Division
from carecircle.regions.services import divisions_load

# Passes every validator of AUTH_PASSWORD_VALIDATORS (length, common list, numeric,
# context words: "carecircle" and "guanaiquan" are refused, "guanai" is not).
DEMO_PASSWORD = "Guanai-Demo-2026!"  # noqa: S105 - published on purpose, demo only
DEFAULT_SEED = 2026
DEFAULT_MINORS = 500
# One account per role, named after it, in Role order.
DEMO_USERNAMES: tuple[str, ...] = tuple(Role.values)

COUNTY = lengshuitan.COUNTY[0]  # 431103
# Where the named township- and village-level demo users work: 花桥街镇 and its first village.
DEMO_TOWNSHIP = "431103101"
DEMO_VILLAGE = "431103101200"
DEMO_SCHOOL = "huaqiao_middle"
DEMO_HOSPITAL = "third_hospital"
DEMO_AGENCY = "police"
# Children the child director registers through the service, so that the audit log
# shows real "created" events; the rest are bulk-loaded.
REGISTERED_BY_DIRECTOR = 3

# GB 11643 MOD 11-2: weights of the first 17 digits and the check character by remainder.
_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"


def id_check_character(first17: str) -> str:
    """The 18th character of a resident ID number (GB 11643-1999, ISO 7064 MOD 11-2)."""
    total = sum(int(digit) * weight for digit, weight in zip(first17, _ID_WEIGHTS, strict=True))
    return _ID_CHECK[total % 11]


def id_number_for(area: str, birth: date, sequence: int) -> str:
    """Area code (6), birth date (8), sequence (3: odd for men, even for women), check."""
    first17 = f"{area}{birth:%Y%m%d}{sequence:03d}"
    return first17 + id_check_character(first17)


# --- Names -----------------------------------------------------------------------

# Common surnames with rough weights; 蒋, 唐, 周 and 邓 are common in 永州.
_SURNAMES = (
    ("王", 60), ("李", 70), ("张", 55), ("刘", 65), ("陈", 55), ("杨", 30), ("黄", 25),
    ("赵", 18), ("吴", 18), ("周", 35), ("徐", 14), ("孙", 10), ("马", 9), ("朱", 12),
    ("胡", 16), ("郭", 9), ("何", 18), ("林", 9), ("高", 10), ("罗", 14), ("郑", 8),
    ("梁", 8), ("谢", 12), ("宋", 7), ("唐", 30), ("许", 6), ("邓", 22), ("冯", 6),
    ("韩", 5), ("曹", 6), ("曾", 12), ("彭", 12), ("肖", 12), ("蒋", 35), ("蔡", 6),
    ("田", 6), ("袁", 6), ("潘", 5), ("文", 8), ("伍", 6), ("邹", 7), ("雷", 6),
    ("龙", 5), ("谭", 8), ("廖", 8), ("贺", 5), ("易", 5), ("欧阳", 4), ("秦", 4),
    ("毛", 4), ("石", 5), ("钟", 5), ("魏", 4), ("段", 4), ("尹", 3),
)  # fmt: skip
_SURNAME_NAMES = tuple(name for name, _weight in _SURNAMES)
_SURNAME_WEIGHTS = tuple(weight for _name, weight in _SURNAMES)

# Given names of children born since 2008, built from the characters popular then.
_BOY_FIRST = "子浩宇俊梓博一皓泽明嘉天文思志家奕锦晨睿伟鹏振昊"
_BOY_SECOND = "轩然杰豪宇航文鸣墨辰阳睿程乐熙远博涛翔宁诚铭"
_GIRL_FIRST = "梓欣子诗雨一可语佳梦若思紫芷依婉静雅安心晓嘉"
_GIRL_SECOND = "涵怡桐诺馨嫣琪汐彤萱妍清婷琳悦雪瑶然蕾菲"
# Given names of adults born 1965-2000.
_MEN = (
    "建国", "志强", "伟", "军", "勇", "海涛", "国华", "建华", "明", "杰", "涛", "斌", "卫东",
    "小平", "文斌", "华", "俊", "立新", "志刚", "永胜", "德明", "金生", "新民", "鹏", "磊",
)  # fmt: skip
_WOMEN = (
    "丽", "丽华", "海燕", "秀英", "红", "艳", "芳", "娟", "敏", "静", "婷", "霞", "桂兰",
    "玉梅", "春梅", "晓燕", "慧", "琴", "雪梅", "小红", "利平", "美玲", "雅琴", "翠英", "凤",
)  # fmt: skip


def _surname(rng: random.Random) -> str:
    return rng.choices(_SURNAME_NAMES, weights=_SURNAME_WEIGHTS)[0]


def child_name(rng: random.Random, sex: str) -> str:
    first, second = (_BOY_FIRST, _BOY_SECOND) if sex == "M" else (_GIRL_FIRST, _GIRL_SECOND)
    given = rng.choice(first) + rng.choice(second) if rng.random() < 0.8 else rng.choice(second)
    return _surname(rng) + given


def adult_name(rng: random.Random) -> str:
    return _surname(rng) + rng.choice(_MEN if rng.random() < 0.45 else _WOMEN)


# --- Organisations ------------------------------------------------------------------


@dataclass(frozen=True)
class DemoOrg:
    key: str
    name: str
    kind: str
    division: str  # significant prefix of the division it sits in
    ages: tuple[int, int] | None = None  # schools: youngest and oldest age taught


_K = Organisation.Kind
ORGANISATIONS: tuple[DemoOrg, ...] = (
    DemoOrg("center", "冷水滩区未成年人保护中心", _K.PROTECTION_CENTER, COUNTY),
    DemoOrg("governance", "冷水滩区综治中心", _K.GOVERNANCE_CENTER, COUNTY),
    DemoOrg("civil_affairs", "冷水滩区民政局", _K.CIVIL_AFFAIRS, COUNTY),
    DemoOrg("education", "冷水滩区教育局", _K.EDUCATION_BUREAU, COUNTY),
    DemoOrg("station_meiwan", "梅湾街道社会工作服务站", _K.SOCIAL_WORK_STATION, "431103001"),
    DemoOrg("station_lanjiao", "岚角山镇社会工作服务站", _K.SOCIAL_WORK_STATION, "431103100"),
    DemoOrg("station_huaqiao", "花桥街镇社会工作服务站", _K.SOCIAL_WORK_STATION, "431103101"),
    DemoOrg("station_puli", "普利桥镇社会工作服务站", _K.SOCIAL_WORK_STATION, "431103102"),
    DemoOrg("no1_middle", "冷水滩区第一中学", _K.SCHOOL, "431103001", (12, 17)),
    DemoOrg("meiwan_primary", "梅湾小学", _K.SCHOOL, "431103001", (6, 11)),
    DemoOrg("lingjiao_primary", "菱角山小学", _K.SCHOOL, "431103002", (6, 11)),
    DemoOrg("yangjiaqiao_middle", "杨家桥中学", _K.SCHOOL, "431103004", (12, 14)),
    DemoOrg("lanjiao_primary", "岚角山镇中心小学", _K.SCHOOL, "431103100", (6, 11)),
    DemoOrg("huaqiao_primary", "花桥街镇中心小学", _K.SCHOOL, "431103101", (6, 11)),
    DemoOrg(DEMO_SCHOOL, "花桥街镇中学", _K.SCHOOL, "431103101", (12, 14)),
    DemoOrg("puli_school", "普利桥镇九年制学校", _K.SCHOOL, "431103102", (6, 14)),
    DemoOrg("gaoxi_primary", "高溪市镇中心小学", _K.SCHOOL, "431103104", (6, 11)),
    DemoOrg("caishi_middle", "蔡市镇中学", _K.SCHOOL, "431103108", (12, 14)),
    DemoOrg(DEMO_HOSPITAL, "永州市第三人民医院", _K.HOSPITAL, COUNTY),
    DemoOrg("maternal_hospital", "冷水滩区妇幼保健院", _K.HOSPITAL, COUNTY),
    DemoOrg("court", "冷水滩区人民法院", _K.COURT, COUNTY),
    DemoOrg("procuratorate", "冷水滩区人民检察院", _K.PROCURATORATE, COUNTY),
    DemoOrg(DEMO_AGENCY, "永州市公安局冷水滩分局", _K.POLICE, COUNTY),
    DemoOrg("justice", "冷水滩区司法局", _K.JUSTICE_BUREAU, COUNTY),
    DemoOrg("petition", "冷水滩区信访局", _K.PETITION_OFFICE, COUNTY),
    DemoOrg("ngo", "冷水滩区春晖儿童关爱协会", _K.NGO, COUNTY),
)
SCHOOLS = tuple(org for org in ORGANISATIONS if org.kind == _K.SCHOOL)


def _region_rows() -> list[tuple[str, str, str]]:
    return lengshuitan.rows()


def townships() -> list[tuple[str, str]]:
    """(prefix, name) of the district's townships and streets, in code order."""
    return [(code[:9], name) for code, name, _ in _region_rows() if len(code) == 9]


def villages() -> list[tuple[str, str, str]]:
    """(12-digit code, name, urban-rural class) of every village and community."""
    return [row for row in _region_rows() if len(row[0]) == 12]


# --- Staff ------------------------------------------------------------------------------


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
    director per village or community, a psychology teacher per school)."""
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
        if school.key != DEMO_SCHOOL:
            plan.append(
                person(
                    f"school_psych_teacher_{school.key}",
                    Role.SCHOOL_PSYCH_TEACHER,
                    organisation=school.key,
                )
            )
    return plan


# --- Minors -----------------------------------------------------------------------------


@dataclass(frozen=True)
class DemoMinor:
    name: str
    sex: str
    birth_date: date
    id_number: str
    area_code: str
    address: str
    school: str  # DemoOrg.key or ""
    status: str


# Urban communities are denser than villages.
_AREA_WEIGHT = {"111": 1.6, "121": 1.3, "220": 1.0}


def _age_on(born: date, day: date) -> int:
    return day.year - born.year - ((day.month, day.day) < (born.month, born.day))


def _years_before(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February
        return day.replace(year=day.year - years, day=28)


def _school_for(
    rng: random.Random, township: str, age: int, by_township: dict[str, list[DemoOrg]]
) -> str:
    def teaches(org: DemoOrg) -> bool:
        return org.ages is not None and org.ages[0] <= age <= org.ages[1]

    candidates = [org for org in by_township.get(township, []) if teaches(org)]
    if not candidates and age >= 15:
        # Senior-high pupils board at the district's high school, wherever they live.
        candidates = [org for org in SCHOOLS if teaches(org)]
    return rng.choice(candidates).key if candidates else ""


def minor_rows(*, seed: int = DEFAULT_SEED, count: int, today: date) -> Iterator[DemoMinor]:
    """``count`` children aged 0-17 on ``today``, spread over the villages and
    communities; the first ``REGISTERED_BY_DIRECTOR`` live in ``DEMO_VILLAGE``."""
    rng = random.Random(f"carecircle-demo:{seed}:minors")  # noqa: S311 - demo data, not crypto
    places = villages()
    weights = list(accumulate(_AREA_WEIGHT.get(place[2], 1.0) for place in places))
    township_names = dict(townships())
    by_township: dict[str, list[DemoOrg]] = {}
    for org in SCHOOLS:
        by_township.setdefault(org.division, []).append(org)
    earliest = _years_before(today, 18) + timedelta(days=1)
    span = (today - earliest).days + 1
    issued: set[str] = set()
    home = next(place for place in places if place[0] == DEMO_VILLAGE)
    for number in range(count):
        code, village, urban_rural = (
            home if number < REGISTERED_BY_DIRECTOR else rng.choices(places, cum_weights=weights)[0]
        )
        sex = "M" if rng.random() < 0.52 else "F"
        born = today - timedelta(days=rng.randrange(span))
        while True:
            # Odd 001-999 for boys, even 002-998 for girls.
            sequence = 2 * rng.randrange(500) + 1 if sex == "M" else 2 * rng.randrange(499) + 2
            id_number = id_number_for(COUNTY, born, sequence)
            if id_number not in issued:
                issued.add(id_number)
                break
        if rng.random() < 0.03:
            id_number = ""  # not yet registered with the police (未落户), or unknown
        place = township_names[code[:9]] + village
        if urban_rural == "220":
            address = f"{place}{rng.randint(1, 12)}组{rng.randint(1, 60)}号"
        else:
            address = (
                f"{place}{rng.randint(1, 30)}栋{rng.randint(1, 4)}单元"
                f"{rng.randint(1, 18)}0{rng.randint(1, 4)}室"
            )
        age = _age_on(born, today)
        school = _school_for(rng, code[:9], age, by_township) if age >= 6 else ""
        roll = rng.random()
        status = Minor.Status.ACTIVE
        if number >= REGISTERED_BY_DIRECTOR and roll < 0.021:
            status = Minor.Status.MOVED_AWAY if roll < 0.02 else Minor.Status.DECEASED
        yield DemoMinor(
            name=child_name(rng, sex),
            sex=sex,
            birth_date=born,
            id_number=id_number,
            area_code=code,
            address="湖南省永州市冷水滩区" + address,
            school=school,
            status=status,
        )


# --- Writing it all -------------------------------------------------------------------


@dataclass(frozen=True)
class DemoSummary:
    divisions: int
    organisations: int
    users: int
    minors: int


def demo_loaded() -> bool:
    return User.objects.filter(username__in=DEMO_USERNAMES).exists()


def _organisations(sysadmin: User, divisions: dict[str, Division]) -> dict[str, Organisation]:
    orgs: dict[str, Organisation] = {}
    for org in ORGANISATIONS:
        division = divisions[org.division]
        existing = Organisation.objects.filter(division=division, name=org.name).first()
        orgs[org.key] = existing or organisation_save(
            actor=sysadmin, name=org.name, kind=org.kind, division=division
        )
    return orgs


def _accounts(plan: list[DemoStaff]) -> dict[str, User]:
    taken = list(
        User.objects.filter(username__in=[s.username for s in plan]).values_list(
            "username", flat=True
        )
    )
    if taken:
        raise ValidationError(
            _("These usernames already exist: %(names)s.") % {"names": ", ".join(taken[:5])}
        )
    # One hash for every demo account: PBKDF2 per account would take minutes, and
    # the shared password is public anyway.
    password = make_password(DEMO_PASSWORD)
    User.objects.bulk_create(
        [
            User(
                username=s.username,
                full_name=s.full_name,
                phone=s.phone,
                password=password,
                must_change_password=False,
            )
            for s in plan
        ],
        batch_size=500,
    )
    audit_record(
        actor=None,
        action=AuditEvent.Action.CREATE,
        object_type="accounts.user",
        fields=["username", "full_name", "phone"],
        details={"accounts": len(plan), "via": "seed_demo"},
        username="seed_demo",
    )
    return {u.username: u for u in User.objects.filter(username__in=[s.username for s in plan])}


def _grants(
    plan: list[DemoStaff],
    users: dict[str, User],
    divisions: dict[str, Division],
    orgs: dict[str, Organisation],
) -> None:
    """The system administrator grants every role: the named demo users one by one
    through ``role_grant``, the district's other staff as one audited batch per role
    (two hundred service calls would dominate a small seed)."""
    sysadmin = users[Role.SYSADMIN]
    batch: dict[str, list[RoleAssignment]] = {}
    for staff in plan:
        if staff.username == Role.SYSADMIN:
            continue
        user = users[staff.username]
        organisation = orgs[staff.organisation] if staff.organisation else None
        division = None if organisation else divisions[staff.division]
        if staff.username in DEMO_USERNAMES:
            role_grant(
                actor=sysadmin,
                user=user,
                role=staff.role,
                division=division,
                organisation=organisation,
            )
            continue
        prefix = organisation.division.prefix if organisation else staff.division
        batch.setdefault(staff.role, []).append(
            RoleAssignment(
                user=user,
                role=staff.role,
                division=division,
                organisation=organisation,
                scope_prefix=prefix,
                granted_by=sysadmin,
            )
        )
    for role, assignments in batch.items():
        RoleAssignment.objects.bulk_create(assignments)
        audit_record(
            actor=sysadmin,
            action=AuditEvent.Action.GRANT,
            object_type="accounts.user",
            details={
                "role": role,
                "users": [a.user.username for a in assignments],
                "via": "seed_demo",
            },
        )


def _minor(row: DemoMinor, orgs: dict[str, Organisation]) -> Minor:
    # bulk_create bypasses minor_create, so the search keys are derived here.
    name_pinyin, name_initials = name_keys(row.name)
    return Minor(
        name=row.name,
        name_pinyin=name_pinyin,
        name_initials=name_initials,
        sex=row.sex,
        birth_date=row.birth_date,
        id_number=row.id_number,
        area_code=row.area_code,
        address=row.address,
        school=orgs[row.school] if row.school else None,
        status=row.status,
    )


def _minors(
    rows: Iterator[DemoMinor],
    *,
    orgs: dict[str, Organisation],
    director: User,
    batch_size: int,
    progress: Callable[[int], None] | None,
) -> tuple[int, list[Minor]]:
    registered = []
    for row in islice(rows, REGISTERED_BY_DIRECTOR):
        minor = minor_create(
            actor=director,
            name=row.name,
            sex=row.sex,
            birth_date=row.birth_date,
            area_code=row.area_code,
            id_number=row.id_number,
            address=row.address,
            school=orgs[row.school] if row.school else None,
        )
        registered.append(minor)
    total = len(registered)
    while batch := [_minor(row, orgs) for row in islice(rows, batch_size)]:
        # bulk_create runs each field's pre_save, so the ID number's blind index is
        # computed and the encrypted fields are encrypted as in save().
        Minor.objects.bulk_create(batch)
        total += len(batch)
        if progress is not None:
            progress(total)
    return total, registered


def _activity(
    users: dict[str, User], registered: list[Minor], orgs: dict[str, Organisation]
) -> None:
    """The traces of a working day: views, a break-the-glass access, notifications."""
    director = users[Role.CHILD_DIRECTOR]
    for minor in registered:
        minor_view(actor=director, minor=minor, fields=["name", "birth_date", "id_number"])
    teacher = users[Role.SCHOOL_PSYCH_TEACHER]
    pupil = Minor.objects.filter(school=orgs[DEMO_SCHOOL]).order_by("pk").first()
    if pupil is not None:
        minor_view(actor=teacher, minor=pupil, fields=["name", "birth_date"])
    outsider = (
        Minor.objects.exclude(area_code__startswith=DEMO_TOWNSHIP)
        .exclude(id_number_index=None)
        .order_by("pk")
        .first()
    )
    if outsider is not None:
        emergency_access_grant(
            actor=director,
            minor=outsider,
            reason="孩子在本村走失后被村民送回，监护人联系不上，需核对身份并联系其户籍地儿童主任。",
        )
    notification_send(
        recipients=[users[name] for name in DEMO_USERNAMES],
        title=_("Welcome to the CareCircle demo"),
        body=_(
            "Everything here is invented demo data for %(district)s. Your home page shows "
            "the figures of your own scope."
        )
        % {"district": lengshuitan.COUNTY[1]},
        link="/",
    )
    if registered:
        village = Division.objects.get(prefix=DEMO_VILLAGE)
        notification_send(
            recipients=[users[Role.CHILD_SUPERVISOR]],
            title=_("%(count)d children were registered in %(village)s")
            % {"count": len(registered), "village": village.name},
            body=_("Registered by %(user)s.") % {"user": director.display_name},
            link="/minors/",
            level=Notification.Level.INFO,
        )


@transaction.atomic
def demo_seed(
    *,
    minors: int = DEFAULT_MINORS,
    seed: int = DEFAULT_SEED,
    today: date | None = None,
    batch_size: int = 2000,
    progress: Callable[[int], None] | None = None,
) -> DemoSummary:
    """Load the demo district: regions, organisations, staff, minors and some activity.

    All or nothing; refuses (ValidationError) when the demo users already exist.
    """
    if demo_loaded():
        raise ValidationError(_("The demo district is already loaded."))
    if minors < 0:
        raise ValidationError(_("The number of minors cannot be negative."))
    today = today or timezone.localdate()
    # Notification texts are rendered when they are created, in the district's language.
    with translation.override("zh-hans"):
        division_count = divisions_load(rows=_region_rows())
        divisions = {d.prefix: d for d in Division.objects.within(COUNTY)}
        plan = staff_plan(seed)
        users = _accounts(plan)
        sysadmin_grant(user=users[Role.SYSADMIN], division=divisions[COUNTY], via="seed_demo")
        orgs = _organisations(users[Role.SYSADMIN], divisions)
        _grants(plan, users, divisions, orgs)
        total, registered = _minors(
            minor_rows(seed=seed, count=minors, today=today),
            orgs=orgs,
            director=users[Role.CHILD_DIRECTOR],
            batch_size=batch_size,
            progress=progress,
        )
        audit_record(
            actor=None,
            action=AuditEvent.Action.SYSTEM,
            object_type="people.minor",
            details={"event": "seed_demo", "minors": total, "seed": seed},
            username="seed_demo",
        )
        _activity(users, registered, orgs)
    return DemoSummary(
        divisions=division_count, organisations=len(orgs), users=len(users), minors=total
    )
