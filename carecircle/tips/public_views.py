"""The public reporting page: anyone, no account, on a phone (issue 6 items 1 and 7).

- ``report`` (/report/): the form. A POST goes through, in this order: the size
  of the request, the honeypot, the proof of work (``pow.py``), the hourly limit
  (``throttle.py``), the form and every file (``attachments.clean_upload``); only
  then is anything written, in one transaction with the limit's slot. The answer
  is the receipt page itself (no redirect: the code is shown once and is never in
  a URL); a form sent again with the same challenge is the same report.
- ``status`` (/report/status/): the reporter types the receipt code (POST, so it
  appears in no URL or log) and sees the status in plain words and the public
  history; ``add`` (POST) adds text and files, the code riding in a hidden field
  and checked again. Unknown codes count against the client (``throttle.py``).
- ``challenge``: a fresh challenge as JSON, for a page left open too long.

The reporter leaves no trace (SECURITY.md AN-1): every view first clears the
address that the audit middleware put in the request's audit context, so the
audit rows written for a report carry none; the address is used only as the
throttle's keyed hash, and the browser's user agent is never read. The views are
exempt from CSRF checks for the same reason: a refused CSRF token is written to
the audit log with the address before any view runs, and these forms open no
session to ride on (the signed one-time challenge already ties a report to the
page that was served).

Uploads are parsed in memory by this module's handlers (no plain copy of a
reporter's photo on the disk), one file at most the largest accepted size, the
whole request at most ``CARECIRCLE_TIP_MAX_FILES`` such files.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import (
    RequestDataTooBig,
    TooManyFieldsSent,
    TooManyFilesSent,
    ValidationError,
)
from django.core.files.uploadhandler import FileUploadHandler, MemoryFileUploadHandler, SkipFile
from django.db import transaction
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.http.multipartparser import MultiPartParserError
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from carecircle.audit import context
from carecircle.tips import attachments, pow, receipts, services, throttle
from carecircle.tips.attachments import CleanFile
from carecircle.tips.models import Channel, Status, Tip, TipEvent
from carecircle.tips.public_forms import AddForm, ReceiptForm, ReportForm, trapped

FIELD_ALLOWANCE = 1024 * 1024  # the text fields and multipart framing of one request

STATUS_WORDS = {
    Status.RECEIVED: (
        pgettext_lazy("reporter", "Received"),
        gettext_lazy("Your report has arrived and is waiting to be read."),
    ),
    Status.ACKNOWLEDGED: (
        pgettext_lazy("reporter", "Read"),
        gettext_lazy("Your report has been read and is being looked into."),
    ),
    Status.DISPATCHED: (
        pgettext_lazy("reporter", "Being handled"),
        gettext_lazy("Your report has been passed to those who can help."),
    ),
    Status.IN_PROGRESS: (
        pgettext_lazy("reporter", "Being handled"),
        gettext_lazy("People are working on your report."),
    ),
    Status.CLOSED: (
        pgettext_lazy("reporter", "Finished"),
        gettext_lazy("The handling of your report has finished."),
    ),
}
EVENT_WORDS = {
    TipEvent.Kind.RECEIVED: gettext_lazy("Your report was received."),
    TipEvent.Kind.ACKNOWLEDGED: gettext_lazy("Your report was read."),
    TipEvent.Kind.CONTACTED: gettext_lazy("You were contacted."),
    TipEvent.Kind.DISPATCHED: gettext_lazy("Your report was passed to those who can help."),
    TipEvent.Kind.DISPATCH_ACKNOWLEDGED: gettext_lazy("Your report is being handled."),
    TipEvent.Kind.REPORTER_ADDED: gettext_lazy("You added information."),
    TipEvent.Kind.MERGED: gettext_lazy(
        "Your report was joined with another about the same matter."
    ),
    TipEvent.Kind.CLOSED: gettext_lazy("The handling finished."),
    TipEvent.Kind.REOPENED: gettext_lazy("Your report was opened again."),
}


def _forget_address() -> None:
    """No audit row written for this request may carry the reporter's address."""
    ctx = context.current()
    if ctx is not None:
        ctx.ip = None


# --- Reading a request with files ------------------------------------------------------


class _Guard(FileUploadHandler):
    """Skips every file past the count and every file past the largest size, noting them."""

    def __init__(self, request: HttpRequest) -> None:
        super().__init__(request)
        self.files = 0
        self.too_many = False
        self.oversize: list[str] = []

    def new_file(self, *args: Any, **kwargs: Any) -> None:
        super().new_file(*args, **kwargs)
        self.files += 1
        if self.files > attachments.max_files():
            self.too_many = True
            raise SkipFile

    def receive_data_chunk(self, raw_data: bytes, start: int) -> bytes | None:
        if start + len(raw_data) > _largest_file():
            self.oversize.append(str(self.file_name))
            raise SkipFile
        return raw_data

    def file_complete(self, file_size: int) -> None:
        return None


class _InMemory(MemoryFileUploadHandler):
    """Always in memory: the guard and the request limit bound what that holds."""

    def handle_raw_input(self, *args: Any, **kwargs: Any) -> None:
        self.activated = True


def _largest_file() -> int:
    return max(attachments.image_max_bytes(), attachments.video_max_bytes())


def _request_limit() -> int:
    return attachments.max_files() * _largest_file() + FIELD_ALLOWANCE


@dataclass
class _Posted:
    problem: str = ""
    file_errors: list[str] = field(default_factory=list)
    uploads: list[Any] = field(default_factory=list)


def _read(request: HttpRequest) -> _Posted:
    """Parse the body with the guard; a request too large is refused unread."""
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    too_large = _("The files are too large to send together. Send fewer or smaller files.")
    if length > _request_limit():
        return _Posted(problem=too_large)
    guard = _Guard(request)
    request.upload_handlers = [guard, _InMemory(request)]
    try:
        request.POST  # noqa: B018  (parses the body with the handlers above)
        uploads = request.FILES.getlist("files")
    except (RequestDataTooBig, TooManyFieldsSent, TooManyFilesSent):
        return _Posted(problem=too_large)
    except MultiPartParserError:
        return _Posted(problem=_("The form could not be read. Please reload the page."))
    errors = [attachments.too_many().messages[0]] if guard.too_many else []
    errors += [
        attachments.too_large(name, attachments.video_max_bytes()).messages[0]
        for name in guard.oversize
    ]
    return _Posted(file_errors=errors, uploads=uploads)


def _clean_files(posted: _Posted) -> list[CleanFile]:
    if posted.file_errors:
        return []
    try:
        return attachments.clean_uploads(posted.uploads)
    except ValidationError as error:
        posted.file_errors = list(error.messages)
        return []


# --- Pages -----------------------------------------------------------------------------------


def _refused(request: HttpRequest, message: str, *, status: int) -> HttpResponse:
    return render(request, "tips/public/refused.html", {"message": message}, status=status)


def _no_script_message() -> str:
    return _(
        "Your report was not sent: this form needs JavaScript. Turn JavaScript on and "
        "reload the page, or report by phone: call 12345, or 110 in an emergency."
    )


def _too_many_reports(request: HttpRequest) -> HttpResponse:
    message = _(
        "Too many reports were sent from this connection in the last hour, or the service "
        "is very busy. Please try again later, or call 12345 now."
    )
    return _refused(request, message, status=429)


def _too_many_lookups(request: HttpRequest) -> HttpResponse:
    message = _(
        "Too many wrong receipt codes were typed from this connection. Please wait 15 "
        "minutes and try again, or call 12345."
    )
    return _refused(request, message, status=429)


def _form_page(
    request: HttpRequest,
    form: ReportForm,
    *,
    status: int = 200,
    problem: str = "",
    file_errors: list[str] | None = None,
) -> HttpResponse:
    context_data = {
        "form": form,
        "problem": problem,
        "file_errors": file_errors or [],
        "bits": pow.required_bits(),
        "max_files": attachments.max_files(),
    }
    return render(request, "tips/public/report_form.html", context_data, status=status)


def _intake(form: ReportForm, proof: pow.Proof) -> services.Intake:
    data = form.cleaned_data
    return services.Intake(
        channel=Channel.WEB,
        category=data["category"],
        description=data["description"],
        area_code=form.area_code,
        place=data["place"],
        occurred_on=data["occurred_on"],
        occurred_text=data["occurred_text"],
        child_description=data["child_description"],
        anonymous=data["anonymous"],
        reporter_name=data["reporter_name"],
        reporter_contact=data["reporter_contact"],
        reporter_relation=data["reporter_relation"],
        submission_key=proof.id,
    )


@csrf_exempt
@never_cache
@require_http_methods(["GET", "POST"])
def report(request: HttpRequest) -> HttpResponse:
    """The reporting form; a valid POST answers with the receipt code, once."""
    _forget_address()
    if request.method == "GET":
        return _form_page(request, ReportForm(initial={"challenge": pow.new_challenge()}))
    posted = _read(request)
    if posted.problem:
        return _refused(request, posted.problem, status=413)
    if trapped(request.POST):
        message = _(
            "This report cannot be accepted: a field that must stay empty was filled in. "
            "Reload the page and send it again, or call 12345."
        )
        return _refused(request, message, status=400)
    nonce = request.POST.get("nonce", "")
    if not nonce:
        # The page's script always sends a nonce: without one, no script ran (a bot,
        # or JavaScript off, which the page already warned about). A short answer,
        # not the whole form again: floods arrive this way (bench/tips.py).
        return _refused(request, _no_script_message(), status=400)
    proof = pow.verify(request.POST.get("challenge", ""), nonce)
    if proof is None:
        data = request.POST.copy()
        data["challenge"], data["nonce"] = pow.new_challenge(), ""
        problem = _(
            "Your report was not sent: the page was not ready or has expired. Reload the page "
            "(keep JavaScript on), check your report, attach any files again and send it again."
        )
        return _form_page(request, ReportForm(data), status=400, problem=problem)
    if throttle.reports_exhausted(request):
        return _too_many_reports(request)
    form = ReportForm(request.POST)
    files = _clean_files(posted)
    if not form.is_valid() or posted.file_errors:
        return _form_page(request, form, status=400, file_errors=posted.file_errors)
    intake = _intake(form, proof)
    # The receipt's slow hash before the transaction: SQLite holds its write lock
    # from the first write to the commit, and the flood bench saw writers starve.
    intake.receipt = receipts.new_receipt()
    received = None
    with transaction.atomic():
        if throttle.take_report(request):
            received = services.tip_receive(intake, files=files)
        if received is None or not received.created:
            transaction.set_rollback(True)  # refused, or a replay: no slot taken
    if received is None:
        return _too_many_reports(request)
    code = receipts.display(received.receipt) if received.receipt else ""
    return render(request, "tips/public/report_received.html", {"code": code})


@never_cache
@require_GET
def challenge(request: HttpRequest) -> HttpResponse:
    """A fresh challenge, for a form left open longer than a challenge lives."""
    _forget_address()
    return JsonResponse({"challenge": pow.new_challenge(), "bits": pow.required_bits()})


def _status_page(
    request: HttpRequest,
    tip: Tip,
    code: str,
    *,
    add_form: AddForm | None = None,
    file_errors: list[str] | None = None,
    added: bool = False,
    status: int = 200,
) -> HttpResponse:
    title, explanation = STATUS_WORDS.get(Status(tip.status), STATUS_WORDS[Status.IN_PROGRESS])
    history = [
        {
            "at": e.at,
            "words": EVENT_WORDS.get(TipEvent.Kind(e.kind), _("Your report was updated.")),
            # Only the reporter's own words are shown back: other texts are staff's.
            "text": e.text if e.kind == TipEvent.Kind.REPORTER_ADDED else "",
        }
        for e in services.public_history(tip)
    ]
    context_data = {
        "tip_status": tip.status,
        "title": title,
        "explanation": explanation,
        "history": history,
        "outcome": tip.get_outcome_display() if tip.status == Status.CLOSED else "",
        "add_form": add_form or AddForm(initial={"code": code}),
        "file_errors": file_errors or [],
        "added": added,
        "max_files": attachments.max_files(),
    }
    return render(request, "tips/public/status_detail.html", context_data, status=status)


def _lookup(request: HttpRequest) -> tuple[str, Tip | None, HttpResponse | None]:
    """The code posted and its tip, or the page refusing it (a wrong code counts)."""
    form = ReceiptForm(request.POST)
    if not form.is_valid():
        return "", None, _code_page(request, form, status=400)
    code = form.cleaned_data["code"]
    tip = services.find_by_receipt(code)
    if tip is None:
        throttle.count_lookup_failure(request)
        form.add_error("code", _("No report was found with this code. Check it and try again."))
        return code, None, _code_page(request, form, status=404)
    return code, tip, None


def _code_page(request: HttpRequest, form: ReceiptForm, *, status: int = 200) -> HttpResponse:
    return render(request, "tips/public/status_form.html", {"form": form}, status=status)


@csrf_exempt
@never_cache
@require_http_methods(["GET", "POST"])
def status(request: HttpRequest) -> HttpResponse:
    """Type the receipt code; see the status and the public history."""
    _forget_address()
    if request.method == "GET":
        return _code_page(request, ReceiptForm())
    if throttle.lookups_blocked(request):
        return _too_many_lookups(request)
    request.upload_handlers = []  # the code form sends no file: drop any unread
    code, tip, refusal = _lookup(request)
    if refusal is not None or tip is None:
        return refusal or _code_page(request, ReceiptForm(), status=400)
    return _status_page(request, tip, code)


def _take_add_slots(request: HttpRequest, tip_pk: int, files: int) -> str:
    """Which limit the addition reached ("reports" or "files"); "" when it may go on."""
    if not throttle.take_report(request):
        return "reports"
    if not throttle.take_report_files(tip_pk, files):
        return "files"
    return ""


@csrf_exempt
@never_cache
@require_POST
def add(request: HttpRequest) -> HttpResponse:
    """Add text and files to a report, by its receipt code (checked again here)."""
    _forget_address()
    if throttle.lookups_blocked(request):
        return _too_many_lookups(request)
    posted = _read(request)
    if posted.problem:
        return _refused(request, posted.problem, status=413)
    code, tip, refusal = _lookup(request)
    if refusal is not None or tip is None:
        return refusal or _code_page(request, ReceiptForm(), status=400)
    form = AddForm(request.POST)
    files = _clean_files(posted)
    if not form.is_valid() or posted.file_errors:
        return _status_page(
            request, tip, code, add_form=form, file_errors=posted.file_errors, status=400
        )
    with transaction.atomic():
        reached = _take_add_slots(request, tip.pk, len(files))
        if reached:
            transaction.set_rollback(True)
        else:
            services.tip_reporter_add(tip, text=form.cleaned_data["text"], files=files)
    if reached == "files":
        message = _("Too many files were added to this report in the last hour.")
        return _status_page(request, tip, code, add_form=form, file_errors=[message], status=429)
    if reached:
        return _too_many_reports(request)
    tip.refresh_from_db()
    return _status_page(request, tip, code, added=True)
