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
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta
from functools import lru_cache
from itertools import accumulate, islice
from typing import Any

from django.contrib.auth.hashers import make_password
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from carecircle.accounts.models import Organisation, RoleAssignment, User
from carecircle.accounts.roles import Role
from carecircle.accounts.services import organisation_save, role_grant, sysadmin_grant
from carecircle.audit.models import AuditEvent
from carecircle.audit.services import audit_record
from carecircle.crypto.fields import EncryptedTextField
from carecircle.notifications.models import Notification
from carecircle.notifications.services import notification_send
from carecircle.people import categories
from carecircle.people.categories import category_add_manual
from carecircle.people.filters import open_category_q
from carecircle.people.models import (
    Category,
    DisabilityType,
    Guardian,
    Household,
    Minor,
    SchoolClass,
)
from carecircle.people.names import name_keys
from carecircle.people.services import (
    emergency_access_grant,
    guardian_save,
    household_create,
    minor_create,
    minor_view,
)
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


# Given names of grandparents born 1945-1975, and of a few mothers from Viet Nam.
_OLD_MEN = (
    "德福", "国庆", "建军", "长生", "福生", "满秋", "正清", "云华", "光明", "新华",
    "春生", "水生", "桂生", "有才", "学文",
)  # fmt: skip
_OLD_WOMEN = (
    "秀兰", "桂英", "凤英", "玉兰", "冬梅", "淑珍", "菊香", "满姣", "桂花", "秀珍",
    "春兰", "金莲", "翠兰", "玉英", "梅香",
)  # fmt: skip
_VIETNAMESE_WOMEN = ("阮氏玲", "陈氏花", "黎氏梅", "范氏兰", "武氏秋")


def _surname(rng: random.Random) -> str:
    return rng.choices(_SURNAME_NAMES, weights=_SURNAME_WEIGHTS)[0]


def given_name(rng: random.Random, sex: str) -> str:
    first, second = (_BOY_FIRST, _BOY_SECOND) if sex == "M" else (_GIRL_FIRST, _GIRL_SECOND)
    return rng.choice(first) + rng.choice(second) if rng.random() < 0.8 else rng.choice(second)


def child_name(rng: random.Random, sex: str) -> str:
    given = given_name(rng, sex)
    return _surname(rng) + given


def adult_name(rng: random.Random) -> str:
    return _surname(rng) + rng.choice(_MEN if rng.random() < 0.45 else _WOMEN)


def _person_name(rng: random.Random, sex: str, *, surname: str = "", old: bool = False) -> str:
    if old:
        given = rng.choice(_OLD_MEN if sex == "M" else _OLD_WOMEN)
    else:
        given = rng.choice(_MEN if sex == "M" else _WOMEN)
    return (surname or _surname(rng)) + given


def _phone(rng: random.Random) -> str:
    return rng.choice(("139", "138", "137", "150", "151", "152", "187", "188", "199")) + "".join(
        rng.choice("0123456789") for _ in range(8)
    )


# --- Organisations ------------------------------------------------------------------

_G = SchoolClass.Grade


@dataclass(frozen=True)
class DemoOrg:
    key: str
    name: str
    kind: str
    division: str  # significant prefix of the division it sits in
    # Schools: the lowest and highest grade taught (SchoolClass.Grade: -2..0
    # kindergarten, 1-6 primary, 7-9 junior secondary, 10-12 senior secondary).
    grades: tuple[int, int] | None = None
    special: bool = False  # a special-education school, for children with disabilities

    def teaches(self, grade: int) -> bool:
        return self.grades is not None and self.grades[0] <= grade <= self.grades[1]

    @property
    def is_kindergarten(self) -> bool:
        return self.grades is not None and self.grades[1] <= _G.KINDERGARTEN_3


_K = Organisation.Kind
_PRIMARY = (_G.PRIMARY_1.value, _G.PRIMARY_6.value)
_JUNIOR = (_G.JUNIOR_1.value, _G.JUNIOR_3.value)
_SENIOR = (_G.SENIOR_1.value, _G.SENIOR_3.value)
_NINE_YEAR = (_G.PRIMARY_1.value, _G.JUNIOR_3.value)
_KINDERGARTEN = (_G.KINDERGARTEN_1.value, _G.KINDERGARTEN_3.value)


def _school(key: str, name: str, division: str, grades: tuple[int, int]) -> DemoOrg:
    return DemoOrg(key, name, _K.SCHOOL, f"{COUNTY}{division}", grades)


ORGANISATIONS: tuple[DemoOrg, ...] = (
    DemoOrg("center", "冷水滩区未成年人保护中心", _K.PROTECTION_CENTER, COUNTY),
    DemoOrg("governance", "冷水滩区综治中心", _K.GOVERNANCE_CENTER, COUNTY),
    DemoOrg("civil_affairs", "冷水滩区民政局", _K.CIVIL_AFFAIRS, COUNTY),
    DemoOrg("education", "冷水滩区教育局", _K.EDUCATION_BUREAU, COUNTY),
    DemoOrg("station_meiwan", "梅湾街道社会工作服务站", _K.SOCIAL_WORK_STATION, "431103001"),
    DemoOrg("station_lanjiao", "岚角山镇社会工作服务站", _K.SOCIAL_WORK_STATION, "431103100"),
    DemoOrg("station_huaqiao", "花桥街镇社会工作服务站", _K.SOCIAL_WORK_STATION, "431103101"),
    DemoOrg("station_puli", "普利桥镇社会工作服务站", _K.SOCIAL_WORK_STATION, "431103102"),
    _school("no1_middle", "冷水滩区第一中学", "001", (_G.JUNIOR_1, _G.SENIOR_3)),
    _school("meiwan_primary", "梅湾小学", "001", _PRIMARY),
    _school("lingjiao_primary", "菱角山小学", "002", _PRIMARY),
    _school("yangjiaqiao_middle", "杨家桥中学", "004", _JUNIOR),
    _school("lanjiao_primary", "岚角山镇中心小学", "100", _PRIMARY),
    _school("huaqiao_primary", "花桥街镇中心小学", "101", _PRIMARY),
    _school(DEMO_SCHOOL, "花桥街镇中学", "101", _JUNIOR),
    _school("puli_school", "普利桥镇九年制学校", "102", _NINE_YEAR),
    _school("gaoxi_primary", "高溪市镇中心小学", "104", _PRIMARY),
    _school("caishi_middle", "蔡市镇中学", "108", _JUNIOR),
    DemoOrg(DEMO_HOSPITAL, "永州市第三人民医院", _K.HOSPITAL, COUNTY),
    DemoOrg("maternal_hospital", "冷水滩区妇幼保健院", _K.HOSPITAL, COUNTY),
    DemoOrg("court", "冷水滩区人民法院", _K.COURT, COUNTY),
    DemoOrg("procuratorate", "冷水滩区人民检察院", _K.PROCURATORATE, COUNTY),
    DemoOrg(DEMO_AGENCY, "永州市公安局冷水滩分局", _K.POLICE, COUNTY),
    DemoOrg("justice", "冷水滩区司法局", _K.JUSTICE_BUREAU, COUNTY),
    DemoOrg("petition", "冷水滩区信访局", _K.PETITION_OFFICE, COUNTY),
    DemoOrg("ngo", "冷水滩区春晖儿童关爱协会", _K.NGO, COUNTY),
    # The schools added with the registry (issue 3): every street and town has its
    # primary and junior-secondary schooling and a kindergarten; senior secondary
    # and special education are district-wide.
    _school("xiaojiayuan_primary", "肖家园小学", "003", _PRIMARY),
    _school("yangjiaqiao_primary", "杨家桥小学", "004", _PRIMARY),
    _school("wutong_primary", "梧桐小学", "005", _PRIMARY),
    _school("fenghuang_primary", "凤凰小学", "006", _PRIMARY),
    _school("shanhu_primary", "珊瑚小学", "007", _PRIMARY),
    _school("quhe_primary", "曲河小学", "008", _PRIMARY),
    _school("jinghua_middle", "冷水滩区京华中学", "005", _JUNIOR),
    _school("fenghuang_middle", "凤凰中学", "006", _JUNIOR),
    _school("no2_middle", "冷水滩区第二中学", "006", _SENIOR),
    _school("vocational", "冷水滩区职业技术学校", "007", _SENIOR),
    DemoOrg("special_school", "冷水滩区特殊教育学校", _K.SCHOOL, "431103003", _NINE_YEAR, True),
    _school("lanjiao_middle", "岚角山镇中学", "100", _JUNIOR),
    _school("niujiaoba_primary", "牛角坝镇中心小学", "103", _PRIMARY),
    _school("niujiaoba_middle", "牛角坝镇中学", "103", _JUNIOR),
    _school("gaoxi_middle", "高溪市镇中学", "104", _JUNIOR),
    _school("huangyangsi_primary", "黄阳司镇中心小学", "105", _PRIMARY),
    _school("huangyangsi_middle", "黄阳司镇中学", "105", _JUNIOR),
    _school("shanglingqiao_primary", "上岭桥镇中心小学", "106", _PRIMARY),
    _school("shanglingqiao_middle", "上岭桥镇中学", "106", _JUNIOR),
    _school("yitang_primary", "伊塘镇中心小学", "107", _PRIMARY),
    _school("yitang_middle", "伊塘镇中学", "107", _JUNIOR),
    _school("caishi_primary", "蔡市镇中心小学", "108", _PRIMARY),
    _school("yangcundian_school", "杨村甸乡中心学校", "200", _NINE_YEAR),
    _school("experimental_kindergarten", "冷水滩区实验幼儿园", "001", _KINDERGARTEN),
    _school("lingjiao_kindergarten", "菱角山幼儿园", "002", _KINDERGARTEN),
    _school("wutong_kindergarten", "梧桐幼儿园", "005", _KINDERGARTEN),
    _school("quhe_kindergarten", "曲河幼儿园", "008", _KINDERGARTEN),
    _school("lanjiao_kindergarten", "岚角山镇中心幼儿园", "100", _KINDERGARTEN),
    _school("huaqiao_kindergarten", "花桥街镇中心幼儿园", "101", _KINDERGARTEN),
    _school("puli_kindergarten", "普利桥镇中心幼儿园", "102", _KINDERGARTEN),
    _school("niujiaoba_kindergarten", "牛角坝镇中心幼儿园", "103", _KINDERGARTEN),
    _school("gaoxi_kindergarten", "高溪市镇中心幼儿园", "104", _KINDERGARTEN),
    _school("huangyangsi_kindergarten", "黄阳司镇中心幼儿园", "105", _KINDERGARTEN),
    _school("shanglingqiao_kindergarten", "上岭桥镇中心幼儿园", "106", _KINDERGARTEN),
    _school("yitang_kindergarten", "伊塘镇中心幼儿园", "107", _KINDERGARTEN),
    _school("caishi_kindergarten", "蔡市镇中心幼儿园", "108", _KINDERGARTEN),
    _school("yangcundian_kindergarten", "杨村甸乡中心幼儿园", "200", _KINDERGARTEN),
)
SCHOOLS = tuple(org for org in ORGANISATIONS if org.kind == _K.SCHOOL)
# Pupils per class the classes are planned for (a new class opens above it).
CLASS_SIZE = {"kindergarten": 30, "primary": 45, "junior": 50, "senior": 55, "special": 12}


def class_size(school: DemoOrg, grade: int) -> int:
    if school.special:
        return CLASS_SIZE["special"]
    if grade <= _G.KINDERGARTEN_3:
        return CLASS_SIZE["kindergarten"]
    if grade <= _G.PRIMARY_6:
        return CLASS_SIZE["primary"]
    return CLASS_SIZE["junior"] if grade <= _G.JUNIOR_3 else CLASS_SIZE["senior"]


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


# --- Families ---------------------------------------------------------------------------
#
# A household is drawn with a family situation, and the parents' states follow from
# it; the categories are then derived from those facts by the rule engine, never
# written here. Weights are per 1,000 households, rural (villages) and urban
# (communities), shaped on Hunan's: many parents work in 广东 and 浙江, so a village
# has many children whose parents are both away, a few orphans and de-facto
# unsupported children, and the communities take in migrant families.

_S = Guardian.State
_R = Guardian.Relation


@dataclass(frozen=True)
class Situation:
    key: str
    rural: float
    urban: float
    description: str


SITUATIONS: tuple[Situation, ...] = (
    Situation("both_home", 440, 720, "both parents at home"),
    Situation("father_away", 220, 70, "father works away, mother at home"),
    Situation("mother_away", 35, 20, "mother works away, father at home"),
    Situation("both_away", 150, 45, "both parents work outside the county"),
    Situation("both_away_in_county", 30, 20, "both parents work in the county"),
    Situation("both_away_recent", 15, 5, "both parents left less than six months ago"),
    Situation("away_other_unable", 15, 5, "one parent away, the other seriously ill or disabled"),
    Situation("single_parent", 40, 45, "one parent dead, the other at home"),
    Situation("single_parent_away", 8, 3, "one parent dead, the other works away"),
    Situation("orphan", 3, 2, "both parents dead or missing"),
    Situation("de_facto", 6, 4, "both parents unable to raise the child"),
    Situation("de_facto_pending", 2, 1, "parents unable, but not yet for six months"),
    Situation("migrant", 20, 110, "the family's hukou is in another county"),
)
_SITUATION_KEYS = tuple(s.key for s in SITUATIONS)
_RURAL_WEIGHTS = tuple(s.rural for s in SITUATIONS)
_URBAN_WEIGHTS = tuple(s.urban for s in SITUATIONS)

# Where parents work: (place, division code, weight); the first group is outside
# the county, the second inside it.
_WORK_AWAY = (
    ("广东省东莞市", "441900", 18), ("广东省深圳市", "440300", 14), ("广东省广州市", "440100", 12),
    ("广东省佛山市", "440600", 8), ("广东省中山市", "442000", 4), ("浙江省宁波市", "330200", 6),
    ("浙江省杭州市", "330100", 5), ("浙江省义乌市", "330782", 5), ("浙江省温州市", "330300", 3),
    ("湖南省长沙市", "430100", 9), ("福建省厦门市", "350200", 4), ("江苏省苏州市", "320500", 4),
    ("上海市", "310000", 3), ("永州市零陵区", "431102", 3), ("北京市", "110000", 1),
)  # fmt: skip
_WORK_IN_COUNTY = (
    ("永州经济技术开发区（冷水滩）", "431103"),
    ("冷水滩区城区", "431103"),
    ("冷水滩区工业园", "431103"),
)
# Migrant families' hukou counties: Yongzhou's other counties, neighbours in Hunan
# and Guangxi (431121 is 祁阳's code before it became a city: a number keeps it).
_MIGRANT_FROM = (
    ("431102", 20), ("431121", 14), ("431122", 10), ("431124", 8), ("431126", 6),
    ("431129", 6), ("431128", 4), ("430421", 5), ("430582", 5), ("451102", 3), ("450324", 2),
)  # fmt: skip
_YAO_COUNTY = "431129"  # 江华瑶族自治县
# Ethnic groups of 冷水滩区's families (GB 3304 codes): mostly 汉族, some 瑶族 and others.
_ETHNICITIES = (("01", 965), ("13", 20), ("15", 5), ("06", 5), ("12", 3), ("08", 2))
# Children's disabilities: (type, weight) and grades 1 (most severe) to 4.
_DISABILITY_TYPES = (
    (DisabilityType.INTELLECTUAL, 30), (DisabilityType.PHYSICAL, 25),
    (DisabilityType.HEARING, 12), (DisabilityType.MENTAL, 10), (DisabilityType.SPEECH, 8),
    (DisabilityType.VISUAL, 8), (DisabilityType.MULTIPLE, 7),
)  # fmt: skip
_DISABILITY_DIGIT = {t: str(n) for n, (t, _w) in enumerate(_DISABILITY_TYPES, start=1)}
_CHILD_ILLNESSES = (
    "急性淋巴细胞白血病", "先天性心脏病", "肾病综合征", "地中海贫血（重型）", "1型糖尿病",
    "癫痫", "再生障碍性贫血", "血友病",
)  # fmt: skip
_ADULT_ILLNESSES = ("尿毒症", "恶性肿瘤", "肝硬化失代偿期", "脑卒中后遗症", "重度再生障碍性贫血")
_HOSPITALS = ("永州市中心医院", "永州市第三人民医院", "冷水滩区人民医院", "中南大学湘雅医院")
_POLICE_STATIONS = ("梅湾派出所", "菱角山派出所", "花桥街派出所", "普利桥派出所", "蔡市派出所")
# De-facto unsupported: (father's state, mother's state, weight).
_DE_FACTO_PAIRS = (
    (_S.DEAD, _S.OUT_OF_CONTACT, 30), (_S.IMPRISONED, _S.OUT_OF_CONTACT, 12),
    (_S.DEAD, _S.IMPRISONED, 6), (_S.SEVERELY_DISABLED, _S.OUT_OF_CONTACT, 12),
    (_S.SERIOUSLY_ILL, _S.OUT_OF_CONTACT, 6), (_S.IMPRISONED, _S.SEVERELY_DISABLED, 5),
    (_S.COMPULSORY_REHAB, _S.DEAD, 5), (_S.GUARDIANSHIP_REVOKED, _S.IMPRISONED, 3),
    (_S.IMPRISONED, _S.DEPORTED, 2), (_S.OUT_OF_CONTACT, _S.OUT_OF_CONTACT, 5),
    (_S.DECLARED_MISSING, _S.IMPRISONED, 3), (_S.RESTRICTED, _S.DEAD, 1),
)  # fmt: skip
_ORPHAN_PAIRS = (
    (_S.DEAD, _S.DEAD, 55), (_S.DEAD, _S.DECLARED_DEAD, 8), (_S.DECLARED_DEAD, _S.DEAD, 4),
    (_S.DEAD, _S.DECLARED_MISSING, 18), (_S.DECLARED_MISSING, _S.DEAD, 6),
    (_S.DECLARED_MISSING, _S.DECLARED_MISSING, 4),
)  # fmt: skip
_INCAPACITY = (_S.SERIOUSLY_ILL, _S.SEVERELY_DISABLED)
# Families where a parent cannot work or care: poverty assistance is commoner.
_UNABLE_SITUATIONS = frozenset(
    ("away_other_unable", "single_parent", "single_parent_away", "de_facto", "de_facto_pending")
)


@dataclass(frozen=True, slots=True)
class DemoGuardian:
    relation: str
    name: str
    phone: str = ""
    id_number: str = ""
    state: str = _S.AT_HOME
    state_since: date | None = None
    work_place: str = ""
    work_area_code: str = ""
    cross_county: bool | None = None
    police_report_on: date | None = None
    disability_type: str = ""
    disability_grade: int | None = None
    evidence: str = ""
    is_entrusted: bool = False
    entrustment_signed_on: date | None = None
    last_contact_on: date | None = None

    def fields(self) -> dict[str, Any]:
        """Keyword arguments for ``Guardian`` and ``guardian_save``."""
        return {name: getattr(self, name) for name in _GUARDIAN_ATTRS}


_GUARDIAN_ATTRS = tuple(DemoGuardian.__slots__)  # type: ignore[attr-defined]


@dataclass(frozen=True, slots=True)
class DemoHousehold:
    number: int  # position in the plan, shared by siblings
    situation: str  # a Situation key: what the family's facts were drawn from
    area_code: str
    address: str
    main_income: str
    assistance: str
    village_contact: str
    village_contact_phone: str

    def fields(self) -> dict[str, Any]:
        """Keyword arguments for ``Household`` (area code and address included)."""
        return {
            "area_code": self.area_code,
            "address": self.address,
            "main_income": self.main_income,
            "assistance": self.assistance,
            "village_contact": self.village_contact,
            "village_contact_phone": self.village_contact_phone,
        }


@dataclass(frozen=True, slots=True)
class DemoMinor:
    name: str
    sex: str
    birth_date: date
    id_number: str
    area_code: str
    address: str
    school: str  # DemoOrg.key or ""
    status: str
    grade: int | None  # school grade (SchoolClass.Grade) when in a school
    household: DemoHousehold
    guardians: tuple[DemoGuardian, ...]
    ethnicity: str = "01"
    hukou_type: str = ""
    hukou_code: str = ""
    schooling: str = ""
    boarding: bool = False
    health: str = Minor.Health.HEALTHY
    illness: str = ""
    disability_type: str = ""
    disability_grade: int | None = None
    guardianship_concern: bool = False
    # When the child was entered in the registry (a yearly screening, or soon after
    # birth); the migrant rule counts residence from it.
    registered_on: date | None = None

    def fields(self) -> dict[str, Any]:
        """The facts ``minor_create`` takes (school, household and class apart)."""
        return {name: getattr(self, name) for name in _MINOR_ATTRS}


_MINOR_ATTRS = (
    "name", "sex", "birth_date", "id_number", "area_code", "address", "status", "ethnicity",
    "hukou_type", "hukou_code", "schooling", "boarding", "health", "illness", "disability_type",
    "disability_grade", "guardianship_concern",
)  # fmt: skip

# Urban communities are denser than villages.
_AREA_WEIGHT = {"111": 1.6, "121": 1.3, "220": 1.0}
# The first households, in the demo child director's village, show every family
# situation even in a small demo; the one urban left-behind family lives in the
# town's community, in the demo child supervisor's township.
_SCHOOL_AGE = {"ages": (4, 13)}
SHOWCASE: tuple[tuple[str, str, dict[str, Any]], ...] = (
    ("both_away", DEMO_VILLAGE, {**_SCHOOL_AGE, "children": 2}),
    ("de_facto", DEMO_VILLAGE, {**_SCHOOL_AGE, "pair": (_S.DEAD, _S.OUT_OF_CONTACT)}),
    ("orphan", DEMO_VILLAGE, {**_SCHOOL_AGE, "pair": (_S.DEAD, _S.DEAD)}),
    ("migrant", DEMO_VILLAGE, {**_SCHOOL_AGE, "early": True}),
    ("away_other_unable", DEMO_VILLAGE, _SCHOOL_AGE),
    ("both_home", DEMO_VILLAGE, {**_SCHOOL_AGE, "assistance": "dibao"}),
    ("both_home", DEMO_VILLAGE, {**_SCHOOL_AGE, "disabled_child": True}),
    ("both_away", DEMO_VILLAGE, {**_SCHOOL_AGE, "unsigned": True, "concern": True}),
    ("de_facto_pending", DEMO_VILLAGE, _SCHOOL_AGE),
    ("both_away", f"{DEMO_TOWNSHIP}001", {**_SCHOOL_AGE, "urban": True}),
)


def _age_on(born: date, day: date) -> int:
    return day.year - born.year - ((day.month, day.day) < (born.month, born.day))


def _years_before(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February
        return day.replace(year=day.year - years, day=28)


def school_grade(born: date, today: date) -> int:
    """The grade a child born on ``born`` is in on ``today``: a child starts primary
    year 1 in the September after turning six (by 31 August); kindergarten is the
    three years before (-2, -1, 0)."""
    start = today.year if today.month >= 9 else today.year - 1
    return _age_on(born, date(start, 8, 31)) - 5


def _days_ago(today: date, low: int, high: int, rng: random.Random) -> date:
    return today - timedelta(days=rng.randint(low, high))


class _Planner:
    """Draws households and their children from one ``random.Random`` stream."""

    def __init__(self, *, seed: int, today: date) -> None:
        self.rng = random.Random(f"carecircle-demo:{seed}:minors")  # noqa: S311 - demo data
        self.today = today
        self.places = villages()
        self.place_weights = list(accumulate(_AREA_WEIGHT.get(p[2], 1.0) for p in self.places))
        self.by_code = {p[0]: p for p in self.places}
        self.township_names = dict(townships())
        self.earliest = _years_before(today, 18) + timedelta(days=1)
        self.issued: set[str] = set()
        # The yearly screenings (摸底排查) of the last five years, in March.
        self.campaigns = [
            day for day in (date(year, 3, 15) for year in range(today.year - 4, today.year + 1))
            if day < today
        ]  # fmt: skip
        # The village's child director is the household's contact at the village committee.
        self.contacts: dict[str, tuple[str, str]] = {}
        for staff in staff_plan(seed):
            if staff.role == Role.CHILD_DIRECTOR:
                self.contacts[staff.division] = (staff.full_name, staff.phone)
        self.schools_by_township: dict[str, list[DemoOrg]] = {}
        for org in SCHOOLS:
            if not org.special:
                self.schools_by_township.setdefault(org.division, []).append(org)

    # --- people

    def id_number(self, area: str, born: date, sex: str) -> str:
        rng = self.rng
        while True:
            # Odd 001-999 for men, even 002-998 for women.
            sequence = 2 * rng.randrange(500) + 1 if sex == "M" else 2 * rng.randrange(499) + 2
            number = id_number_for(area, born, sequence)
            if number not in self.issued:
                self.issued.add(number)
                return number

    def adult_birth(self, child_born: date, low: int, high: int) -> date:
        born = _years_before(child_born, self.rng.randint(low, high))
        return born - timedelta(days=self.rng.randrange(365))

    def registered_on(self, born: date, *, early: bool) -> date:
        """A screening after the birth (the first one when ``early``), or, for a child
        born since the last one, a day within three months of the birth."""
        after = [day for day in self.campaigns if day > born]
        if after:
            return after[0] if early else self.rng.choice(after)
        return min(born + timedelta(days=self.rng.randint(20, 90)), self.today)

    # --- places and schools

    def address(self, code: str) -> str:
        rng = self.rng
        _code, village, urban_rural = self.by_code[code]
        place = self.township_names[code[:9]] + village
        if urban_rural == "220":
            return f"湖南省永州市冷水滩区{place}{rng.randint(1, 12)}组{rng.randint(1, 60)}号"
        return (
            f"湖南省永州市冷水滩区{place}{rng.randint(1, 30)}栋{rng.randint(1, 4)}单元"
            f"{rng.randint(1, 18)}0{rng.randint(1, 4)}室"
        )

    def school_for(self, township: str, grade: int, severe: bool) -> str:
        rng = self.rng
        if severe and 1 <= grade <= 9 and rng.random() < 0.55:
            return "special_school"
        candidates = [s for s in self.schools_by_township.get(township, []) if s.teaches(grade)]
        if not candidates:
            urban = int(township[6:9]) < 100
            candidates = [
                s
                for s in SCHOOLS
                if not s.special
                and s.teaches(grade)
                and (grade >= 10 or (int(s.division[6:9]) < 100) == urban)
            ]
        return rng.choice(candidates).key

    # --- guardians

    def parent(
        self,
        relation: str,
        state: str,
        *,
        surname: str,
        born: date,
        id_area: str,
        recent: bool = False,
        in_county: bool = False,
        foreign: bool = False,
    ) -> DemoGuardian:
        rng, today = self.rng, self.today
        sex = "M" if relation == _R.FATHER else "F"
        name = rng.choice(_VIETNAMESE_WOMEN) if foreign else _person_name(rng, sex, surname=surname)
        id_number = "" if foreign or rng.random() < 0.06 else self.id_number(id_area, born, sex)
        alive = state not in (_S.DEAD, _S.DECLARED_DEAD, _S.DECLARED_MISSING, _S.OUT_OF_CONTACT)
        phone = _phone(rng) if alive and state != _S.DEPORTED and rng.random() < 0.92 else ""
        facts: dict[str, Any] = {}
        year = rng.randint(2019, today.year - 1)
        number = rng.randint(3, 980)
        if state == _S.AT_HOME:
            pass
        elif state == _S.WORKING_AWAY:
            if in_county:
                place, code = rng.choice(_WORK_IN_COUNTY)
                cross: bool | None = False
            else:
                place, code, _weight = rng.choices(_WORK_AWAY, weights=[w[2] for w in _WORK_AWAY])[
                    0
                ]
                cross = True if rng.random() > 0.01 else None  # a few not yet ascertained
            since = _days_ago(today, 20, 150, rng) if recent else _days_ago(today, 200, 3000, rng)
            # Parents away ring or video-call the child; most within the week.
            roll = rng.random()
            contact = (
                _days_ago(today, 0, 6, rng)
                if roll < 0.8
                else _days_ago(today, 8, 30, rng)
                if roll < 0.95
                else _days_ago(today, 31, 120, rng)
            )
            facts = {
                "state_since": since,
                "work_place": place,
                "work_area_code": code,
                "cross_county": cross,
                "last_contact_on": contact,
            }
        elif state in (_S.DEAD, _S.DECLARED_DEAD):
            since = _days_ago(today, 60, 4000, rng)
            if state == _S.DEAD:
                evidence = rng.choice(("居民死亡医学证明书", "火化证明", "户籍注销证明"))
            else:
                evidence = f"冷水滩区人民法院（{since.year}）湘1103民特{number}号判决书（宣告死亡）"
            facts = {"state_since": since, "evidence": evidence}
        elif state == _S.DECLARED_MISSING:
            since = _days_ago(today, 800, 4000, rng)
            facts = {
                "state_since": since,
                "evidence": f"冷水滩区人民法院（{year}）湘1103民特{number}号判决书（宣告失踪）",
            }
        elif state == _S.OUT_OF_CONTACT:
            reported = (
                _days_ago(today, 40, 120, rng) if recent else _days_ago(today, 200, 1500, rng)
            )
            station = rng.choice(_POLICE_STATIONS)
            facts = {
                "state_since": reported - timedelta(days=rng.randint(10, 300)),
                "police_report_on": None if recent and rng.random() < 0.5 else reported,
                "evidence": f"永州市公安局冷水滩分局{station}查找无果证明",
            }
        elif state in (_S.IMPRISONED, _S.COMPULSORY_REHAB, _S.RESTRICTED):
            since = _days_ago(today, 30, 120, rng) if recent else _days_ago(today, 200, 2500, rng)
            evidence = {
                _S.IMPRISONED: f"冷水滩区人民法院（{since.year}）湘1103刑初{number}号刑事判决书",
                _S.COMPULSORY_REHAB: (
                    f"强制隔离戒毒决定书（永公（禁）决字〔{since.year}〕{number}号）"
                ),
                _S.RESTRICTED: f"永州市公安局冷水滩分局羁押证明（{since.year}）第{number}号",
            }[_S(state)]
            facts = {"state_since": since, "evidence": evidence}
        elif state == _S.SEVERELY_DISABLED:
            # 重残: grade 1-2 of any type, or 3-4 of a mental or intellectual disability.
            kind = rng.choices(_DISABILITY_TYPES, weights=[w for _t, w in _DISABILITY_TYPES])[0][0]
            grade = rng.choice((3, 4)) if kind in ("mental", "intellectual") else rng.choice((1, 2))
            card = f"{id_number}{_DISABILITY_DIGIT[kind]}{grade}" if id_number else "（待补）"
            facts = {
                "state_since": _days_ago(today, 300, 5000, rng),
                "disability_type": kind,
                "disability_grade": grade,
                "evidence": f"残疾人证 {card}",
            }
        elif state == _S.SERIOUSLY_ILL:
            illness = rng.choice(_ADULT_ILLNESSES)
            facts = {
                "state_since": _days_ago(today, 200, 2000, rng),
                "evidence": f"{rng.choice(_HOSPITALS)}诊断证明（{illness}）",
            }
        elif state == _S.GUARDIANSHIP_REVOKED:
            since = _days_ago(today, 200, 2000, rng)
            facts = {
                "state_since": since,
                "evidence": f"冷水滩区人民法院（{since.year}）湘1103民特{number}号判决书"
                "（撤销监护人资格）",
            }
        elif state == _S.DEPORTED:
            since = _days_ago(today, 300, 3000, rng)
            facts = {"state_since": since, "evidence": "公安机关出入境管理部门遣送出境证明"}
        return DemoGuardian(
            relation=relation, name=name, phone=phone, id_number=id_number, state=state, **facts
        )

    def carer(
        self, *, surname: str, child_born: date, entrusted: bool, since: date | None, signed: bool
    ) -> DemoGuardian:
        """A grandparent (or aunt or uncle) bringing the child up."""
        rng = self.rng
        roll = rng.random()
        if roll < 0.6:
            relation, sex, old, name_surname = _R.GRANDMOTHER, "F", True, ""
        elif roll < 0.85:
            relation, sex, old, name_surname = _R.GRANDFATHER, "M", True, surname
        else:
            relation, sex, old, name_surname = _R.RELATIVE, rng.choice("MF"), False, ""
        born = self.adult_birth(child_born, 45, 62) if old else self.adult_birth(child_born, 25, 40)
        signed_on = None
        if entrusted and signed:
            start = since or self.today - timedelta(days=365)
            days = max((self.today - start).days, 1)
            signed_on = start + timedelta(days=rng.randrange(min(days, 400)))
        return DemoGuardian(
            relation=relation,
            name=_person_name(rng, sex, surname=name_surname, old=old),
            phone=_phone(rng) if rng.random() < 0.7 else "",
            id_number=self.id_number(COUNTY, born, sex) if rng.random() < 0.9 else "",
            is_entrusted=entrusted,
            entrustment_signed_on=signed_on,
        )

    def family(
        self, situation: str, *, surname: str, eldest: date, id_area: str, options: dict[str, Any]
    ) -> tuple[DemoGuardian, ...]:
        rng = self.rng
        father_born = self.adult_birth(eldest, 23, 38)
        mother_born = self.adult_birth(eldest, 21, 34)

        def pair(father: str, mother: str, **kwargs: Any) -> tuple[DemoGuardian, DemoGuardian]:
            foreign = mother == _S.DEPORTED
            return (
                self.parent(
                    _R.FATHER, father, surname=surname, born=father_born, id_area=id_area, **kwargs
                ),
                self.parent(
                    _R.MOTHER,
                    mother,
                    surname="",
                    born=mother_born,
                    id_area=id_area,
                    foreign=foreign,
                    **kwargs,
                ),
            )

        def with_carer(
            parents: tuple[DemoGuardian, ...], *, entrusted: bool
        ) -> tuple[DemoGuardian, ...]:
            since = max((p.state_since for p in parents if p.state_since), default=None)
            signed = not options.get("unsigned") and rng.random() < 0.85
            carer = self.carer(
                surname=surname, child_born=eldest, entrusted=entrusted, since=since, signed=signed
            )
            return (*parents, carer)

        away, home = _S.WORKING_AWAY, _S.AT_HOME
        if situation in ("both_home", "migrant"):
            return pair(home, home)
        if situation == "father_away":
            return pair(away, home)
        if situation == "mother_away":
            return pair(home, away)
        if situation == "both_away":
            return with_carer(pair(away, away), entrusted=True)
        if situation == "both_away_in_county":
            return with_carer(pair(away, away, in_county=True), entrusted=rng.random() < 0.5)
        if situation == "both_away_recent":
            return with_carer(pair(away, away, recent=True), entrusted=True)
        if situation == "away_other_unable":
            unable = rng.choice(_INCAPACITY)
            parents = pair(away, unable) if rng.random() < 0.75 else pair(unable, away)
            return with_carer(parents, entrusted=True)
        if situation in ("single_parent", "single_parent_away"):
            other = away if situation == "single_parent_away" else home
            parents = pair(_S.DEAD, other) if rng.random() < 0.6 else pair(other, _S.DEAD)
            if situation == "single_parent_away":
                return with_carer(parents, entrusted=True)
            return parents
        if situation == "orphan":
            father, mother = (
                options.get("pair")
                or rng.choices(
                    [(f, m) for f, m, _w in _ORPHAN_PAIRS], weights=[w for *_p, w in _ORPHAN_PAIRS]
                )[0]
            )
            return with_carer(pair(father, mother), entrusted=False)
        if situation == "de_facto":
            father, mother = (
                options.get("pair")
                or rng.choices(
                    [(f, m) for f, m, _w in _DE_FACTO_PAIRS],
                    weights=[w for *_p, w in _DE_FACTO_PAIRS],
                )[0]
            )
            return with_carer(pair(father, mother), entrusted=False)
        if situation == "de_facto_pending":
            return with_carer(pair(_S.IMPRISONED, _S.OUT_OF_CONTACT, recent=True), entrusted=False)
        raise ValueError(situation)

    # --- households

    def household(
        self, number: int, situation: str, code: str, options: dict[str, Any]
    ) -> Iterator[DemoMinor]:
        rng, today = self.rng, self.today
        _code, _village, urban_rural = self.by_code[code]
        rural = urban_rural == "220"
        migrant = situation == "migrant"
        # Hukou: agricultural in the villages, mostly non-agricultural in the communities;
        # a migrant family's is in its home county.
        if migrant:
            origin = rng.choices(*zip(*_MIGRANT_FROM, strict=True))[0]
            hukou_type = rng.choices(
                (
                    Minor.HukouType.AGRICULTURAL,
                    Minor.HukouType.NON_AGRICULTURAL,
                    Minor.HukouType.UNIFIED,
                ),
                weights=(70, 20, 10),
            )[0]
            hukou_code, id_area = origin, origin
        else:
            if options.get("urban"):
                hukou_type = Minor.HukouType.NON_AGRICULTURAL
            elif rural:
                hukou_type = rng.choices(
                    (
                        Minor.HukouType.AGRICULTURAL,
                        Minor.HukouType.UNIFIED,
                        Minor.HukouType.NON_AGRICULTURAL,
                    ),
                    weights=(88, 7, 5),
                )[0]
            else:
                hukou_type = rng.choices(
                    (
                        Minor.HukouType.NON_AGRICULTURAL,
                        Minor.HukouType.AGRICULTURAL,
                        Minor.HukouType.UNIFIED,
                    ),
                    weights=(72, 18, 10),
                )[0]
            hukou_code, id_area = code, COUNTY
            if hukou_type == Minor.HukouType.AGRICULTURAL and not rural:
                # Moved to town, hukou still in a village of the district.
                hukou_code = rng.choice([p[0] for p in self.places if p[2] == "220"])
        if migrant and origin == _YAO_COUNTY and rng.random() < 0.65:
            ethnicity = "13"  # 瑶族
        else:
            ethnicity = rng.choices(*zip(*_ETHNICITIES, strict=True))[0]
        # Children per household: 1-3, more of them in the villages.
        children = (
            options.get("children")
            or rng.choices((1, 2, 3), weights=(38, 46, 16) if rural else (55, 40, 5))[0]
        )
        youngest_age, oldest_age = options.get("ages", (0, 17))
        earliest = _years_before(today, oldest_age + 1) + timedelta(days=1)
        latest = _years_before(today, youngest_age)
        eldest = earliest + timedelta(days=rng.randrange((latest - earliest).days + 1))
        births = [eldest]
        for _sibling in range(children - 1):
            born = births[-1] + timedelta(days=rng.randint(400, 2600))
            if born > today:
                break
            births.append(born)
        # Poverty: 低保 and 特困 are commoner where a parent cannot work.
        unable = situation in _UNABLE_SITUATIONS
        assistance = options.get("assistance")
        if assistance is None:
            roll = rng.random()
            if situation == "orphan":
                assistance = "tekun" if roll < 0.45 else "dibao" if roll < 0.9 else "none"
            elif unable:
                assistance = "dibao" if roll < 0.45 else "tekun" if roll < 0.5 else "none"
            elif rural:
                assistance = (
                    "dibao" if roll < 0.04 else "tekun" if roll < 0.043
                    else "dibao_edge" if roll < 0.063 else "fanpin_jiance" if roll < 0.093
                    else "none"
                )  # fmt: skip
            else:
                assistance = "dibao" if roll < 0.02 else "dibao_edge" if roll < 0.03 else "none"
        if situation in ("father_away", "mother_away", "both_away", "both_away_recent") or (
            situation in ("away_other_unable", "single_parent_away", "both_away_in_county")
        ):
            income: str = Household.Income.WAGES
        elif assistance in ("dibao", "tekun") and rng.random() < 0.6:
            income = Household.Income.ASSISTANCE
        elif rural:
            income = rng.choices(("farming", "wages", "business"), weights=(55, 30, 15))[0]
        else:
            income = rng.choices(("wages", "business", "other"), weights=(62, 30, 8))[0]
        contact_name, contact_phone = self.contacts.get(code, ("", ""))
        household = DemoHousehold(
            number=number,
            situation=situation,
            area_code=code,
            address=self.address(code),
            main_income=income,
            assistance=assistance,
            village_contact=contact_name,
            village_contact_phone=contact_phone,
        )
        surname = _surname(rng)
        guardians = self.family(
            situation, surname=surname, eldest=eldest, id_area=id_area, options=options
        )
        concern_rate = 0.03 if situation in ("de_facto", "de_facto_pending", "both_away") else 0.003
        family_concern = bool(options.get("concern")) or rng.random() < concern_rate
        for index, born in enumerate(births):
            sex = "M" if rng.random() < 0.52 else "F"
            name = surname + given_name(rng, sex)
            id_number = self.id_number(id_area, born, sex)
            no_hukou = False
            if rng.random() < 0.03:
                # Not yet registered with the police (未落户), or the number is unknown.
                id_number, no_hukou = "", rng.random() < 0.4
            yield self.child(
                household=household,
                guardians=guardians,
                name=name,
                sex=sex,
                born=born,
                id_number=id_number,
                hukou_type=Minor.HukouType.NONE if no_hukou else hukou_type,
                hukou_code="" if no_hukou else hukou_code,
                ethnicity=ethnicity,
                concern=family_concern and index == len(births) - 1,
                disabled=bool(options.get("disabled_child")) and index == 0,
                situation=situation,
                registered_on=self.registered_on(born, early=bool(options.get("early"))),
            )

    def child(
        self,
        *,
        household: DemoHousehold,
        guardians: tuple[DemoGuardian, ...],
        name: str,
        sex: str,
        born: date,
        id_number: str,
        hukou_type: str,
        hukou_code: str,
        ethnicity: str,
        concern: bool,
        disabled: bool,
        situation: str,
        registered_on: date,
    ) -> DemoMinor:
        rng, today = self.rng, self.today
        code = household.area_code
        health, illness, disability_type, disability_grade = Minor.Health.HEALTHY, "", "", None
        roll = rng.random()
        if disabled or roll < 0.012:
            disability_type = rng.choices(
                [t for t, _w in _DISABILITY_TYPES], weights=[w for _t, w in _DISABILITY_TYPES]
            )[0]
            disability_grade = (
                2 if disabled else rng.choices((1, 2, 3, 4), weights=(15, 25, 30, 30))[0]
            )
            health = Minor.Health.DISABLED
            if rng.random() < 0.08:
                health, illness = Minor.Health.DISABLED_AND_ILL, rng.choice(_CHILD_ILLNESSES)
        elif roll < 0.016:
            health, illness = Minor.Health.SERIOUS, rng.choice(_CHILD_ILLNESSES)
        elif roll < 0.036:
            health = Minor.Health.CHRONIC
        severe = disability_grade in (1, 2)
        grade = school_grade(born, today)
        school, schooling, boarding = "", Minor.Schooling.NOT_YET, False
        unsettled = concern or situation in ("de_facto", "orphan", "de_facto_pending")
        if grade < _G.KINDERGARTEN_1:
            pass
        elif grade <= _G.KINDERGARTEN_3:
            away = situation in ("both_away", "away_other_unable")
            if rng.random() < (0.8 if away else 0.88):
                schooling = Minor.Schooling.PRESCHOOL
                school = self.school_for(code[:9], grade, severe)
        elif grade <= _G.JUNIOR_3:
            roll = rng.random()
            if severe and roll < 0.2:
                schooling = Minor.Schooling.SUSPENDED  # taught at home (送教上门)
            elif roll < (0.03 if unsettled else 0.004):
                schooling = rng.choice((Minor.Schooling.SUSPENDED, Minor.Schooling.DROPPED_OUT))
            else:
                schooling = Minor.Schooling.IN_SCHOOL
                school = self.school_for(code[:9], grade, severe)
        else:
            roll = rng.random()
            if roll < 0.07:
                schooling = Minor.Schooling.LEFT_SCHOOL
            elif roll < 0.12:
                schooling = Minor.Schooling.DROPPED_OUT
            else:
                schooling = Minor.Schooling.IN_SCHOOL
                school = self.school_for(code[:9], grade, severe)
        if school:
            rural_home = int(code[9:12]) >= 200
            left_behind = situation in ("both_away", "away_other_unable", "single_parent_away")
            if school == "special_school" or grade >= _G.SENIOR_1:
                boarding = rng.random() < (0.6 if rural_home else 0.35)
            elif grade >= _G.JUNIOR_1:
                rate = (0.55 if left_behind else 0.4) if rural_home else 0.05
                boarding = rng.random() < rate
            elif grade >= _G.PRIMARY_4 and rural_home:
                boarding = rng.random() < (0.12 if left_behind else 0.05)
        return DemoMinor(
            name=name,
            sex=sex,
            birth_date=born,
            id_number=id_number,
            area_code=code,
            address=household.address,
            school=school,
            status=Minor.Status.ACTIVE,
            grade=grade if school else None,
            household=household,
            guardians=guardians,
            ethnicity=ethnicity,
            hukou_type=hukou_type,
            hukou_code=hukou_code,
            schooling=schooling,
            boarding=boarding,
            health=health,
            illness=illness,
            disability_type=disability_type,
            disability_grade=disability_grade,
            guardianship_concern=concern,
            registered_on=registered_on,
        )


def minor_rows(*, seed: int = DEFAULT_SEED, count: int, today: date) -> Iterator[DemoMinor]:
    """``count`` children aged 0-17 on ``today``, household by household (siblings
    together), spread over the villages and communities; the first households are
    ``SHOWCASE``'s, so that even a small demo has every family situation, and the
    first ``REGISTERED_BY_DIRECTOR`` children live in ``DEMO_VILLAGE``."""
    planner = _Planner(seed=seed, today=today)
    rng = planner.rng
    produced = 0
    number = 0
    while produced < count:
        if number < len(SHOWCASE):
            situation, code, options = SHOWCASE[number]
        else:
            code, _name, urban_rural = rng.choices(
                planner.places, cum_weights=planner.place_weights
            )[0]
            weights = _RURAL_WEIGHTS if urban_rural == "220" else _URBAN_WEIGHTS
            situation, options = rng.choices(_SITUATION_KEYS, weights=weights)[0], {}
        for child in planner.household(number, situation, code, options):
            roll = rng.random()
            if produced >= REGISTERED_BY_DIRECTOR and number >= len(SHOWCASE) and roll < 0.021:
                status = Minor.Status.MOVED_AWAY if roll < 0.02 else Minor.Status.DECEASED
                child = replace(child, status=status)
            yield child
            produced += 1
            if produced == count:
                return
        number += 1


# --- Writing it all -------------------------------------------------------------------


@dataclass(frozen=True)
class DemoSummary:
    divisions: int
    organisations: int
    users: int
    minors: int
    households: int = 0
    guardians: int = 0
    classes: int = 0
    categorised: int = 0


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


@dataclass
class _Loaded:
    """What the loader wrote, for the summary and the classes."""

    minors: int = 0
    guardians: int = 0
    households: dict[int, Household] = field(default_factory=dict)
    # (minor pk, school key, grade) of every pupil, for the classes.
    pupils: list[tuple[int, str, int]] = field(default_factory=list)
    registered: list[Minor] = field(default_factory=list)
    # Bulk-loaded children by the day they entered the registry.
    registered_on: dict[date, list[int]] = field(default_factory=dict)


# Names repeat across a district; pinyin is the slowest step of a child's row.
_name_keys = lru_cache(maxsize=100_000)(name_keys)


def _minor(row: DemoMinor, orgs: dict[str, Organisation], household: Household) -> Minor:
    # bulk_create bypasses minor_create, so the search keys are derived here.
    name_pinyin, name_initials = _name_keys(row.name)
    return Minor(
        name_pinyin=name_pinyin,
        name_initials=name_initials,
        school=orgs[row.school] if row.school else None,
        household=household,
        **row.fields(),
    )


def _register(
    rows: Iterator[DemoMinor], loaded: _Loaded, orgs: dict[str, Organisation], director: User
) -> None:
    """The first children, registered by the child director through the services, so
    that the audit log shows real "created" events and their households and guardians."""
    for row in islice(rows, REGISTERED_BY_DIRECTOR):
        household = loaded.households.get(row.household.number)
        minor = minor_create(
            actor=director,
            school=orgs[row.school] if row.school else None,
            household=household,
            **row.fields(),
        )
        if household is None:
            fields = row.household.fields()
            del fields["area_code"], fields["address"]  # taken from the child
            household = household_create(actor=director, minor=minor, **fields)
            loaded.households[row.household.number] = household
        for guardian in row.guardians:
            guardian_save(actor=director, minor=minor, **guardian.fields())
        loaded.registered.append(minor)
        loaded.minors += 1
        loaded.guardians += len(row.guardians)
        if row.school and row.grade is not None:
            loaded.pupils.append((minor.pk, row.school, row.grade))


def _bulk_load(
    rows: Iterator[DemoMinor],
    loaded: _Loaded,
    orgs: dict[str, Organisation],
    *,
    batch_size: int,
    progress: Callable[[int], None] | None,
) -> None:
    while batch := list(islice(rows, batch_size)):
        new = {
            row.household.number: Household(**row.household.fields())
            for row in batch
            if row.household.number not in loaded.households
        }
        # bulk_create runs each field's pre_save, so the encrypted fields are
        # encrypted and the ID number's blind index computed as in save().
        Household.objects.bulk_create(list(new.values()))
        loaded.households.update(new)
        minors = Minor.objects.bulk_create(
            [_minor(row, orgs, loaded.households[row.household.number]) for row in batch]
        )
        guardians = [
            (minor.pk, guardian)
            for minor, row in zip(minors, batch, strict=True)
            for guardian in row.guardians
        ]
        insert_guardians(guardians)
        for minor, row in zip(minors, batch, strict=True):
            if row.school and row.grade is not None:
                loaded.pupils.append((minor.pk, row.school, row.grade))
            if row.registered_on is not None:
                loaded.registered_on.setdefault(row.registered_on, []).append(minor.pk)
        loaded.minors += len(minors)
        loaded.guardians += len(guardians)
        if progress is not None:
            progress(loaded.minors)


def insert_guardians(guardians: Sequence[tuple[int | None, DemoGuardian]]) -> None:
    """Insert (minor pk, guardian) rows with one ``executemany``: guardians are the
    largest table of the demo, and ``bulk_create`` spent most of its time compiling
    SQL. Every column of the model gets a value (the guardian's, or the field's
    default), and each field prepares its own value, so the phone number and ID
    number are encrypted exactly as ``save()`` would."""
    fields = [f for f in Guardian._meta.concrete_fields if not f.primary_key]
    now = timezone.now()
    plain = (str, bool, int, type(None))

    def prepared(field: Any, value: Any) -> Any:
        if isinstance(value, plain) and not isinstance(field, EncryptedTextField):
            return value
        return field.get_db_prep_save(value, connection)

    defaults = {f.attname: f.get_default() for f in fields}
    defaults.update(created_at=now, updated_at=now)
    columns = ", ".join(connection.ops.quote_name(str(f.column)) for f in fields)
    # Identifiers come from the model, values are bound parameters.
    sql = "INSERT INTO {} ({}) VALUES ({})".format(  # noqa: S608
        connection.ops.quote_name(Guardian._meta.db_table),
        columns,
        ", ".join(["%s"] * len(fields)),
    )
    rows = []
    for minor_id, guardian in guardians:
        values = {**defaults, **guardian.fields(), "minor_id": minor_id}
        rows.append(tuple(prepared(f, values[f.attname]) for f in fields))
    with connection.cursor() as cursor:
        cursor.executemany(sql, rows)


def _classes(
    pupils: list[tuple[int, str, int]], orgs: dict[str, Organisation], *, seed: int
) -> int:
    """Every grade of every school gets as many classes as its pupils need (at least
    one), named 1班, 2班…, with a head teacher; pupils are dealt round the classes."""
    rng = random.Random(f"carecircle-demo:{seed}:classes")  # noqa: S311 - demo data
    by_grade: dict[tuple[str, int], list[int]] = {}
    for pk, school, grade in pupils:
        by_grade.setdefault((school, grade), []).append(pk)
    planned: list[tuple[list[int], SchoolClass]] = []
    for org in SCHOOLS:
        low, high = org.grades or (0, -1)
        for grade in range(low, high + 1):
            members = by_grade.get((org.key, grade), [])
            count = max(1, -(-len(members) // class_size(org, grade)))
            for number in range(count):
                planned.append(
                    (
                        members[number::count],
                        SchoolClass(
                            school=orgs[org.key],
                            grade=grade,
                            name=f"{number + 1}班",
                            head_teacher=adult_name(rng),
                        ),
                    )
                )
    created = SchoolClass.objects.bulk_create([school_class for _m, school_class in planned])
    for (members, _planned), school_class in zip(planned, created, strict=True):
        for start in range(0, len(members), 500):
            Minor.objects.filter(pk__in=members[start : start + 500]).update(
                school_class=school_class
            )
    return len(created)


def _registration_dates(registered_on: dict[date, list[int]]) -> None:
    """Date the bulk-loaded records back to the screening that entered them
    (``created_at`` is set on insert, so it is corrected afterwards)."""
    zone = timezone.get_current_timezone()
    for day, pks in registered_on.items():
        moment = datetime.combine(day, time(9, 0), tzinfo=zone)
        for start in range(0, len(pks), 500):
            Minor.objects.filter(pk__in=pks[start : start + 500]).update(
                created_at=moment, updated_at=moment
            )


def _key_assistance(director: User) -> int:
    """The child director marks the orphans and de-facto unsupported children of the
    village as key assistance targets (重点帮扶对象): the rules never derive it."""
    today = timezone.localdate()
    targets = Minor.objects.filter(
        open_category_q(Category.ORPHAN, on=today)
        | open_category_q(Category.DE_FACTO_UNSUPPORTED, on=today),
        area_code=DEMO_VILLAGE,
    ).order_by("pk")
    marked = 0
    for minor in targets:
        category_add_manual(
            actor=director,
            minor=minor,
            category=Category.KEY_ASSISTANCE,
            reason="摸底排查确定为重点帮扶对象：父母均无法履行抚养义务，由祖辈照料，"
            "每月至少走访一次。",
        )
        marked += 1
    return marked


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
    """Load the demo district: regions, organisations, staff, schools with their
    classes, households with their children and guardians, and some activity; the
    children's categories are then derived by the rule engine from those facts.

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
        rows = minor_rows(seed=seed, count=minors, today=today)
        loaded = _Loaded()
        _register(rows, loaded, orgs, users[Role.CHILD_DIRECTOR])
        _bulk_load(rows, loaded, orgs, batch_size=batch_size, progress=progress)
        classes = _classes(loaded.pupils, orgs, seed=seed)
        _registration_dates(loaded.registered_on)
        # Derived, never written: the rule engine reads the facts just loaded.
        categorised = categories.categories_refresh_many(
            Minor.objects.all(), today=today, actor=None
        )
        _key_assistance(users[Role.CHILD_DIRECTOR])
        audit_record(
            actor=None,
            action=AuditEvent.Action.SYSTEM,
            object_type="people.minor",
            details={
                "event": "seed_demo",
                "minors": loaded.minors,
                "households": len(loaded.households),
                "guardians": loaded.guardians,
                "classes": classes,
                "seed": seed,
            },
            username="seed_demo",
        )
        _activity(users, loaded.registered, orgs)
    return DemoSummary(
        divisions=division_count,
        organisations=len(orgs),
        users=len(users),
        minors=loaded.minors,
        households=len(loaded.households),
        guardians=loaded.guardians,
        classes=classes,
        categorised=categorised,
    )
