"""What the demo families are drawn from: the family situations and their weights,
where parents work, migrant families' home counties, ethnic groups, illnesses and
disabilities, the parents' states behind orphans and de-facto unsupported children,
and the showcase households every demo starts with.

A household is drawn with a family situation, and the parents' states follow from
it; the categories are then derived from those facts by the rule engine, never
written here. Weights are per 1,000 households, rural (villages) and urban
(communities), shaped on Hunan's: many parents work in 广东 and 浙江, so a village
has many children whose parents are both away, a few orphans and de-facto
unsupported children, and the communities take in migrant families.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from carecircle.people.demo.district import DEMO_TOWNSHIP, DEMO_VILLAGE
from carecircle.people.models import DisabilityType, Guardian

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
