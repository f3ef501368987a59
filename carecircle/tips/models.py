"""Reports of harm to minors (举报 / 工单): one queue for every channel.

A ``Tip`` is one work order (件, DOMAIN.md §8), whichever way it came in: the public
reporting page, a 12345 hotline ticket, a school's report box (防性侵举报箱) or a
professional's mandatory report (强制报告). Its content and the reporter's
identity are encrypted; the reporter's IP address and browser are never stored
(SECURITY.md AN-1). An anonymous reporter holds a receipt code, kept here only as
a slow hash (``receipt_digest``), with which they read the status and add to it.

Clocks (``ack_due``, ``contact_due``, ``close_due``) are set from the urgency when
the tip is received or its urgency rises (``clocks.py``); the ``*_at`` stamps say
when each step happened, so that 响应率 and 处置率 are counted from the rows alone.
Everything that happens to a tip is a ``TipEvent``: the history shown to staff and,
for the steps marked public, to the reporter.
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


class Channel(models.TextChoices):
    WEB = "web", _("Public reporting page")
    HOTLINE = "hotline", _("12345 hotline")
    REPORT_BOX = "report_box", _("School report box")
    MANDATORY = "mandatory", _("Mandatory report")


class Category(models.TextChoices):
    ABUSE = "abuse", _("Abuse or violence")
    SEXUAL_HARM = "sexual_harm", _("Sexual harm")
    NEGLECT = "neglect", _("Neglect")
    BULLYING = "bullying", _("Bullying")
    SELF_HARM = "self_harm", _("Self-harm or suicide risk")
    UNATTENDED = "unattended", _("A child unattended or living alone")
    SCHOOL_SAFETY = "school_safety", _("School safety")
    OTHER = "other", _("Other")


class Urgency(models.IntegerChoices):
    """Ordered: a higher value is more urgent; flags only ever raise it."""

    GENERAL = 1, _("General")
    URGENT = 2, _("Urgent")
    EMERGENCY = 3, _("Emergency")


class RequestType(models.TextChoices):
    """The 12345 work-order categories (DOMAIN.md §9.1 item 10)."""

    INQUIRY = "inquiry", _("Inquiry")
    HELP = "help", _("Request for help")
    REPORT = "report", _("Complaint or report")
    SUGGESTION = "suggestion", _("Suggestion")


class HandoffLine(models.TextChoices):
    """The lines a report is handed to, or came from (DOMAIN.md §4, §9.3): an emergency
    goes to 110 or 120 at once."""

    POLICE = "110", _("110 police")
    FIRE = "119", _("119 fire and rescue")
    AMBULANCE = "120", _("120 emergency medical")
    PSYCHOLOGICAL = "12356", _("12356 psychological assistance")
    YOUTH = "12355", _("12355 youth service")


class Trigger(models.TextChoices):
    """The situations that oblige a mandatory report (DOMAIN.md §3.2, the national list)."""

    GENITAL_INJURY = "genital_injury", _("Abnormal injury to the genitals or private parts")
    GIRL_UNDER_14 = (
        "girl_under_14",
        _("A girl under 14 sexually assaulted, pregnant or after an abortion"),
    )
    GIRL_14_PLUS = (
        "girl_14_plus",
        _("A girl of 14 or over pregnant or after an abortion from sexual assault"),
    )
    MULTIPLE_INJURIES = (
        "multiple_injuries",
        _(
            "Multiple injuries, severe malnutrition or unconsciousness; suspected violence, "
            "bullying, abuse, beating or drugging"
        ),
    )
    ABNORMAL_DEATH = (
        "abnormal_death",
        _(
            "Disability or death from suicide, self-harm, work injury, poisoning, drugging "
            "or beating"
        ),
    )
    ABANDONED = "abandoned", _("Abandoned or long left unattended")
    MISSING = "missing", _("Of unknown origin, missing, trafficked or bought")
    BEGGING = "begging", _("Made to beg by others")
    OTHER_DANGER = "other_danger", _("Other serious harm or imminent danger of harm")


class Sector(models.TextChoices):
    """Who reports: the sectors the 2020 opinion obliges (DOMAIN.md §3.2)."""

    STATE_ORGAN = "state_organ", _("State organ or public official")
    COMMITTEE = "committee", _("Village or residents' committee")
    SCHOOL = "school", _("School, kindergarten or training institution")
    CHILDCARE = "childcare", _("Childcare institution")
    MEDICAL = "medical", _("Hospital, clinic or emergency centre")
    WELFARE = "welfare", _("Child-welfare, relief or social-work institution")
    HOTEL = "hotel", _("Hotel or guesthouse")
    OTHER = "other", _("Other")


class Status(models.TextChoices):
    RECEIVED = "received", pgettext_lazy("tip state", "Received")
    ACKNOWLEDGED = "acknowledged", pgettext_lazy("tip state", "Acknowledged")
    DISPATCHED = "dispatched", pgettext_lazy("tip state", "Dispatched")
    IN_PROGRESS = "in_progress", pgettext_lazy("tip state", "Being handled")
    CLOSED = "closed", pgettext_lazy("tip state", "Closed")
    MERGED = "merged", pgettext_lazy("tip state", "Merged into another")


OPEN_STATUSES = (Status.RECEIVED, Status.ACKNOWLEDGED, Status.DISPATCHED, Status.IN_PROGRESS)


class Outcome(models.TextChoices):
    RESOLVED = "resolved", _("Handled: the child is safe or helped")
    REFERRED = "referred", _("Handed to the police or another authority")
    UNFOUNDED = "unfounded", _("Checked: no harm found")
    NO_INFORMATION = "no_information", _("Too little information to act on")
    OUT_OF_REMIT = "out_of_remit", _("Outside the centre's remit; redirected")


class Satisfaction(models.TextChoices):
    SATISFIED = "satisfied", _("Satisfied")
    BASICALLY = "basically", _("Basically satisfied")
    DISSATISFIED = "dissatisfied", _("Dissatisfied")
    UNREACHABLE = "unreachable", _("Could not be reached")


class Tip(models.Model):
    channel = models.CharField(_("channel"), max_length=12, choices=Channel.choices)
    # The hotline's ticket number or a report box's log number; unique per channel,
    # so that a ticket pushed twice is one tip.
    external_number = models.CharField(_("external number"), max_length=64, blank=True)
    request_type = models.CharField(
        _("request type"), max_length=12, choices=RequestType.choices, default=RequestType.REPORT
    )
    category = models.CharField(_("what happened"), max_length=16, choices=Category.choices)
    urgency = models.PositiveSmallIntegerField(
        _("urgency"), choices=Urgency.choices, default=Urgency.GENERAL
    )
    # Why the urgency is what it is: [{"kind": "keyword"|"category"|"staff"|"trigger",
    # "term": ..., "urgency": n}], shown beside the level.
    urgency_reasons = models.JSONField(_("reasons for the urgency"), default=list, blank=True)
    status = models.CharField(
        _("status"), max_length=12, choices=Status.choices, default=Status.RECEIVED
    )

    # What and where. The division picked may stop at the township or the county.
    description = EncryptedTextField(_("what happened"))
    area_code = models.CharField(_("division"), max_length=12, db_index=True)
    place = EncryptedTextField(_("place"), blank=True)
    occurred_on = models.DateField(_("when it happened"), null=True, blank=True)
    occurred_text = models.CharField(_("when, in words"), max_length=60, blank=True)
    child_description = EncryptedTextField(_("the child, if known"), blank=True)

    # Who reported. Empty for an anonymous report; read only by the desk and handler.
    anonymous = models.BooleanField(_("anonymous"), default=False)
    reporter_name = EncryptedTextField(_("reporter's name"), blank=True)
    reporter_contact = EncryptedTextField(_("reporter's contact"), blank=True)
    reporter_relation = models.CharField(_("relation to the child"), max_length=40, blank=True)
    reporter_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("reporting professional"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("entered by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    receipt_digest = models.CharField(_("receipt digest"), max_length=64, blank=True)
    # The public form's one-time challenge, or the API's idempotency key: a form sent
    # twice makes one tip.
    submission_key = models.CharField(_("submission key"), max_length=64, blank=True)

    # Mandatory reports (强制报告).
    trigger = models.CharField(
        _("reportable situation"), max_length=20, choices=Trigger.choices, blank=True
    )
    reporter_sector = models.CharField(
        _("reporter's sector"), max_length=12, choices=Sector.choices, blank=True
    )
    reporter_unit = models.CharField(_("reporter's unit"), max_length=100, blank=True)
    found_at = models.DateTimeField(_("found at"), null=True, blank=True)
    police_reported_at = models.DateTimeField(_("reported to the police at"), null=True, blank=True)
    police_unit = models.CharField(_("police unit"), max_length=100, blank=True)
    police_receipt = models.CharField(_("police receipt number"), max_length=64, blank=True)
    police_reason = EncryptedTextField(_("why there is no police receipt"), blank=True)
    notified = models.JSONField(_("departments told"), default=list, blank=True)

    # Report boxes (防性侵举报箱).
    box_organisation = models.ForeignKey(
        Organisation,
        verbose_name=_("report box at"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    box_opened_on = models.DateField(_("box opened on"), null=True, blank=True)

    # Handling.
    handler = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("handler"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    received_at = models.DateTimeField(_("received at"), db_index=True)
    acknowledged_at = models.DateTimeField(_("acknowledged at"), null=True, blank=True)
    first_contact_at = models.DateTimeField(_("first contact at"), null=True, blank=True)
    # Responded = acknowledged and, where the reporter left a way to reach them,
    # contacted: the later of the two (DOMAIN.md §4.1 响应率).
    responded_at = models.DateTimeField(_("responded at"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    ack_due = models.DateTimeField(_("acknowledgement due"))
    contact_due = models.DateTimeField(_("first contact due"))
    close_due = models.DateTimeField(_("closure due"), db_index=True)
    extended = models.BooleanField(_("extended as complex"), default=False)
    outcome = models.CharField(_("outcome"), max_length=16, choices=Outcome.choices, blank=True)
    outcome_note = EncryptedTextField(_("what was done"), blank=True)
    merged_into = models.ForeignKey(
        "self",
        verbose_name=_("merged into"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="duplicates",
    )
    minors = models.ManyToManyField(
        Minor, verbose_name=_("children concerned"), through="TipMinor", related_name="tips"
    )
    followup_at = models.DateTimeField(_("follow-up call at"), null=True, blank=True)
    satisfaction = models.CharField(
        _("satisfaction"), max_length=12, choices=Satisfaction.choices, blank=True
    )
    reopened = models.PositiveSmallIntegerField(_("times reopened"), default=0)
    # Escalations already sent, by clock ("ack", "contact", "close"): each is sent once.
    escalated = models.JSONField(_("escalations sent"), default=list, blank=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    AUDIT_VALUE_FIELDS = ("channel", "category", "urgency", "status", "area_code")

    class Meta:
        verbose_name = _("report")
        verbose_name_plural = _("reports")
        ordering = ["-received_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["channel", "external_number"],
                condition=~Q(external_number=""),
                name="tip_external_once",
            ),
            models.UniqueConstraint(
                fields=["submission_key"],
                condition=~Q(submission_key=""),
                name="tip_submission_once",
            ),
            models.UniqueConstraint(
                fields=["receipt_digest"],
                condition=~Q(receipt_digest=""),
                name="tip_receipt_once",
            ),
        ]
        indexes = [
            models.Index(fields=["status", "close_due"], name="tip_open_due"),
            models.Index(fields=["area_code", "received_at"], name="tip_area_time"),
        ]

    def __str__(self) -> str:
        return self.number

    @property
    def number(self) -> str:
        """The work-order number staff quote: the day received and the id."""
        return f"{self.received_at:%Y%m%d}-{self.pk:05d}" if self.pk else ""

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    @property
    def is_mandatory(self) -> bool:
        return self.channel == Channel.MANDATORY

    @property
    def needs_police(self) -> bool:
        """A mandatory report, a reportable situation, or suspected abuse or sexual harm:
        the police must be told (未保法 Art. 11; SECURITY.md AN-5), and the report
        closes only with their receipt number or a written reason why not."""
        return (
            self.is_mandatory
            or bool(self.trigger)
            or self.category in (Category.ABUSE, Category.SEXUAL_HARM)
        )

    @property
    def police_done(self) -> bool:
        return bool(self.police_receipt or self.police_reason)

    @property
    def reachable(self) -> bool:
        """Whether the reporter left a way to be contacted (else no contact clock)."""
        return bool(self.reporter_contact) or self.reporter_user_id is not None


class TipMinor(models.Model):
    """A child of the registry a tip concerns, linked by the desk."""

    tip = models.ForeignKey(Tip, verbose_name=_("report"), on_delete=models.CASCADE)
    minor = models.ForeignKey(
        Minor, verbose_name=_("minor"), on_delete=models.PROTECT, related_name="tip_links"
    )
    linked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("linked by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    linked_at = models.DateTimeField(_("linked at"), auto_now_add=True)

    class Meta:
        verbose_name = _("child concerned")
        verbose_name_plural = _("children concerned")
        ordering = ["tip_id", "pk"]
        constraints = [models.UniqueConstraint(fields=["tip", "minor"], name="tip_minor_once")]

    def __str__(self) -> str:
        return f"{self.tip_id}/{self.minor_id}"


class TipAttachment(models.Model):
    """An image or short video sent with a report.

    Two files, both encrypted in private storage: the original exactly as received,
    with its SHA-256 for evidential integrity, and the copy staff see, with its
    metadata removed (EXIF and GPS for images, the ``udta``/``meta`` boxes of a
    video). Only the copy is ever shown.
    """

    class Kind(models.TextChoices):
        IMAGE = "image", _("Image")
        VIDEO = "video", _("Video")

    tip = models.ForeignKey(
        Tip, verbose_name=_("report"), on_delete=models.CASCADE, related_name="attachments"
    )
    kind = models.CharField(_("kind"), max_length=8, choices=Kind.choices)
    content_type = models.CharField(_("content type"), max_length=32)
    original = models.CharField(_("original file"), max_length=200)
    cleaned = models.CharField(_("copy without metadata"), max_length=200)
    sha256 = models.CharField(_("SHA-256 of the original"), max_length=64)
    size = models.PositiveIntegerField(_("size in bytes"))
    added_by_reporter = models.BooleanField(_("sent by the reporter"), default=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")
        ordering = ["tip_id", "pk"]

    def __str__(self) -> str:
        return f"{self.tip_id}/{self.pk}"


class Dispatch(models.Model):
    """A tip handed to an agency or a township (派单), which acknowledges (签收) it or
    sends it back (退单) with a reason; a new dispatch then goes elsewhere (改派)."""

    class Status(models.TextChoices):
        PENDING = "pending", pgettext_lazy("dispatch state", "Waiting for acknowledgement")
        ACKNOWLEDGED = "acknowledged", pgettext_lazy("dispatch state", "Acknowledged")
        RETURNED = "returned", pgettext_lazy("dispatch state", "Sent back")
        DONE = "done", pgettext_lazy("dispatch state", "Reported done")
        WITHDRAWN = "withdrawn", pgettext_lazy("dispatch state", "Withdrawn")

    tip = models.ForeignKey(
        Tip, verbose_name=_("report"), on_delete=models.CASCADE, related_name="dispatches"
    )
    organisation = models.ForeignKey(
        Organisation,
        verbose_name=_("agency"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    # A township (9 digits) when dispatched to its child supervisors instead.
    area_code = models.CharField(_("township"), max_length=12, blank=True)
    status = models.CharField(
        _("status"), max_length=12, choices=Status.choices, default=Status.PENDING
    )
    instructions = EncryptedTextField(_("instructions"), blank=True)
    dispatched_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("dispatched by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    dispatched_at = models.DateTimeField(_("dispatched at"), auto_now_add=True)
    ack_due = models.DateTimeField(_("acknowledgement due"))
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("acknowledged by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    acknowledged_at = models.DateTimeField(_("acknowledged at"), null=True, blank=True)
    answer = EncryptedTextField(_("reason sent back, or result"), blank=True)
    answered_at = models.DateTimeField(_("answered at"), null=True, blank=True)

    class Meta:
        verbose_name = _("dispatch")
        verbose_name_plural = _("dispatches")
        ordering = ["tip_id", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(organisation__isnull=False) | ~Q(area_code=""),
                name="dispatch_has_target",
            ),
            # One live dispatch per tip: a re-dispatch closes the previous one first.
            models.UniqueConstraint(
                fields=["tip"],
                condition=Q(status__in=["pending", "acknowledged"]),
                name="dispatch_one_live",
            ),
        ]
        indexes = [models.Index(fields=["organisation", "status"], name="dispatch_org_status")]

    def __str__(self) -> str:
        return f"{self.tip_id} → {self.organisation_id or self.area_code}"


class Extension(models.Model):
    """A request to treat a tip as complex and extend its closure limit, decided by
    someone other than the requester."""

    class Decision(models.TextChoices):
        PENDING = "pending", pgettext_lazy("extension state", "Pending")
        APPROVED = "approved", pgettext_lazy("extension state", "Approved")
        REFUSED = "refused", pgettext_lazy("extension state", "Refused")

    tip = models.ForeignKey(
        Tip, verbose_name=_("report"), on_delete=models.CASCADE, related_name="extensions"
    )
    reason = EncryptedTextField(_("reason"))
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("requested by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    requested_at = models.DateTimeField(_("requested at"), auto_now_add=True)
    new_due = models.DateTimeField(_("new closure limit"))
    decision = models.CharField(
        _("decision"), max_length=8, choices=Decision.choices, default=Decision.PENDING
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("decided by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)

    class Meta:
        verbose_name = _("extension")
        verbose_name_plural = _("extensions")
        ordering = ["tip_id", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["tip"], condition=Q(decision="pending"), name="extension_one_pending"
            )
        ]

    def __str__(self) -> str:
        return f"{self.tip_id} {self.decision}"


class TipEvent(models.Model):
    """One step in a tip's history. ``public`` steps are shown to the reporter by
    receipt code, worded for them (never naming staff or agencies)."""

    class Kind(models.TextChoices):
        RECEIVED = "received", _("Received")
        ACKNOWLEDGED = "acknowledged", _("Acknowledged")
        CONTACTED = "contacted", _("Reporter contacted")
        ASSIGNED = "assigned", _("Handler assigned")
        URGENCY = "urgency", _("Urgency changed")
        DISPATCHED = "dispatched", _("Dispatched")
        DISPATCH_ACKNOWLEDGED = "dispatch_ack", _("Dispatch acknowledged")
        DISPATCH_RETURNED = "dispatch_returned", _("Dispatch sent back")
        DISPATCH_DONE = "dispatch_done", _("Agency reported its result")
        EXTENSION_REQUESTED = "extension_requested", _("Extension requested")
        EXTENSION_DECIDED = "extension_decided", _("Extension decided")
        MERGED = "merged", _("Merged as a duplicate")
        LINKED = "linked", _("Child linked")
        NOTE = "note", _("Note")
        REPORTER_ADDED = "reporter_added", _("Reporter added information")
        POLICE = "police", _("Reported to the police")
        HANDOFF = "handoff", _("Handed to another line")
        CLOSED = "closed", _("Closed")
        FOLLOWED_UP = "followed_up", _("Follow-up call")
        REOPENED = "reopened", _("Reopened")
        ESCALATED = "escalated", _("Escalated as overdue")

    tip = models.ForeignKey(
        Tip, verbose_name=_("report"), on_delete=models.CASCADE, related_name="events"
    )
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
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
    public = models.BooleanField(_("shown to the reporter"), default=False)

    class Meta:
        verbose_name = _("report event")
        verbose_name_plural = _("report events")
        ordering = ["tip_id", "at", "pk"]

    def __str__(self) -> str:
        return f"{self.tip_id} {self.kind}"


class ThrottleHit(models.Model):
    """Counters of the public page's rate limits: a keyed hash of the client (never
    the address itself) per bucket of time, deleted after an hour (SECURITY.md AN-1)."""

    key = models.CharField(_("key"), max_length=64)
    bucket = models.DateTimeField(_("bucket"))
    count = models.PositiveIntegerField(_("count"), default=0)

    class Meta:
        verbose_name = _("throttle counter")
        verbose_name_plural = _("throttle counters")
        constraints = [
            models.UniqueConstraint(fields=["key", "bucket"], name="throttle_key_bucket")
        ]
        indexes = [models.Index(fields=["bucket"], name="throttle_bucket")]

    def __str__(self) -> str:
        return f"{self.key[:8]} {self.bucket:%H:%M} {self.count}"
