"""The layouts of the 两表一册 rosters (DOMAIN.md §2, §9.4), for templates, import and export.

"一人一表，两表一册": the 农村留守儿童信息登记表, the 困境儿童信息登记表 and the
农村留守儿童和困境儿童信息花名册. Each ``Layout`` is a title row with the form's
name, a line for the reporting unit and date, then one header row of ``Column``
headers. The headers and the enumeration labels below are the forms' own Chinese
vocabulary, not interface text: a file filled in by a village in Chinese must
import the same whatever language the importer's browser is set to, so they are
not translated.

An enumeration cell accepts its label (``男``), any alias (``男性``) or the stored
value (``M``); the first label of each enumeration is the one the templates'
dropdowns and the export write.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cached_property
from io import BytesIO

from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from carecircle.people.ethnicities import ETHNIC_GROUPS

# --- Enumerations: (label, stored value, aliases) --------------------------------

Choice = tuple[str, object, tuple[str, ...]]

ENUMS: dict[str, tuple[Choice, ...]] = {
    "sex": (("男", "M", ("男性", "male")), ("女", "F", ("女性", "female"))),
    "ethnicity": tuple((name, code, (name.removesuffix("族"),)) for code, name in ETHNIC_GROUPS),
    "yes_no": (
        ("是", True, ("是的", "y", "yes", "true", "1", "√")),
        ("否", False, ("不是", "n", "no", "false", "0", "×")),
    ),
    "hukou_type": (
        ("农业户口", "agricultural", ("农业", "农村户口", "农村")),
        ("非农业户口", "non_agricultural", ("非农业", "城镇户口", "城镇")),
        ("居民户口", "unified", ("居民", "统一居民户口", "家庭户口")),
        ("未落户", "none", ("无户口", "未登记户口")),
    ),
    "schooling": (
        ("未到学龄", "not_yet", ("学龄前", "散居")),
        ("在园", "preschool", ("幼儿园", "在读幼儿园")),
        ("在校", "in_school", ("在读", "就读", "在校就读")),
        ("休学", "suspended", ()),
        ("辍学", "dropped_out", ("失学",)),
        ("离校", "left_school", ("已离校", "毕业", "已毕业", "就业")),
    ),
    "health": (
        ("健康", "healthy", ("良好", "正常")),
        ("慢性病", "chronic", ("患慢性病",)),
        ("患重病", "serious", ("重病", "大病", "患大病")),
        ("残疾", "disabled", ()),
        ("残疾且患重病", "disabled_ill", ("重病且残疾", "残疾并患重病")),
    ),
    "disability_type": (
        ("视力残疾", "visual", ("视力",)),
        ("听力残疾", "hearing", ("听力",)),
        ("言语残疾", "speech", ("言语",)),
        ("肢体残疾", "physical", ("肢体",)),
        ("智力残疾", "intellectual", ("智力",)),
        ("精神残疾", "mental", ("精神",)),
        ("多重残疾", "multiple", ("多重",)),
    ),
    "disability_grade": (
        ("一级", 1, ("1", "1级", "壹级")),
        ("二级", 2, ("2", "2级", "贰级")),
        ("三级", 3, ("3", "3级", "叁级")),
        ("四级", 4, ("4", "4级", "肆级")),
    ),
    "parent_state": (
        ("在家", "at_home", ("在家中", "在本地", "正常")),
        ("外出务工", "working_away", ("外出", "务工", "外出打工", "外地务工")),
        ("死亡", "dead", ("已故", "去世", "已死亡")),
        ("宣告死亡", "declared_dead", ("被宣告死亡",)),
        ("宣告失踪", "declared_missing", ("被宣告失踪",)),
        ("重病", "seriously_ill", ("患重病", "大病")),
        ("重残", "severely_disabled", ("重度残疾",)),
        ("服刑在押", "imprisoned", ("服刑", "在押")),
        ("强制隔离戒毒", "compulsory_rehab", ("戒毒", "强制戒毒")),
        ("被执行其他限制人身自由措施", "restricted", ("限制人身自由",)),
        ("失联", "out_of_contact", ("失踪", "下落不明", "失去联系")),
        ("被撤销监护资格", "guardianship_revoked", ("撤销监护资格",)),
        ("被遣送(驱逐)出境", "deported", ("遣送出境", "驱逐出境", "被遣送出境", "被驱逐出境")),
    ),
    "relation": (
        ("祖父", "grandfather", ("爷爷", "外祖父", "外公")),
        ("祖母", "grandmother", ("奶奶", "外祖母", "外婆")),
        ("兄姐", "sibling", ("哥哥", "姐姐", "兄长", "成年兄姐")),
        ("其他亲属", "relative", ("亲属", "亲戚", "叔叔", "伯父", "姑姑", "舅舅", "姨妈", "姑妈")),
        ("其他", "other", ("朋友", "邻居", "其他人员")),
    ),
    "income": (
        ("外出务工收入", "wages", ("务工", "务工收入", "打工", "外出务工")),
        ("务农", "farming", ("种养殖", "农业", "本地务工", "务农收入")),
        ("经商", "business", ("个体经营", "经营", "自营")),
        ("社会救助", "assistance", ("救助", "政府救助")),
        ("其他", "other", ()),
    ),
    "assistance": (
        ("无", "none", ("没有", "未享受")),
        ("低保", "dibao", ("最低生活保障", "低保户")),
        ("特困供养", "tekun", ("特困", "特困人员")),
        ("低保边缘", "dibao_edge", ("低边",)),
        ("防返贫监测", "fanpin_jiance", ("返贫监测", "监测户", "防止返贫监测")),
    ),
    "grade": (
        ("小班", -2, ("幼儿园小班",)),
        ("中班", -1, ("幼儿园中班",)),
        ("大班", 0, ("幼儿园大班", "学前班")),
        ("一年级", 1, ("1", "1年级", "小学一年级")),
        ("二年级", 2, ("2", "2年级", "小学二年级")),
        ("三年级", 3, ("3", "3年级", "小学三年级")),
        ("四年级", 4, ("4", "4年级", "小学四年级")),
        ("五年级", 5, ("5", "5年级", "小学五年级")),
        ("六年级", 6, ("6", "6年级", "小学六年级")),
        ("七年级", 7, ("7", "7年级", "初一", "初中一年级")),
        ("八年级", 8, ("8", "8年级", "初二", "初中二年级")),
        ("九年级", 9, ("9", "9年级", "初三", "初中三年级")),
        ("高一", 10, ("10", "高中一年级")),
        ("高二", 11, ("11", "高中二年级")),
        ("高三", 12, ("12", "高中三年级")),
    ),
}

# The categories as the forms and the 民政 statistics name them (exports' 类别 column).
CATEGORY_LABELS = {
    "rural_left_behind": "农村留守儿童",
    "urban_left_behind": "城镇留守儿童",
    "migrant": "流动儿童",
    "orphan": "孤儿",
    "de_facto_unsupported": "事实无人抚养儿童",
    "in_difficulty": "困境儿童",
    "key_assistance": "重点帮扶对象",
}

_FOLD = str.maketrans({"（": "(", "）": ")", "：": ":", "　": " ", "＊": "*"})


def fold(text: str) -> str:
    """A header or label compared loosely: no spaces, no required-field stars, ASCII
    parentheses, ASCII letters lower-cased."""
    return re.sub(r"[\s*]+", "", text.translate(_FOLD)).lower()


_LOOKUP: dict[str, dict[str, object]] = {
    name: {
        fold(alias): value
        for label, value, aliases in choices
        for alias in (label, str(value), *aliases)
    }
    for name, choices in ENUMS.items()
}


def enum_value(enum: str, text: str) -> object | None:
    """The stored value for ``text`` in enumeration ``enum``; None when it names none."""
    return _LOOKUP[enum].get(fold(text))


def enum_label(enum: str, value: object) -> str:
    """The roster label of a stored value ("" for an empty one)."""
    for label, stored, _aliases in ENUMS[enum]:
        if stored == value:
            return label
    return ""


def enum_labels(enum: str) -> list[str]:
    return [label for label, _value, _aliases in ENUMS[enum]]


# --- Columns ------------------------------------------------------------------------

TEXT, DATE, CODE, PHONE, ID = "text", "date", "code", "phone", "id"


@dataclass(frozen=True)
class Column:
    key: str
    header: str
    kind: str = TEXT  # TEXT, DATE, CODE (digits), PHONE, ID, or "enum"
    enum: str = ""
    width: int = 12
    required: bool = False  # the column must be in the file
    export_only: bool = False  # written by the export, ignored on import
    aliases: tuple[str, ...] = ()
    note: str = ""  # one line of the 填表说明 sheet


def _enum(
    key: str,
    header: str,
    enum: str,
    width: int = 10,
    *,
    required: bool = False,
    aliases: tuple[str, ...] = (),
    note: str = "",
) -> Column:
    return Column(key, header, "enum", enum, width, required, False, aliases, note)


def _parent(prefix: str, who: str, *, work: bool) -> list[Column]:
    columns = [
        Column(f"{prefix}_name", f"{who}姓名", width=10),
        _enum(
            f"{prefix}_state",
            f"{who}状况",
            "parent_state",
            width=14,
            note=f"{who}状况：从下拉列表选择；留空则不改变已登记的情况。",
        ),
        Column(
            f"{prefix}_state_since",
            f"{who}状况起始日期",
            DATE,
            width=14,
            aliases=(f"{who}外出时间", f"{who}状况开始日期"),
        ),
    ]
    if work:
        columns += [
            Column(f"{prefix}_work_place", f"{who}务工地点", width=18, aliases=(f"{who}务工地",)),
            _enum(
                f"{prefix}_cross_county",
                f"{who}是否跨县务工",
                "yes_no",
                width=10,
                aliases=(f"{who}是否跨县",),
            ),
        ]
    columns.append(
        Column(f"{prefix}_phone", f"{who}联系电话", PHONE, width=14, aliases=(f"{who}电话",))
    )
    return columns


SEQ = Column("seq", "序号", width=6)
NAME = Column("name", "姓名", width=10, required=True, aliases=("儿童姓名",))
SEX = _enum("sex", "性别", "sex", width=6, required=True)
ETHNICITY = _enum("ethnicity", "民族", "ethnicity", width=8)
BIRTH = Column(
    "birth_date",
    "出生日期",
    DATE,
    width=12,
    required=True,
    aliases=("出生年月日", "出生年月"),
    note="出生日期：如 2014-05-01、2014/5/1、20140501 或 2014年5月1日；"
    "填了公民身份号码的可以留空，按身份号码取出生日期和性别。",
)
ID_NUMBER = Column(
    "id_number",
    "公民身份号码",
    ID,
    width=21,
    required=True,
    aliases=("身份证号", "身份证号码", "公民身份证号码", "身份号码"),
    note="公民身份号码：18 位，末位可以是 X；请把这一列设为文本格式，"
    "否则 Excel 会把号码变成科学计数并丢掉末几位。没有号码的儿童可以留空。",
)
HUKOU_TYPE = _enum("hukou_type", "户籍性质", "hukou_type", width=12)
HUKOU_CODE = Column(
    "hukou_code",
    "户籍地区划代码",
    CODE,
    width=14,
    aliases=("户籍地", "户籍所在地代码"),
    note="户籍地区划代码：户口登记地的区划代码，6 至 12 位数字。",
)
AREA = Column(
    "area_code",
    "现居住地区划代码",
    CODE,
    width=15,
    required=True,
    aliases=("现居住地代码", "居住地区划代码", "村(居)区划代码"),
    note="现居住地区划代码：儿童现居住村(社区)的 12 位统计用区划代码，必须在您负责的范围内。",
)
ADDRESS = Column("address", "现居住地址", width=24, aliases=("现住址", "家庭住址", "居住地址"))
RESIDENT_SINCE = Column(
    "resident_since",
    "现居住地居住起始日期",
    DATE,
    width=14,
    aliases=("来本地居住时间", "流入时间"),
    note="现居住地居住起始日期：儿童开始在现居住地生活的日期；流动儿童按此计算居住满 6 个月。",
)
SCHOOLING = _enum("schooling", "就学状况", "schooling", width=10)
SCHOOL = Column(
    "school",
    "就读学校",
    width=18,
    aliases=("学校", "学校名称"),
    note="就读学校：与系统中登记的学校名称一致；年级和班级须与学校同时填写，"
    "系统中尚无的班级会自动建立。",
)
GRADE = _enum("grade", "年级", "grade", width=8)
CLASS = Column("class_name", "班级", width=8, aliases=("班别",))
BOARDING = _enum("boarding", "是否寄宿", "yes_no", width=8, aliases=("寄宿",))
HEALTH = _enum("health", "健康状况", "health", width=12)
ILLNESS = Column("illness", "患病名称", width=16, aliases=("所患疾病", "病种"))
DISABILITY_TYPE = _enum("disability_type", "残疾类别", "disability_type", width=10)
DISABILITY_GRADE = _enum("disability_grade", "残疾等级", "disability_grade", width=8)
CONCERN = _enum(
    "guardianship_concern",
    "是否监护缺失或不当",
    "yes_no",
    width=10,
    aliases=("监护缺失或不当",),
)
ENTRUSTED = [
    Column("entrusted_name", "受委托监护人姓名", width=12, aliases=("委托监护人姓名",)),
    _enum(
        "entrusted_relation",
        "与儿童关系",
        "relation",
        width=10,
        aliases=("受委托监护人与儿童关系",),
        note="受委托监护人：填写姓名时须同时填写与儿童关系（父母不能作为受委托监护人）。",
    ),
    Column(
        "entrusted_phone",
        "受委托监护人电话",
        PHONE,
        width=14,
        aliases=("受委托监护人联系电话",),
    ),
    Column(
        "entrustment_signed_on",
        "委托监护确认书签订日期",
        DATE,
        width=14,
        aliases=("委托监护确认书签订时间",),
    ),
]
INCOME = _enum("income", "家庭主要经济来源", "income", width=14)
ASSISTANCE = _enum("assistance", "社会救助", "assistance", width=12, aliases=("享受救助情况",))
VILLAGE_CONTACT = [
    Column(
        "village_contact",
        "村(居)委会联系人",
        width=12,
        aliases=("村委会联系人", "村(居)联系人"),
        note="家庭主要经济来源、社会救助和村(居)委会联系人记入儿童的家庭。",
    ),
    Column(
        "village_contact_phone",
        "村(居)委会联系电话",
        PHONE,
        width=14,
        aliases=("村委会联系电话", "联系电话"),
    ),
]
CATEGORIES = Column(
    "categories",
    "类别",
    width=20,
    export_only=True,
    aliases=("儿童类别",),
    note="类别：导出时写出儿童当前所属的类别；导入时忽略这一列。",
)


@dataclass(frozen=True)
class Layout:
    key: str
    title: str  # the form's name, in the title row
    sheet: str  # the data sheet's name
    columns: tuple[Column, ...]
    category: str = ""  # the export's default category filter
    notes: tuple[str, ...] = field(default_factory=tuple)

    @property
    def import_columns(self) -> tuple[Column, ...]:
        return tuple(c for c in self.columns if not c.export_only)

    def column(self, key: str) -> Column:
        return self._by_key[key]

    @cached_property
    def _by_key(self) -> dict[str, Column]:
        return {c.key: c for c in self.columns}

    def match(self, header: str) -> Column | None:
        folded = fold(header)
        for column in self.columns:
            if folded == fold(column.header) or folded in {fold(a) for a in column.aliases}:
                return column
        return None


_IDENTITY = [
    SEQ,
    NAME,
    SEX,
    ETHNICITY,
    BIRTH,
    ID_NUMBER,
    HUKOU_TYPE,
    HUKOU_CODE,
    AREA,
    ADDRESS,
    RESIDENT_SINCE,
]

LAYOUTS: dict[str, Layout] = {
    layout.key: layout
    for layout in (
        Layout(
            "left_behind",
            "农村留守儿童信息登记表",
            "留守儿童登记表",
            (
                *_IDENTITY,
                SCHOOL,
                GRADE,
                CLASS,
                BOARDING,
                HEALTH,
                *_parent("father", "父亲", work=True),
                *_parent("mother", "母亲", work=True),
                *ENTRUSTED,
                INCOME,
                *VILLAGE_CONTACT,
                CATEGORIES,
            ),
            category="rural_left_behind",
        ),
        Layout(
            "in_difficulty",
            "困境儿童信息登记表",
            "困境儿童登记表",
            (
                *_IDENTITY,
                SCHOOLING,
                SCHOOL,
                GRADE,
                CLASS,
                HEALTH,
                ILLNESS,
                DISABILITY_TYPE,
                DISABILITY_GRADE,
                CONCERN,
                *_parent("father", "父亲", work=False),
                *_parent("mother", "母亲", work=False),
                *ENTRUSTED[:3],
                INCOME,
                ASSISTANCE,
                *VILLAGE_CONTACT,
                CATEGORIES,
            ),
            category="in_difficulty",
        ),
        Layout(
            "roster",
            "农村留守儿童和困境儿童信息花名册",
            "花名册",
            (
                SEQ,
                NAME,
                SEX,
                ETHNICITY,
                BIRTH,
                ID_NUMBER,
                HUKOU_TYPE,
                HUKOU_CODE,
                AREA,
                ADDRESS,
                RESIDENT_SINCE,
                SCHOOLING,
                SCHOOL,
                GRADE,
                CLASS,
                HEALTH,
                Column("father_name", "父亲姓名", width=10),
                _enum("father_state", "父亲状况", "parent_state", width=14),
                Column("father_phone", "父亲联系电话", PHONE, width=14, aliases=("父亲电话",)),
                Column("mother_name", "母亲姓名", width=10),
                _enum("mother_state", "母亲状况", "parent_state", width=14),
                Column("mother_phone", "母亲联系电话", PHONE, width=14, aliases=("母亲电话",)),
                *ENTRUSTED[:3],
                CATEGORIES,
                *VILLAGE_CONTACT,
            ),
        ),
    )
}
DEFAULT_LAYOUT = "roster"
# Columns a roster may carry that no layout reads: ignored on import, never an error.
IGNORED_HEADERS = frozenset({fold("备注"), fold("说明")})
# Header rows of the forms: the title, the reporting unit line, then the headers.
HEADER_ROW = 3
REPORTING_LINE = (
    "填报单位（盖章）：                    填报人：            联系电话："
    "                填报日期：    年  月  日"
)
GENERAL_NOTES = (
    "本表按“一人一表，两表一册”的格式制作。第 1 行是表名，第 2 行填写填报单位和日期，"
    "第 3 行是表头，请勿修改表头文字；从第 4 行起每行填写一名儿童。",
    "标 * 的列必须保留：姓名、性别、出生日期、公民身份号码、现居住地区划代码。",
    "带下拉箭头的列请从下拉列表中选择；也可以填写常见写法（如“爷爷”“外出”），系统会识别。",
    "以 = + - @ 开头的内容会被当作公式，系统拒绝导入；请删除这些符号。电话号码可以写 +86。",
    "导入时先检查全部内容，有任何问题则一行也不导入，并按行号和列名列出问题。",
    "同一儿童重复导入不会新增记录：有公民身份号码的按号码匹配，没有的按姓名、出生日期和"
    "现居住地区划代码匹配，并更新已登记的信息；表中留空的单元格不会清除已登记的信息。",
)


def layout_choices() -> list[tuple[str, str]]:
    return [(layout.key, layout.title) for layout in LAYOUTS.values()]


# --- Workbook styling shared by the template and the export --------------------------

TITLE_FONT = Font(name="宋体", size=16, bold=True)
HEADER_FONT = Font(name="宋体", size=10, bold=True)
HEADER_FILL = PatternFill("solid", fgColor="DDEBF7")
THIN = Side(style="thin", color="999999")
HEADER_BORDER = Border(left=THIN, right=THIN, top=THIN, bottom=THIN)
HEADER_ALIGNMENT = Alignment(horizontal="center", vertical="center", wrap_text=True)
TEXT_FORMAT = "@"
DATE_FORMAT = "yyyy-mm-dd"
TEXT_KINDS = frozenset({ID, PHONE, CODE, TEXT})
TEMPLATE_ROWS = 1000  # rows of the template with dropdowns
OPTIONS_SHEET = "选项"
NOTES_SHEET = "填表说明"


def header_text(column: Column) -> str:
    return f"*{column.header}" if column.required else column.header


def template_workbook(layout: Layout) -> bytes:
    """The empty form of ``layout`` as xlsx: title, reporting line, styled headers,
    text-formatted code columns, dropdowns for enumerations, and a 填表说明 sheet."""
    wb = Workbook()
    ws = wb.active
    ws.title = layout.sheet
    columns = layout.import_columns
    last = get_column_letter(len(columns))
    ws["A1"] = layout.title
    ws["A1"].font = TITLE_FONT
    ws["A1"].alignment = Alignment(horizontal="center")
    ws.merge_cells(f"A1:{last}1")
    ws["A2"] = REPORTING_LINE
    ws.merge_cells(f"A2:{last}2")
    ws.row_dimensions[HEADER_ROW].height = 36
    options = wb.create_sheet(OPTIONS_SHEET)
    options.sheet_state = "hidden"
    enums_used: dict[str, str] = {}
    first, end = HEADER_ROW + 1, HEADER_ROW + TEMPLATE_ROWS
    for index, column in enumerate(columns, start=1):
        letter = get_column_letter(index)
        cell = ws.cell(row=HEADER_ROW, column=index, value=header_text(column))
        cell.font, cell.fill, cell.border = HEADER_FONT, HEADER_FILL, HEADER_BORDER
        cell.alignment = HEADER_ALIGNMENT
        ws.column_dimensions[letter].width = column.width
        if column.kind in (ID, PHONE, CODE):
            # Text, so that Excel keeps all 18 digits and leading zeros.
            ws.column_dimensions[letter].number_format = TEXT_FORMAT
        elif column.kind == DATE:
            ws.column_dimensions[letter].number_format = DATE_FORMAT
        if column.enum:
            if column.enum not in enums_used:
                col = get_column_letter(len(enums_used) + 1)
                labels = enum_labels(column.enum)
                options.cell(row=1, column=len(enums_used) + 1, value=column.enum)
                for offset, label in enumerate(labels, start=2):
                    options.cell(row=offset, column=len(enums_used) + 1, value=label)
                enums_used[column.enum] = f"{OPTIONS_SHEET}!${col}$2:${col}${len(labels) + 1}"
            validation = DataValidation(
                type="list",
                formula1=f"={enums_used[column.enum]}",
                allow_blank=True,
                showErrorMessage=True,
                errorTitle="请从列表选择",
                error=f"“{column.header}”请从下拉列表中选择。",
            )
            validation.add(f"{letter}{first}:{letter}{end}")
            ws.add_data_validation(validation)
    ws.freeze_panes = ws.cell(row=first, column=3)
    notes = wb.create_sheet(NOTES_SHEET, 1)
    notes.column_dimensions["A"].width = 110
    notes["A1"] = f"{layout.title} 填表说明"
    notes["A1"].font = Font(name="宋体", size=14, bold=True)
    lines = [*GENERAL_NOTES, *(c.note for c in layout.columns if c.note)]
    for offset, line in enumerate(lines, start=2):
        notes.cell(row=offset, column=1, value=f"{offset - 1}. {line}").alignment = Alignment(
            wrap_text=True, vertical="top"
        )
    buffer = BytesIO()
    wb.save(buffer)
    return buffer.getvalue()
