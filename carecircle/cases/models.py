"""Cases (个案): one managed episode of help for one child (issue 7 item 1).

A case runs intake → assessment → plan → intervention → review, and closes only
with a supervisor's approval (``CLOSURE_PENDING`` → ``CLOSED``); a closed case can
be reopened with a reason. ``workflow.TRANSITIONS`` is the whole state machine: a
transition not in it is refused. Counted as 例 (DOMAIN.md §8): one case per
opening, whatever the number of sessions.

A case opened from a key assistance target, a report of harm or a visit keeps a
link to it (``source_*``), shown both ways. Its team (``CaseMember``: the owner, a
social worker, a counselor, a volunteer, …) reads and works the case; the desk over
its division supervises. The plan, the closure note and the crisis safety plan are
encrypted; a counselor never records a diagnosis here (DOMAIN.md §5.5): only a
hospital's referral feedback can.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from carecircle.accounts.models import Organisation
from carecircle.crypto.fields import EncryptedTextField
from carecircle.people.models import Minor


class Kind(models.TextChoices):
    COUNSELING = "counseling", _("Psychological counseling")
    CRISIS = "crisis", _("Crisis intervention")
    FAMILY_EDUCATION = "family_education", _("Family-education guidance")
    LEGAL_AID = "legal_aid", _("Legal aid")
    WELFARE = "welfare", _("Welfare assistance")


class Source(models.TextChoices):
    KEY_TARGET = "key_target", _("Key assistance target")
    VISIT = "visit", _("Visit")
    TIP = "tip", _("Report of harm")
    WALK_IN = "walk_in", _("Walk-in")
    SCHOOL = "school", _("School")
    REFERRAL_IN = "referral_in", _("Referral from another organisation")


class Status(models.TextChoices):
    INTAKE = "intake", pgettext_lazy("case state", "Intake")
    ASSESSMENT = "assessment", pgettext_lazy("case state", "Assessment")
    PLANNING = "planning", pgettext_lazy("case state", "Plan")
    INTERVENTION = "intervention", pgettext_lazy("case state", "Intervention")
    REVIEW = "review", pgettext_lazy("case state", "Review")
    CLOSURE_PENDING = "closure_pending", pgettext_lazy("case state", "Closure awaiting approval")
    CLOSED = "closed", pgettext_lazy("case state", "Closed")


OPEN_STATUSES = tuple(s for s in Status if s != Status.CLOSED)


class Risk(models.TextChoices):
    """The four colours of DOMAIN.md §5.4, lowest first; red-critical is the crisis."""

    GREEN = "green", _("Green")
    YELLOW = "yellow", _("Yellow")
    RED = "red", _("Red")
    RED_CRITICAL = "red_critical", _("Red: critical")


RISK_ORDER = tuple(Risk.values)


class Case(models.Model):
    kind = models.CharField(_("case type"), max_length=20, choices=Kind.choices)
    minor = models.ForeignKey(
        Minor, verbose_name=_("child"), on_delete=models.PROTECT, related_name="cases"
    )
    # The child's division when the case opened: who supervises it is decided on it.
    area_code = models.CharField(_("division"), max_length=12, db_index=True)
    organisation = models.ForeignKey(
        Organisation,
        verbose_name=_("lead organisation"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.INTAKE
    )
    source = models.CharField(_("came from"), max_length=12, choices=Source.choices)
    source_target = models.ForeignKey(
        "screening.KeyTarget",
        verbose_name=_("key assistance target"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="cases",
    )
    source_tip = models.ForeignKey(
        "tips.Tip",
        verbose_name=_("report of harm"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="cases",
    )
    source_visit = models.ForeignKey(
        "visits.Visit",
        verbose_name=_("visit"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="cases",
    )
    summary = EncryptedTextField(_("why the case is opened"))
    risk = models.CharField(_("risk level"), max_length=12, choices=Risk.choices)
    risk_reasons = EncryptedTextField(_("reasons for the risk level"), blank=True)
    assessment = EncryptedTextField(_("assessment"), blank=True)
    goals = EncryptedTextField(_("goals"), blank=True)
    services = EncryptedTextField(_("services planned"), blank=True)
    review_on = models.DateField(_("review date"), null=True, blank=True)
    # The crisis protocol (item 3), required while the risk is red-critical.
    safety_plan = EncryptedTextField(_("safety plan"), blank=True)
    guardian_told_at = models.DateTimeField(_("guardian told at"), null=True, blank=True)
    closure_note = EncryptedTextField(_("closure note"), blank=True)
    closure_requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("closure requested by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("closure approved by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    reopened = models.PositiveSmallIntegerField(_("times reopened"), default=0)
    opened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("opened by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    opened_at = models.DateTimeField(_("opened at"), db_index=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    AUDIT_VALUE_FIELDS = ("kind", "status", "risk", "source", "area_code")

    class Meta:
        verbose_name = _("case")
        verbose_name_plural = _("cases")
        ordering = ["-opened_at", "-pk"]
        constraints = [
            # One open case per child and type: a second would split the child's file.
            models.UniqueConstraint(
                fields=["minor", "kind"],
                condition=~Q(status="closed"),
                name="case_one_open_per_kind",
            )
        ]
        indexes = [
            models.Index(fields=["area_code", "status"], name="case_area_status"),
            # A supervisor's open cases: area_code is a prefix range, so SQLite cannot
            # use the status after it in the index above and reads the closed ones too.
            models.Index(fields=["status", "area_code"], name="case_status_area"),
        ]

    def __str__(self) -> str:
        return self.number

    @property
    def number(self) -> str:
        return f"C{self.opened_at:%Y%m%d}-{self.pk:05d}" if self.pk else ""

    @property
    def is_open(self) -> bool:
        return self.status != Status.CLOSED

    @property
    def in_crisis(self) -> bool:
        return self.risk == Risk.RED_CRITICAL and self.is_open


class CaseMember(models.Model):
    """Someone on the case's team. The owner is a member with ``is_owner``."""

    class Role(models.TextChoices):
        SOCIAL_WORKER = "social_worker", _("Social worker")
        COUNSELOR = "counselor", _("Counselor")
        FAMILY_EDUCATOR = "family_educator", _("Family-education instructor")
        LAWYER = "lawyer", _("Lawyer")
        VOLUNTEER = "volunteer", _("Volunteer")
        TEACHER = "teacher", _("School psychology teacher")
        OTHER = "other", _("Other")

    case = models.ForeignKey(
        Case, verbose_name=_("case"), on_delete=models.CASCADE, related_name="members"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("member"),
        on_delete=models.PROTECT,
        related_name="case_memberships",
    )
    role = models.CharField(_("role on the team"), max_length=16, choices=Role.choices)
    is_owner = models.BooleanField(_("case owner"), default=False)
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("added by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    added_at = models.DateTimeField(_("added at"), auto_now_add=True)
    left_at = models.DateTimeField(_("left at"), null=True, blank=True)

    class Meta:
        verbose_name = _("team member")
        verbose_name_plural = _("team members")
        ordering = ["case_id", "-is_owner", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["case", "user"],
                condition=Q(left_at__isnull=True),
                name="case_member_once",
            ),
            models.UniqueConstraint(
                fields=["case"],
                condition=Q(is_owner=True, left_at__isnull=True),
                name="case_one_owner",
            ),
        ]
        indexes = [models.Index(fields=["user", "left_at"], name="case_member_user")]

    def __str__(self) -> str:
        return f"{self.case_id}/{self.user_id}"


class CaseTask(models.Model):
    class Kind(models.TextChoices):
        GENERAL = "general", _("Task")
        CRISIS_FOLLOW_UP = "crisis_follow_up", _("Daily crisis follow-up")
        REVIEW = "review", _("Plan review")

    class Status(models.TextChoices):
        OPEN = "open", pgettext_lazy("task state", "Open")
        DONE = "done", pgettext_lazy("task state", "Done")

    case = models.ForeignKey(
        Case, verbose_name=_("case"), on_delete=models.CASCADE, related_name="tasks"
    )
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices, default=Kind.GENERAL)
    title = models.CharField(_("task"), max_length=200)
    assigned_to = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("assigned to"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    due_at = models.DateTimeField(_("due at"))
    status = models.CharField(
        _("status"), max_length=8, choices=Status.choices, default=Status.OPEN
    )
    done_note = EncryptedTextField(_("what was done"), blank=True)
    done_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("done by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    done_at = models.DateTimeField(_("done at"), null=True, blank=True)
    escalated_at = models.DateTimeField(_("escalated at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("case task")
        verbose_name_plural = _("case tasks")
        ordering = ["due_at", "pk"]
        indexes = [
            models.Index(fields=["status", "due_at"], name="case_task_due"),
            # A case's open tasks (the overdue list, the next task due) without reading
            # its done ones.
            models.Index(fields=["case", "status", "due_at"], name="case_task_case_open"),
            models.Index(fields=["assigned_to", "status", "due_at"], name="case_task_mine"),
        ]

    def __str__(self) -> str:
        return self.title


class CaseEvent(models.Model):
    """One step of a case's history: every transition, change and approval."""

    case = models.ForeignKey(
        Case, verbose_name=_("case"), on_delete=models.CASCADE, related_name="events"
    )
    kind = models.CharField(_("kind"), max_length=24)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    at = models.DateTimeField(_("at"), auto_now_add=True)
    text = EncryptedTextField(_("text"), blank=True)
    details = models.JSONField(_("details"), default=dict, blank=True)

    class Meta:
        verbose_name = _("case event")
        verbose_name_plural = _("case events")
        ordering = ["case_id", "at", "pk"]

    def __str__(self) -> str:
        return f"{self.case_id} {self.kind}"


class Session(models.Model):
    """One counseling session held on a case (issue 7 item 2), counted as 次.

    The case's child attends every session (a ``SessionAttendee`` row is written for
    the child); other children may attend a family or group session, each with a row
    of their own, so that the children served count as 人次 (one per child per
    session) and 人 (distinct children). Parents and guardians are not registry
    children: who else came is free text, encrypted like the notes.

    There is deliberately no diagnosis field: a counselor does not diagnose
    (DOMAIN.md §5.5); only a hospital's referral feedback carries a diagnosis. The
    notes are for what was done and observed, read only by the team and the case's
    supervisors.
    """

    class Kind(models.TextChoices):
        INDIVIDUAL = "individual", pgettext_lazy("session kind", "Individual")
        FAMILY = "family", pgettext_lazy("session kind", "Family")
        GROUP = "group", pgettext_lazy("session kind", "Group")

    class Mode(models.TextChoices):
        IN_PERSON = "in_person", _("In person")
        PHONE = "phone", _("By phone")
        ONLINE = "online", _("Online")

    MIN_MINUTES = 1
    MAX_MINUTES = 480

    case = models.ForeignKey(
        Case, verbose_name=_("case"), on_delete=models.CASCADE, related_name="sessions"
    )
    kind = models.CharField(_("kind of session"), max_length=12, choices=Kind.choices)
    held_at = models.DateTimeField(_("held at"), db_index=True)
    duration_minutes = models.PositiveSmallIntegerField(_("duration (minutes)"))
    counselor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("counselor"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    mode = models.CharField(_("mode"), max_length=12, choices=Mode.choices)
    place = models.CharField(_("room or place"), max_length=200, blank=True)
    # Where a session in a counseling room was held, and the rota slot it was booked
    # into (issue 7 item 4); a phone or home session has neither.
    room = models.ForeignKey(
        "counseling.Room",
        verbose_name=_("counseling room"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="sessions",
    )
    appointment = models.OneToOneField(
        "counseling.Appointment",
        verbose_name=_("appointment"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="session",
    )
    minors = models.ManyToManyField(
        Minor,
        verbose_name=_("children attending"),
        through="SessionAttendee",
        related_name="counseling_sessions",
    )
    other_attendees = EncryptedTextField(_("other attendees"), blank=True)
    notes = EncryptedTextField(_("notes"), blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recorded by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("counseling session")
        verbose_name_plural = _("counseling sessions")
        ordering = ["-held_at", "-pk"]
        indexes = [
            models.Index(fields=["counselor", "held_at"], name="case_session_counselor"),
            models.Index(fields=["room", "held_at"], name="case_session_room"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(duration_minutes__gte=1) & Q(duration_minutes__lte=480),
                name="case_session_duration",
            )
        ]

    def __str__(self) -> str:
        return f"{self.case_id} {self.held_at:%Y-%m-%d %H:%M}"


class SessionAttendee(models.Model):
    """A child at a session: the case's child, or another child at a family or group
    session. One row per child per session (人次)."""

    session = models.ForeignKey(
        Session, verbose_name=_("session"), on_delete=models.CASCADE, related_name="attendees"
    )
    minor = models.ForeignKey(
        Minor, verbose_name=_("child"), on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name = _("child at a session")
        verbose_name_plural = _("children at sessions")
        constraints = [
            models.UniqueConstraint(fields=["session", "minor"], name="case_session_attendee_once")
        ]

    def __str__(self) -> str:
        return f"{self.session_id}/{self.minor_id}"


class Referral(models.Model):
    """A case's child referred to another organisation (issue 7 item 5).

    What is shared is the minimum the receiver needs (``shared``: a snapshot, taken
    when sent, of the items ``referrals.SHAREABLE`` allows for the receiver's kind of
    organisation, encrypted). The receiver's users read the snapshot and the reason,
    never the child's record. The legal basis is recorded and checked on the server:
    guardian consent (with who consented and when), the child's own consent (14 and
    over), a statutory duty, or an emergency to life or health; anything else is an
    override, which needs the permission and a reason.

    Only a hospital's feedback carries a diagnosis (DOMAIN.md §5.5).
    """

    class Status(models.TextChoices):
        SENT = "sent", pgettext_lazy("referral state", "Awaiting acceptance")
        ACCEPTED = "accepted", pgettext_lazy("referral state", "Accepted")
        DECLINED = "declined", pgettext_lazy("referral state", "Declined")
        CLOSED = "closed", pgettext_lazy("referral state", "Closed")
        WITHDRAWN = "withdrawn", pgettext_lazy("referral state", "Withdrawn")

    class Basis(models.TextChoices):
        GUARDIAN_CONSENT = "guardian_consent", _("Guardian's consent")
        CHILD_CONSENT = "child_consent", _("The child's own consent (14 and over)")
        STATUTORY_DUTY = "statutory_duty", _("A statutory duty (PIPL art. 13(3))")
        VITAL_INTEREST = (
            "vital_interest",
            _("An emergency to the child's life or health (PIPL art. 13(4))"),
        )
        OVERRIDE = "override", _("Override without consent, with a reason")

    case = models.ForeignKey(
        Case, verbose_name=_("case"), on_delete=models.PROTECT, related_name="referrals"
    )
    # The case's child, kept here so the receiver's lists and the child's timeline do
    # not join through the case.
    minor = models.ForeignKey(
        Minor, verbose_name=_("child"), on_delete=models.PROTECT, related_name="referrals"
    )
    to_organisation = models.ForeignKey(
        Organisation,
        verbose_name=_("referred to"),
        on_delete=models.PROTECT,
        related_name="referrals_received",
    )
    reason = EncryptedTextField(_("why, and what is asked"))
    shared_items = models.JSONField(_("items shared"), default=list)
    shared = EncryptedTextField(_("what was shared"))
    basis = models.CharField(_("legal basis"), max_length=20, choices=Basis.choices)
    consent_by = EncryptedTextField(_("who consented"), blank=True)
    consent_on = models.DateField(_("consent given on"), null=True, blank=True)
    override_reason = EncryptedTextField(_("why consent was overridden"), blank=True)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.SENT
    )
    sent_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("sent by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    sent_at = models.DateTimeField(_("sent at"), db_index=True)
    accept_due_at = models.DateTimeField(_("to be accepted by"))
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("accepted or declined by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    answered_at = models.DateTimeField(_("accepted or declined at"), null=True, blank=True)
    decline_reason = EncryptedTextField(_("why it was declined"), blank=True)
    feedback = EncryptedTextField(_("treatment or intervention"), blank=True)
    diagnosis = EncryptedTextField(_("diagnosis"), blank=True)
    feedback_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("feedback by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    feedback_at = models.DateTimeField(_("feedback at"), null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("closed by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    escalated_at = models.DateTimeField(_("escalated at"), null=True, blank=True)

    AUDIT_VALUE_FIELDS = ("status", "basis", "to_organisation")

    class Meta:
        verbose_name = _("referral")
        verbose_name_plural = _("referrals")
        ordering = ["-sent_at", "-pk"]
        constraints = [
            # One live referral of a case to one organisation at a time.
            models.UniqueConstraint(
                fields=["case", "to_organisation"],
                condition=Q(status__in=("sent", "accepted")),
                name="referral_one_live_per_org",
            )
        ]
        indexes = [
            models.Index(fields=["to_organisation", "status"], name="referral_inbox"),
            models.Index(fields=["status", "accept_due_at"], name="referral_clock"),
        ]

    def __str__(self) -> str:
        return self.number

    @property
    def number(self) -> str:
        return f"R{self.sent_at:%Y%m%d}-{self.pk:05d}" if self.pk else ""

    @property
    def is_live(self) -> bool:
        return self.status in (self.Status.SENT, self.Status.ACCEPTED)


class ReferralEvent(models.Model):
    """One step of a referral, seen by both sides."""

    referral = models.ForeignKey(
        Referral, verbose_name=_("referral"), on_delete=models.CASCADE, related_name="events"
    )
    kind = models.CharField(_("kind"), max_length=24)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    at = models.DateTimeField(_("at"), auto_now_add=True)
    text = EncryptedTextField(_("text"), blank=True)

    class Meta:
        verbose_name = _("referral event")
        verbose_name_plural = _("referral events")
        ordering = ["referral_id", "at", "pk"]

    def __str__(self) -> str:
        return f"{self.referral_id} {self.kind}"
