"""Screening rounds at schools, the students' one-time codes and their answers.

A campaign (筛查轮次) screens the pupils of one school — all of it, some grades or
some classes — between two times, with instruments chosen by the pupil's age. Each
pupil gets a one-time code, printed per class; with it the pupil answers on a phone
or in a computer room without an account (PERFORMANCE.md G5: a random token looked
up by its SHA-256 digest, never a password login).

Instruments are data files (``screening.instruments``); a response records the code
and version it was answered with, so that later versions never re-score old answers.
Answers are encrypted; the scores, band and triage level are stored in the clear
beside them because lists and statistics filter on them.
"""

from __future__ import annotations

from datetime import datetime

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from carecircle.accounts.models import Organisation
from carecircle.crypto.fields import EncryptedTextField
from carecircle.people.models import Minor, SchoolClass


class Campaign(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", pgettext_lazy("campaign state", "Draft")
        OPEN = "open", pgettext_lazy("campaign state", "Open")
        CLOSED = "closed", pgettext_lazy("campaign state", "Closed")

    class Basis(models.TextChoices):
        """Why pupils may be screened: under 14 the guardian consents, or a documented
        statutory basis applies (DOMAIN.md §5; 个人信息保护法 art. 31)."""

        GUARDIAN_CONSENT = "guardian_consent", _("Guardian consent")
        STATUTORY = "statutory", _("Documented statutory basis")

    name = models.CharField(_("name"), max_length=100)
    school = models.ForeignKey(
        Organisation,
        verbose_name=_("school"),
        on_delete=models.PROTECT,
        related_name="screening_campaigns",
        limit_choices_to={"kind": Organisation.Kind.SCHOOL},
    )
    # Empty: every grade. Grades as SchoolClass.grade numbers.
    grades = models.JSONField(_("grades"), default=list, blank=True)
    classes = models.ManyToManyField(
        SchoolClass, verbose_name=_("classes"), blank=True, related_name="screening_campaigns"
    )
    opens_at = models.DateTimeField(_("opens at"))
    closes_at = models.DateTimeField(_("closes at"))
    basis = models.CharField(_("legal basis"), max_length=20, choices=Basis.choices)
    statutory_basis = models.TextField(_("statutory basis, as documented"), blank=True)
    notice_sent_on = models.DateField(_("guardian notice sent on"), null=True, blank=True)
    status = models.CharField(
        _("status"), max_length=8, choices=Status.choices, default=Status.DRAFT
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("screening campaign")
        verbose_name_plural = _("screening campaigns")
        ordering = ["-opens_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(closes_at__gt=models.F("opens_at")),
                name="campaign_closes_after_opening",
            )
        ]

    def __str__(self) -> str:
        return self.name


class CampaignInstrument(models.Model):
    """An instrument a campaign gives to pupils aged ``min_age`` to ``max_age``."""

    campaign = models.ForeignKey(
        Campaign, verbose_name=_("campaign"), on_delete=models.CASCADE, related_name="instruments"
    )
    code = models.CharField(_("instrument"), max_length=32)
    version = models.PositiveIntegerField(_("instrument version"))
    min_age = models.PositiveSmallIntegerField(_("from age"))
    max_age = models.PositiveSmallIntegerField(_("to age"))
    position = models.PositiveSmallIntegerField(_("position"), default=0)

    class Meta:
        verbose_name = _("campaign instrument")
        verbose_name_plural = _("campaign instruments")
        ordering = ["campaign_id", "position", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["campaign", "code"], name="campaign_instrument_once"),
            models.CheckConstraint(
                condition=models.Q(max_age__gte=models.F("min_age")),
                name="campaign_instrument_age_range",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code} v{self.version} ({self.min_age}-{self.max_age})"


class Participant(models.Model):
    """A pupil in a campaign, with the one-time code that opens the questionnaire."""

    class Consent(models.TextChoices):
        PENDING = "pending", _("Awaiting the guardian")
        GIVEN = "given", _("Guardian consented")
        REFUSED = "refused", _("Guardian refused")
        NOT_NEEDED = "not_needed", _("Not needed (14 or older, or statutory basis)")

    class Status(models.TextChoices):
        ISSUED = "issued", _("Not started")
        STARTED = "started", _("Started")
        SUBMITTED = "submitted", _("Submitted")
        VOID = "void", _("Withdrawn")

    campaign = models.ForeignKey(
        Campaign, verbose_name=_("campaign"), on_delete=models.CASCADE, related_name="participants"
    )
    minor = models.ForeignKey(
        Minor, verbose_name=_("minor"), on_delete=models.PROTECT, related_name="screenings"
    )
    school_class = models.ForeignKey(
        SchoolClass,
        verbose_name=_("class"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    # The code itself, encrypted, so that a class sheet can be printed again; the
    # digest is what a pupil's request is looked up by.
    code = EncryptedTextField(_("one-time code"))
    code_digest = models.CharField(_("code digest"), max_length=64, unique=True)
    consent = models.CharField(
        _("consent"), max_length=12, choices=Consent.choices, default=Consent.PENDING
    )
    consent_on = models.DateField(_("consent recorded on"), null=True, blank=True)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.ISSUED
    )
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    submitted_at = models.DateTimeField(_("submitted at"), null=True, blank=True)

    class Meta:
        verbose_name = _("participant")
        verbose_name_plural = _("participants")
        ordering = ["campaign_id", "school_class_id", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["campaign", "minor"], name="participant_once"),
        ]

    def __str__(self) -> str:
        return f"{self.campaign_id}/{self.minor_id}"

    @property
    def may_answer(self) -> bool:
        return self.status in (self.Status.ISSUED, self.Status.STARTED) and self.consent in (
            self.Consent.GIVEN,
            self.Consent.NOT_NEEDED,
        )


class Response(models.Model):
    """One instrument answered by one participant, saved as the pupil goes, scored on submit."""

    class Triage(models.TextChoices):
        RED_CRITICAL = "red_critical", _("Red: critical, same day")
        RED = "red", _("Red")
        YELLOW = "yellow", _("Yellow")
        GREEN = "green", _("Green")

    participant = models.ForeignKey(
        Participant,
        verbose_name=_("participant"),
        on_delete=models.CASCADE,
        # ``response_once`` (participant, code) serves lookups by participant: every
        # submit writes one index page less.
        db_index=False,
        related_name="responses",
    )
    code = models.CharField(_("instrument"), max_length=32)
    version = models.PositiveIntegerField(_("instrument version"))
    # JSON of {item id: raw answer}, encrypted: partial while the pupil answers.
    answers = EncryptedTextField(_("answers"), blank=True)
    submitted_at = models.DateTimeField(_("submitted at"), null=True, blank=True)
    # Set by a submitting client (the API): a retry with the same key changes nothing.
    idempotency_key = models.CharField(_("idempotency key"), max_length=64, blank=True)
    total = models.DecimalField(_("total"), max_digits=7, decimal_places=2, null=True, blank=True)
    subscales = models.JSONField(_("subscale scores"), default=dict, blank=True)
    band = models.CharField(_("band"), max_length=32, blank=True)
    positive = models.JSONField(_("positive screens"), default=list, blank=True)
    critical = models.BooleanField(_("critical item"), default=False)
    triage = models.CharField(_("triage level"), max_length=12, choices=Triage.choices, blank=True)
    triage_reasons = models.JSONField(_("triage reasons"), default=list, blank=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("screening response")
        verbose_name_plural = _("screening responses")
        ordering = ["participant_id", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["participant", "code"], name="response_once"),
        ]
        indexes = [models.Index(fields=["triage", "submitted_at"], name="response_triage")]

    def __str__(self) -> str:
        return f"{self.code} v{self.version}"


class FollowUp(models.Model):
    """The human action a triage level demands: a named responder and a time limit
    (INSTRUMENTS.md §17's safety note), never only a coloured badge.

    Red-critical: acknowledge within ``CARECIRCLE_SCREENING_ACK_HOURS`` (24), then see
    the pupil the same day; red and yellow: an interview within their limits. An
    open follow-up past its time is escalated once to the district's administrators.
    """

    class Kind(models.TextChoices):
        ACKNOWLEDGE = "acknowledge", _("Acknowledge at once and see the pupil today")
        INTERVIEW = "interview", _("Follow-up interview")

    class Status(models.TextChoices):
        OPEN = "open", pgettext_lazy("follow-up state", "Waiting")
        ACKNOWLEDGED = "acknowledged", _("Acknowledged")
        DONE = "done", _("Done")

    response = models.ForeignKey(
        Response, verbose_name=_("response"), on_delete=models.CASCADE, related_name="follow_ups"
    )
    minor = models.ForeignKey(
        Minor, verbose_name=_("minor"), on_delete=models.PROTECT, related_name="+"
    )
    school = models.ForeignKey(
        Organisation, verbose_name=_("school"), on_delete=models.PROTECT, related_name="+"
    )
    level = models.CharField(_("triage level"), max_length=12, choices=Response.Triage.choices)
    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices)
    status = models.CharField(
        _("status"), max_length=12, choices=Status.choices, default=Status.OPEN
    )
    due_at = models.DateTimeField(_("due at"))
    escalated_at = models.DateTimeField(_("escalated at"), null=True, blank=True)
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("acknowledged by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    acknowledged_at = models.DateTimeField(_("acknowledged at"), null=True, blank=True)
    done_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("done by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    done_at = models.DateTimeField(_("done at"), null=True, blank=True)
    outcome = EncryptedTextField(_("what was done"), blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("follow-up")
        verbose_name_plural = _("follow-ups")
        ordering = ["due_at", "pk"]
        indexes = [models.Index(fields=["status", "due_at"], name="follow_up_due")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} ({self.get_level_display()})"

    def is_overdue(self, now: datetime) -> bool:
        """Past its time: an acknowledgement not given, or an interview not done."""
        waiting = (
            self.status == self.Status.OPEN
            if self.kind == self.Kind.ACKNOWLEDGE
            else self.status != self.Status.DONE
        )
        return waiting and self.due_at < now


class KeyTarget(models.Model):
    """重点帮扶对象: a child a counselor confirmed as a key assistance target (issue 4,
    item 6), with the reasons the list offered — never set automatically."""

    minor = models.ForeignKey(
        Minor, verbose_name=_("minor"), on_delete=models.PROTECT, related_name="key_targets"
    )
    reasons = models.JSONField(_("reasons"), default=list)
    # Where the results behind the reasons were given: the reasons quote them, so only
    # those who read that school's results see them (item 7).
    school = models.ForeignKey(
        Organisation,
        verbose_name=_("school of the results"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    note = EncryptedTextField(_("counselor's note"), blank=True)
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("confirmed by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    confirmed_at = models.DateTimeField(_("confirmed at"))
    ended_at = models.DateTimeField(_("ended at"), null=True, blank=True)
    ended_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("ended by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    end_reason = models.TextField(_("why it ended"), blank=True)

    class Meta:
        verbose_name = _("key assistance target")
        verbose_name_plural = _("key assistance targets")
        ordering = ["-confirmed_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["minor"],
                condition=models.Q(ended_at__isnull=True),
                name="key_target_open_once",
            )
        ]

    def __str__(self) -> str:
        return f"{self.minor_id} ({self.confirmed_at:%Y-%m-%d})"
