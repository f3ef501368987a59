"""The demo district's fixed facts: the demo accounts' settings, where the named demo
users work, the organisations and schools of 冷水滩区 with their class sizes, and its
townships and villages (from ``regions.data.lengshuitan``)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from carecircle.accounts.models import Organisation
from carecircle.accounts.roles import Role
from carecircle.people.models import SchoolClass
from carecircle.regions.data import lengshuitan

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


def _age_on(born: date, day: date) -> int:
    return day.year - born.year - ((day.month, day.day) < (born.month, born.day))


def school_grade(born: date, today: date) -> int:
    """The grade a child born on ``born`` is in on ``today``: a child starts primary
    year 1 in the September after turning six (by 31 August); kindergarten is the
    three years before (-2, -1, 0)."""
    start = today.year if today.month >= 9 else today.year - 1
    return _age_on(born, date(start, 8, 31)) - 5


def _region_rows() -> list[tuple[str, str, str]]:
    return lengshuitan.rows()


def townships() -> list[tuple[str, str]]:
    """(prefix, name) of the district's townships and streets, in code order."""
    return [(code[:9], name) for code, name, _ in _region_rows() if len(code) == 9]


def villages() -> list[tuple[str, str, str]]:
    """(12-digit code, name, urban-rural class) of every village and community."""
    return [row for row in _region_rows() if len(row[0]) == 12]
