from __future__ import annotations

from datetime import date

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from carecircle.accounts.models import Organisation
from carecircle.crypto.fields import BlindIndexField, EncryptedTextField
from carecircle.people import idnumbers
from carecircle.people.ethnicities import ETHNIC_GROUPS
from carecircle.regions.codes import validate_division_code


def normalize_id_number(value: str) -> str:
    return idnumbers.normalize(value)


class DisabilityType(models.TextChoices):
    """The seven categories of the 残疾人证 (GB/T 26341-2010)."""

    VISUAL = "visual", _("Visual")
    HEARING = "hearing", _("Hearing")
    SPEECH = "speech", _("Speech")
    PHYSICAL = "physical", _("Physical")
    INTELLECTUAL = "intellectual", _("Intellectual")
    MENTAL = "mental", _("Mental")
    MULTIPLE = "multiple", _("Multiple")


class DisabilityGrade(models.IntegerChoices):
    """Grade 1 is the most severe."""

    GRADE_1 = 1, _("Grade 1")
    GRADE_2 = 2, _("Grade 2")
    GRADE_3 = 3, _("Grade 3")
    GRADE_4 = 4, _("Grade 4")


class SchoolClass(models.Model):
    """A class (班级) of a school, in one grade."""

    class Grade(models.IntegerChoices):
        KINDERGARTEN_1 = -2, _("Kindergarten, junior")
        KINDERGARTEN_2 = -1, _("Kindergarten, middle")
        KINDERGARTEN_3 = 0, _("Kindergarten, senior")
        PRIMARY_1 = 1, _("Primary year 1")
        PRIMARY_2 = 2, _("Primary year 2")
        PRIMARY_3 = 3, _("Primary year 3")
        PRIMARY_4 = 4, _("Primary year 4")
        PRIMARY_5 = 5, _("Primary year 5")
        PRIMARY_6 = 6, _("Primary year 6")
        JUNIOR_1 = 7, _("Junior secondary year 1")
        JUNIOR_2 = 8, _("Junior secondary year 2")
        JUNIOR_3 = 9, _("Junior secondary year 3")
        SENIOR_1 = 10, _("Senior secondary year 1")
        SENIOR_2 = 11, _("Senior secondary year 2")
        SENIOR_3 = 12, _("Senior secondary year 3")

    school = models.ForeignKey(
        Organisation,
        verbose_name=_("school"),
        on_delete=models.PROTECT,
        related_name="classes",
        limit_choices_to={"kind": Organisation.Kind.SCHOOL},
    )
    grade = models.SmallIntegerField(_("grade"), choices=Grade.choices)
    name = models.CharField(_("class name"), max_length=32, help_text=_("For example 3班."))
    head_teacher = models.CharField(_("head teacher"), max_length=64, blank=True)
    is_active = models.BooleanField(_("active"), default=True)

    AUDIT_VALUE_FIELDS = ("school", "grade", "name", "head_teacher", "is_active")

    class Meta:
        verbose_name = _("class")
        verbose_name_plural = _("classes")
        ordering = ["school_id", "grade", "name"]
        constraints = [
            models.UniqueConstraint(fields=["school", "grade", "name"], name="class_unique_name")
        ]

    def __str__(self) -> str:
        return f"{self.get_grade_display()} {self.name}"


class Household(models.Model):
    """A family living together: siblings are the minors of one household."""

    class Income(models.TextChoices):
        WAGES = "wages", _("Wages from work away from home")
        FARMING = "farming", _("Farming or local work")
        BUSINESS = "business", _("Own business")
        ASSISTANCE = "assistance", _("Social assistance")
        OTHER = "other", _("Other")

    class Assistance(models.TextChoices):
        """Social assistance the family receives; the poverty rules read it."""

        NONE = "none", _("None")
        MINIMUM_LIVING = "dibao", _("Minimum living allowance (低保)")
        EXTREME_POVERTY = "tekun", _("Extreme-poverty support (特困供养)")
        MARGINAL = "dibao_edge", _("Marginal low-income (低保边缘)")
        POVERTY_ALERT = "fanpin_jiance", _("Monitored against falling back into poverty")

    area_code = models.CharField(
        _("residence division code"),
        max_length=12,
        db_index=True,
        validators=[validate_division_code],
    )
    address = EncryptedTextField(_("address"), blank=True)
    main_income = models.CharField(
        _("main source of income"), max_length=12, choices=Income.choices, blank=True
    )
    assistance = models.CharField(
        _("social assistance"), max_length=16, choices=Assistance.choices, default=Assistance.NONE
    )
    village_contact = models.CharField(_("village committee contact"), max_length=64, blank=True)
    village_contact_phone = EncryptedTextField(_("village committee contact phone"), blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    AUDIT_VALUE_FIELDS = ("area_code", "main_income", "assistance")

    class Meta:
        verbose_name = _("household")
        verbose_name_plural = _("households")
        ordering = ["area_code", "pk"]

    def __str__(self) -> str:
        return _("Household %(pk)s") % {"pk": self.pk}


class Minor(models.Model):
    """A child in the registry (DOMAIN.md §9.1.1)."""

    class Sex(models.TextChoices):
        MALE = "M", _("Male")
        FEMALE = "F", _("Female")

    class Status(models.TextChoices):
        ACTIVE = "active", pgettext_lazy("minor status", "Active")
        MOVED_AWAY = "moved_away", _("Moved away")
        AGED_OUT = "aged_out", _("Aged out")
        DECEASED = "deceased", _("Deceased")
        # Kept, with its history, after a duplicate was merged into ``merged_into``.
        MERGED = "merged", _("Merged into another record")

    class HukouType(models.TextChoices):
        AGRICULTURAL = "agricultural", _("Agricultural (rural)")
        NON_AGRICULTURAL = "non_agricultural", _("Non-agricultural (urban)")
        UNIFIED = "unified", _("Unified resident registration")
        NONE = "none", _("Not registered")

    class Schooling(models.TextChoices):
        NOT_YET = "not_yet", _("Not yet of school age")
        PRESCHOOL = "preschool", _("In kindergarten")
        IN_SCHOOL = "in_school", _("In school")
        SUSPENDED = "suspended", _("Suspended schooling")
        DROPPED_OUT = "dropped_out", _("Dropped out")
        LEFT_SCHOOL = "left_school", _("Left school (finished or working)")

    class Health(models.TextChoices):
        HEALTHY = "healthy", _("Healthy")
        CHRONIC = "chronic", _("Chronic illness")
        SERIOUS = "serious", _("Serious illness")
        DISABLED = "disabled", _("Disabled")
        DISABLED_AND_ILL = "disabled_ill", _("Disabled and seriously ill")

    name = models.CharField(pgettext_lazy("person", "name"), max_length=64)
    # Search keys derived from the name by the services (people.names.name_keys).
    name_pinyin = models.CharField(
        _("name in pinyin"), max_length=128, blank=True, default="", editable=False, db_index=True
    )
    name_initials = models.CharField(
        _("name initials"), max_length=32, blank=True, default="", editable=False, db_index=True
    )
    sex = models.CharField(_("sex"), max_length=1, choices=Sex.choices)
    birth_date = models.DateField(_("birth date"), db_index=True)
    id_number = EncryptedTextField(_("resident ID number"), blank=True)
    id_number_index = BlindIndexField(
        source="id_number", normalize="carecircle.people.models.normalize_id_number"
    )
    ethnicity = models.CharField(
        _("ethnicity"), max_length=2, choices=ETHNIC_GROUPS, blank=True, default=""
    )
    hukou_type = models.CharField(
        _("household registration type"), max_length=16, choices=HukouType.choices, blank=True
    )
    # Where the hukou is registered: a code of 6 to 12 digits, often outside the district.
    hukou_code = models.CharField(_("household registration place"), max_length=12, blank=True)
    # The 12-digit village/community code of residence. Every scope filter is a
    # prefix match on it, served by the index ``minor_dedupe`` (area_code, name,
    # birth_date), so the column needs no index of its own.
    area_code = models.CharField(
        _("residence division code"),
        max_length=12,
        validators=[validate_division_code],
    )
    address = EncryptedTextField(_("address"), blank=True)
    # The migrant rule counts its months from here (跨县域异地居住6个月以上).
    resident_since = models.DateField(
        _("living here since"),
        null=True,
        blank=True,
        help_text=_("When the child came to live at this residence."),
    )
    household = models.ForeignKey(
        Household,
        verbose_name=_("household"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="members",
    )
    schooling = models.CharField(
        _("schooling"), max_length=12, choices=Schooling.choices, blank=True
    )
    school = models.ForeignKey(
        Organisation,
        verbose_name=_("school"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="pupils",
        limit_choices_to={"kind": Organisation.Kind.SCHOOL},
    )
    school_class = models.ForeignKey(
        SchoolClass,
        verbose_name=_("class"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="pupils",
    )
    boarding = models.BooleanField(_("boarding at school"), default=False)
    health = models.CharField(
        _("health"), max_length=12, choices=Health.choices, default=Health.HEALTHY
    )
    # Kept encrypted: a diagnosis is sensitive health data (PIPL Art. 28).
    illness = EncryptedTextField(_("serious illness"), blank=True)
    disability_type = models.CharField(
        _("disability type"), max_length=12, choices=DisabilityType.choices, blank=True
    )
    disability_grade = models.PositiveSmallIntegerField(
        _("disability grade"), choices=DisabilityGrade.choices, null=True, blank=True
    )
    # 困境儿童 of the third cause (监护缺失或监护不当): a fact found on a visit,
    # not derivable from the parents' states alone.
    guardianship_concern = models.BooleanField(_("guardianship absent or improper"), default=False)
    status = models.CharField(
        _("status"), max_length=12, choices=Status.choices, default=Status.ACTIVE, db_index=True
    )
    merged_into = models.ForeignKey(
        "self",
        verbose_name=_("merged into"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="merged_records",
        editable=False,
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    # Values the audit log may repeat: nothing that identifies the child.
    AUDIT_VALUE_FIELDS = (
        "status",
        "area_code",
        "school",
        "school_class",
        "schooling",
        "boarding",
        "hukou_type",
        "household",
    )

    class Meta:
        verbose_name = _("minor")
        verbose_name_plural = _("minors")
        ordering = ["area_code", "name"]
        constraints = [
            # One record per ID number: re-imports update it, a second entry is refused.
            models.UniqueConstraint(
                fields=["id_number_index"],
                condition=~Q(status="merged"),
                name="minor_unique_id_number",
            )
        ]
        indexes = [models.Index(fields=["area_code", "name", "birth_date"], name="minor_dedupe")]

    def __str__(self) -> str:
        return self.name

    def age_on(self, day: date) -> int:
        born = self.birth_date
        return day.year - born.year - ((day.month, day.day) < (born.month, born.day))

    @property
    def masked_id_number(self) -> str:
        return idnumbers.mask_id_number(self.id_number or "")

    @property
    def is_rural(self) -> bool:
        """Rural by hukou; without a hukou type, by the village segment (200-399 = 村委会)."""
        if self.hukou_type == self.HukouType.AGRICULTURAL:
            return True
        if self.hukou_type:
            return False
        return 200 <= int(self.area_code[9:12] or 0) <= 399


class Guardian(models.Model):
    """A parent or other guardian of one child, with the facts the category rules read."""

    class Relation(models.TextChoices):
        FATHER = "father", _("Father")
        MOTHER = "mother", _("Mother")
        GRANDFATHER = "grandfather", _("Grandfather")
        GRANDMOTHER = "grandmother", _("Grandmother")
        SIBLING = "sibling", _("Adult sibling")
        RELATIVE = "relative", _("Other relative")
        OTHER = "other", _("Other person")

    class State(models.TextChoices):
        """A parent's situation (DOMAIN.md §1.6, §9.1.2)."""

        AT_HOME = "at_home", _("At home")
        WORKING_AWAY = "working_away", _("Working away")
        DEAD = "dead", _("Dead")
        DECLARED_DEAD = "declared_dead", _("Declared dead by a court")
        DECLARED_MISSING = "declared_missing", _("Declared missing by a court")
        SERIOUSLY_ILL = "seriously_ill", _("Seriously ill")
        SEVERELY_DISABLED = "severely_disabled", _("Severely disabled")
        IMPRISONED = "imprisoned", _("Imprisoned")
        COMPULSORY_REHAB = "compulsory_rehab", _("In compulsory drug rehabilitation")
        RESTRICTED = "restricted", _("Otherwise deprived of liberty")
        OUT_OF_CONTACT = "out_of_contact", _("Out of contact")
        GUARDIANSHIP_REVOKED = "guardianship_revoked", _("Guardianship revoked by a court")
        DEPORTED = "deported", _("Deported")

    PARENTS = (Relation.FATHER, Relation.MOTHER)

    minor = models.ForeignKey(
        Minor, verbose_name=_("minor"), on_delete=models.CASCADE, related_name="guardians"
    )
    relation = models.CharField(_("relation"), max_length=12, choices=Relation.choices)
    name = models.CharField(pgettext_lazy("person", "name"), max_length=64, blank=True)
    phone = EncryptedTextField(_("phone number"), blank=True)
    id_number = EncryptedTextField(_("resident ID number"), blank=True)
    state = models.CharField(
        _("situation"), max_length=24, choices=State.choices, default=State.AT_HOME
    )
    state_since = models.DateField(
        _("since"), null=True, blank=True, help_text=_("When the situation began.")
    )
    work_place = models.CharField(_("where working"), max_length=100, blank=True)
    work_area_code = models.CharField(
        _("division code of the workplace"), max_length=12, blank=True
    )
    # None when unknown; the left-behind rule may require True.
    cross_county = models.BooleanField(_("works outside the county"), null=True, blank=True)
    police_report_on = models.DateField(
        _("date the police accepted the missing report"), null=True, blank=True
    )
    disability_type = models.CharField(
        _("disability type"), max_length=12, choices=DisabilityType.choices, blank=True
    )
    disability_grade = models.PositiveSmallIntegerField(
        _("disability grade"), choices=DisabilityGrade.choices, null=True, blank=True
    )
    evidence = models.CharField(
        _("evidence"),
        max_length=200,
        blank=True,
        help_text=_("Document type, issuing authority and number, e.g. 残疾人证 第…号."),
    )
    is_entrusted = models.BooleanField(_("entrusted guardian (受委托监护人)"), default=False)
    entrustment_signed_on = models.DateField(
        _("date the entrustment confirmation was signed"), null=True, blank=True
    )
    last_contact_on = models.DateField(_("last contact with the child"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    AUDIT_VALUE_FIELDS = ("relation", "state", "state_since", "cross_county", "is_entrusted")

    class Meta:
        verbose_name = _("guardian")
        verbose_name_plural = _("guardians")
        ordering = ["minor_id", "relation", "pk"]
        constraints = [
            # A child has one father and one mother on record.
            models.UniqueConstraint(
                fields=["minor", "relation"],
                condition=Q(relation__in=["father", "mother"]),
                name="guardian_one_parent_each",
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_relation_display()} {self.name}".strip()

    @property
    def is_parent(self) -> bool:
        return self.relation in self.PARENTS


class CategoryRuleSet(models.Model):
    """One version of the configurable category rules (DOMAIN.md §9.2).

    Versions are never edited once used: a change is a new row, and every derived
    membership names the version that produced it.
    """

    version = models.PositiveIntegerField(_("version"), unique=True)
    effective_from = models.DateField(_("effective from"))
    left_behind_age_limit = models.PositiveSmallIntegerField(
        _("left-behind: under this age"), default=16
    )
    # The screening's age cut-off date (2016: 07-31); empty = the day of evaluation.
    left_behind_cutoff = models.DateField(_("left-behind: age counted on"), null=True, blank=True)
    left_behind_min_months = models.PositiveSmallIntegerField(
        _("left-behind: months working away at least"), default=6
    )
    left_behind_cross_county = models.BooleanField(
        _("left-behind: only work outside the county counts"), default=True
    )
    migrant_age_limit = models.PositiveSmallIntegerField(_("migrant: under this age"), default=16)
    migrant_min_months = models.PositiveSmallIntegerField(
        _("migrant: months away from the hukou county at least"), default=6
    )
    incapacity_min_months = models.PositiveSmallIntegerField(
        _("imprisonment, rehabilitation or restriction: months at least"), default=6
    )
    out_of_contact_min_months = models.PositiveSmallIntegerField(
        _("out of contact: months since the police report at least"), default=6
    )
    age_out_notice_days = models.PositiveSmallIntegerField(
        _("tell the child director this many days before a category ends"), default=30
    )
    # Local 困境儿童 sub-types: [{"code", "name", "bucket": "A"|"B"|"C", "when": predicate}].
    difficulty_subtypes = models.JSONField(_("local sub-types of children in difficulty"))
    note = models.TextField(_("note"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    AUDIT_VALUE_FIELDS = (
        "version",
        "effective_from",
        "left_behind_age_limit",
        "left_behind_cutoff",
        "left_behind_min_months",
        "left_behind_cross_county",
        "migrant_age_limit",
        "migrant_min_months",
        "incapacity_min_months",
        "out_of_contact_min_months",
        "age_out_notice_days",
    )

    class Meta:
        verbose_name = _("category rule set")
        verbose_name_plural = _("category rule sets")
        ordering = ["-version"]

    def __str__(self) -> str:
        return _("Rules v%(version)s from %(date)s") % {
            "version": self.version,
            "date": self.effective_from.isoformat(),
        }


class Category(models.TextChoices):
    RURAL_LEFT_BEHIND = "rural_left_behind", _("Rural left-behind child")
    URBAN_LEFT_BEHIND = "urban_left_behind", _("Urban left-behind child")
    MIGRANT = "migrant", _("Migrant child")
    ORPHAN = "orphan", _("Orphan")
    DE_FACTO_UNSUPPORTED = "de_facto_unsupported", _("De-facto unsupported child")
    IN_DIFFICULTY = "in_difficulty", _("Child in difficulty")
    KEY_ASSISTANCE = "key_assistance", _("Key assistance target")


class CategoryMembership(models.Model):
    """A child in a category for a time (DOMAIN.md §9.1.4), derived by a rule or set by hand."""

    class Source(models.TextChoices):
        RULE = "rule", _("Derived by rule")
        MANUAL = "manual", _("Set by hand")

    class Bucket(models.TextChoices):
        """The 民政统计 buckets: 困境 A/B/C, 孤儿 A/B."""

        A = "A", "A"
        B = "B", "B"
        C = "C", "C"

    minor = models.ForeignKey(
        Minor, verbose_name=_("minor"), on_delete=models.CASCADE, related_name="categories"
    )
    category = models.CharField(_("category"), max_length=24, choices=Category.choices)
    subtype = models.CharField(_("sub-type"), max_length=32, blank=True)
    bucket = models.CharField(
        _("statistical bucket"), max_length=1, choices=Bucket.choices, blank=True
    )
    source = models.CharField(_("source"), max_length=8, choices=Source.choices)
    rule_version = models.PositiveIntegerField(_("rule version"), null=True, blank=True)
    # Why it applies, in words the child director can check against the facts.
    reason = models.TextField(_("reason"))
    valid_from = models.DateField(_("valid from"))
    valid_to = models.DateField(_("valid to"), null=True, blank=True)
    end_reason = models.CharField(_("why it ended"), max_length=200, blank=True)
    authority = models.CharField(_("recognising authority"), max_length=100, blank=True)
    decision_number = models.CharField(_("decision number"), max_length=64, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    AUDIT_VALUE_FIELDS = (
        "category",
        "subtype",
        "bucket",
        "source",
        "rule_version",
        "valid_from",
        "valid_to",
    )

    class Meta:
        verbose_name = _("category membership")
        verbose_name_plural = _("category memberships")
        ordering = ["minor_id", "category", "-valid_from"]
        indexes = [
            models.Index(fields=["category", "valid_from", "valid_to"], name="membership_period")
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["minor", "category", "subtype"],
                condition=Q(valid_to__isnull=True),
                name="membership_one_open",
            )
        ]

    def __str__(self) -> str:
        return f"{self.minor} · {self.get_category_display()}"

    @property
    def is_open(self) -> bool:
        return self.valid_to is None


class ImportBatch(models.Model):
    """One upload of a roster, kept so that a re-import is recognised and audited."""

    class Status(models.TextChoices):
        CHECKED = "checked", _("Checked (dry run)")
        APPLIED = "applied", _("Imported")
        REJECTED = "rejected", _("Rejected")

    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("uploaded by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    filename = models.CharField(_("file name"), max_length=200)
    sha256 = models.CharField(_("SHA-256"), max_length=64, db_index=True)
    layout = models.CharField(_("layout"), max_length=32)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices)
    rows = models.PositiveIntegerField(_("rows"), default=0)
    created = models.PositiveIntegerField(_("created"), default=0)
    updated = models.PositiveIntegerField(_("updated"), default=0)
    # [{"row", "column", "message"}]: never cell values, which may identify a child.
    problems = models.JSONField(_("problems"), default=list)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    AUDIT_VALUE_FIELDS = ("filename", "layout", "status", "rows", "created", "updated")

    class Meta:
        verbose_name = _("import")
        verbose_name_plural = _("imports")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.filename


class EmergencyAccess(models.Model):
    """Break the glass: a time-limited, audited grant to one out-of-scope child."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.PROTECT,
        related_name="emergency_accesses",
    )
    minor = models.ForeignKey(
        Minor, verbose_name=_("minor"), on_delete=models.PROTECT, related_name="emergency_accesses"
    )
    reason = models.TextField(_("reason"))
    granted_at = models.DateTimeField(_("granted at"), default=timezone.now)
    expires_at = models.DateTimeField(_("expires at"), db_index=True)

    class Meta:
        verbose_name = _("emergency access")
        verbose_name_plural = _("emergency accesses")
        ordering = ["-granted_at"]

    def __str__(self) -> str:
        return f"{self.user} → {self.minor} ({self.granted_at:%Y-%m-%d %H:%M})"

    def is_active(self) -> bool:
        return self.expires_at > timezone.now()
