"""The pupils' questionnaire behind a one-time code: no account, a phone or a computer room.

Issue 4 items 4 and 7. Three pages, all of them plain forms that work without
JavaScript (POST, then redirect):

- ``start`` (/q/): the code form. The printed slip's QR code points at ``/q/#CODE``,
  so that the code stays in the fragment and never reaches a server log; a few lines
  of ``static/screening/questionnaire.js`` fill the form from it and submit.
- ``answer`` (/q/answer/): one page of the current instrument. Every page's answers
  are saved as the pupil goes (``services.response_save``), so closing the browser
  and typing the code again resumes at the first unanswered question.
- ``thanks`` (/q/thanks/): the same neutral page for everyone, with help lines.
  Nothing a pupil sees depends on a score, band or triage level (item 7).

Why it is built this way:

- Every code that cannot be used — unknown, expired, not yet open, waiting for the
  guardian, withdrawn, already submitted — gets ONE message, and each such refusal
  counts against the client's address in Django's cache; past the limit the code is
  not even looked up, so guessing learns nothing (codes are 50 random bits anyway).
- A valid code gives the browser a signed cookie holding the participant's id and
  the time, and nothing else; no session row is written (PERFORMANCE.md G5: a whole
  school starts within minutes, and a session row costs two durable commits). The
  cookie opens no more than the code does, and only while the participant may
  still answer, which every request checks. It is renewed at most once a minute;
  a pupil idle for longer than ``CARECIRCLE_QUESTIONNAIRE_IDLE`` seconds must type
  the code again: in a computer room the next pupil must not find someone else's
  questionnaire open. A staff member's own sign-in is not touched.
- Pages hold at most ``PAGE_SIZE`` items, and an item with skip logic starts a new
  page, so its ``show_if`` is evaluated (with the engine's ``hidden_items``) on
  answers already saved, exactly as scoring evaluates it: ASQ question 5 appears
  only after a positive screen. An answer to an item that later answers hide is
  cleared, so the submitted answers are always consistent.
- A replayed POST (a double tap, the back button, a retry) never submits twice: the
  service is idempotent, a form names the instrument it belongs to and a form of an
  already submitted instrument is only redirected; the form also carries a signed
  ticket, so a replay arriving after the cookie was cleared still lands on the
  thank-you page instead of the code form.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Mapping, Sequence
from contextlib import suppress
from dataclasses import dataclass
from functools import wraps
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.core import signing
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods

from carecircle.audit.middleware import client_ip
from carecircle.screening import services
from carecircle.screening.instruments import hidden_items, score
from carecircle.screening.instruments.model import Instrument, Item, localize
from carecircle.screening.instruments.rules import Value
from carecircle.screening.models import CampaignInstrument, Participant

logger = logging.getLogger(__name__)

PAGE_SIZE = 5
"""Items per page: a phone shows them without much scrolling."""

PUPIL_SALT = "carecircle.screening.pupil"
RENEW_AFTER = 60  # seconds: one cookie renewal a minute is enough for the idle limit
TICKET_SALT = "carecircle.screening.questionnaire"
TICKET_MAX_AGE = 24 * 60 * 60
# Crockford's decoding: letters a pupil may type for the digits they resemble.


def _setting(name: str, default: int) -> int:
    return int(getattr(settings, name, default))


def attempts_limit() -> int:
    """Refused codes allowed per client address and window (setting, default 10)."""
    return _setting("CARECIRCLE_CODE_ATTEMPTS", 10)


def attempts_window() -> int:
    """The throttle's window in seconds (setting, default 10 minutes)."""
    return _setting("CARECIRCLE_CODE_ATTEMPTS_WINDOW", 10 * 60)


def idle_limit() -> int:
    """Seconds without a request after which the code must be typed again."""
    return _setting("CARECIRCLE_QUESTIONNAIRE_IDLE", 20 * 60)


# --- The code and its throttle -----------------------------------------------------


def _throttle_key(request: HttpRequest) -> str:
    return f"carecircle:questionnaire-refusals:{client_ip(request) or 'unknown'}"


def _throttled(request: HttpRequest) -> bool:
    return int(cache.get(_throttle_key(request), 0)) >= attempts_limit()


def _count_refusal(request: HttpRequest) -> None:
    key = _throttle_key(request)
    if cache.add(key, 1, timeout=attempts_window()):
        return
    try:
        count = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.add(key, 1, timeout=attempts_window())
        return
    if count == attempts_limit():
        logger.warning("Questionnaire codes throttled for %s", client_ip(request) or "unknown")


# --- The pupil's cookie ----------------------------------------------------------------


def pupil_cookie_name() -> str:
    """Like the session cookie: ``__Host-`` bound to this host when cookies are secure."""
    return "__Host-cc_pupil" if settings.SESSION_COOKIE_SECURE else "cc_pupil"


def _pupil_value(pk: int) -> str:
    return signing.dumps({"p": pk, "t": int(time.time())}, salt=PUPIL_SALT)


def _remember(request: HttpRequest, pk: int) -> None:
    request.pupil_cookie = _pupil_value(pk)  # type: ignore[attr-defined]


def _forget(request: HttpRequest) -> None:
    """The browser forgets the pupil's questionnaire (a staff sign-in stays)."""
    request.pupil_cookie = ""  # type: ignore[attr-defined]


def _with_pupil_cookie(view: Any) -> Any:
    """Set or delete the pupil's cookie as the view decided (``_remember``/``_forget``)."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        response: HttpResponse = view(request, *args, **kwargs)
        value = getattr(request, "pupil_cookie", None)
        if value:
            response.set_cookie(
                pupil_cookie_name(),
                value,
                secure=settings.SESSION_COOKIE_SECURE,
                httponly=True,
                samesite="Lax",
            )
        elif value == "":
            response.delete_cookie(pupil_cookie_name(), samesite="Lax")
        return response

    return wrapped


def _pupil_participant(request: HttpRequest) -> tuple[Participant | None, int | None]:
    """The participant the cookie opened and who may still answer, and the id the cookie
    held (so that a pupil who idled out can be told where they stand)."""
    try:
        held = signing.loads(request.COOKIES.get(pupil_cookie_name(), ""), salt=PUPIL_SALT)
        pk, seen = int(held["p"]), int(held["t"])
    except (signing.BadSignature, KeyError, TypeError, ValueError):
        return None, None
    now = int(time.time())
    participant = services.participant_by_pk(pk) if now - seen <= idle_limit() else None
    if participant is None or not services.participant_open(participant, timezone.now()):
        _forget(request)
        return None, pk
    if now - seen >= RENEW_AFTER:
        _remember(request, pk)
    return participant, pk


def _lost(request: HttpRequest, pk: int | None) -> HttpResponse:
    """Where a pupil without a usable cookie goes: a finished pupil to the thank-you
    page (a replayed last submit), one who stopped half-way to the code form."""
    if pk is None:
        return redirect("questionnaire:start")
    if Participant.objects.filter(pk=pk, status=Participant.Status.SUBMITTED).exists():
        return redirect("questionnaire:thanks")
    messages.info(request, _("Enter your code again to continue where you stopped."))
    return redirect("questionnaire:start")


def _ticket_participant(request: HttpRequest) -> int | None:
    try:
        pk = signing.loads(request.POST.get("ticket", ""), salt=TICKET_SALT, max_age=TICKET_MAX_AGE)
    except signing.BadSignature:
        return None
    return pk if isinstance(pk, int) else None


# --- Instruments, pages and skip logic -----------------------------------------------


class _UnavailableError(Exception):
    """The campaign's instrument is gone or changed version: the pupil cannot go on."""


@dataclass(frozen=True)
class _Part:
    """The instrument the pupil answers now, and what they saved of it."""

    number: int
    count: int
    chosen: CampaignInstrument
    instrument: Instrument
    answers: dict[str, Value | None]


def _current_part(participant: Participant) -> _Part | None:
    """The first of the pupil's instruments not yet submitted (None: all are)."""
    day = timezone.localdate(participant.campaign.opens_at)  # as the services decide
    chosen = services.instruments_for(participant.campaign, participant.minor, day)
    responses = services.responses_of(participant)
    for number, row in enumerate(chosen, start=1):
        response = responses.get(row.code)
        if response is not None and response.submitted_at is not None:
            continue
        try:
            instrument = services.campaign_instrument(row.code, row.version)
        except ValidationError as error:
            raise _UnavailableError(row.code) from error
        answers = json.loads(response.answers) if response is not None and response.answers else {}
        return _Part(number, len(chosen), row, instrument, answers)
    return None


def pages_of(instrument: Instrument) -> list[tuple[Item, ...]]:
    """The items in pages of at most PAGE_SIZE; an item with skip logic opens a page."""
    pages: list[tuple[Item, ...]] = []
    page: list[Item] = []
    for item in instrument.items:
        if page and (len(page) >= PAGE_SIZE or item.show_if is not None):
            pages.append(tuple(page))
            page = []
        page.append(item)
    if page:
        pages.append(tuple(page))
    return pages


def shown_items(instrument: Instrument, answers: Mapping[str, Value | None]) -> set[str]:
    """The ids of the items asked, given the answers: ``show_if`` reads those before."""
    return {item.id for item in instrument.items} - hidden_items(instrument, answers)


def _unanswered(item: Item, answers: Mapping[str, Value | None]) -> bool:
    """Not yet reached: never saved, or a required item saved blank."""
    return item.id not in answers or (item.required and answers[item.id] is None)


def _visible_pages(pages: Sequence[tuple[Item, ...]], shown: set[str]) -> list[int]:
    return [n for n, page in enumerate(pages) if any(item.id in shown for item in page)]


def _resume_page(
    instrument: Instrument, pages: Sequence[tuple[Item, ...]], answers: Mapping[str, Value | None]
) -> int:
    """The first page with a question still to answer (the last page when none is)."""
    shown = shown_items(instrument, answers)
    visible = _visible_pages(pages, shown)
    for n in visible:
        if any(item.id in shown and _unanswered(item, answers) for item in pages[n]):
            return n
    return visible[-1] if visible else 0


# --- Rendering a page ------------------------------------------------------------------


@dataclass(frozen=True)
class _Choice:
    id: str
    value: str
    label: str
    checked: bool


@dataclass(frozen=True)
class _Question:
    id: str
    number: int
    text: str
    error: str
    choices: tuple[_Choice, ...]


def _questions(
    items: Sequence[Item], answers: Mapping[str, Value | None], errors: Mapping[str, str]
) -> list[_Question]:
    questions = []
    for item in items:
        saved = answers.get(item.id)
        choices = tuple(
            _Choice(
                id=f"cc-{item.id}-{n}",
                value=str(option.value),
                label=localize(option.label),
                checked=saved is not None and str(saved) == str(option.value),
            )
            for n, option in enumerate(item.option_set.options)
        )
        questions.append(
            _Question(item.id, item.number, localize(item.text), errors.get(item.id, ""), choices)
        )
    return questions


def _render_page(
    request: HttpRequest,
    participant: Participant,
    part: _Part,
    index: int,
    *,
    errors: Mapping[str, str] | None = None,
) -> HttpResponse:
    instrument = part.instrument
    pages = pages_of(instrument)
    shown = shown_items(instrument, part.answers)
    visible = _visible_pages(pages, shown)
    items = [item for item in pages[index] if item.id in shown]
    place = visible.index(index) if index in visible else 0
    done = (part.number - 1 + place / max(len(visible), 1)) / part.count
    context = {
        "part": part.number,
        "parts": part.count,
        "progress": round(100 * done),
        "first_page": place == 0,
        "instructions": localize(instrument.instructions),
        "time_frame": localize(instrument.time_frame) if instrument.time_frame else "",
        "attribution": localize(instrument.licence.attribution),
        "questions": _questions(items, part.answers, errors or {}),
        "errors": bool(errors),
        "code": part.chosen.code,
        "page": index,
        # "Submit" only where no later page can follow; skip logic decides the rest.
        "last_page": index == len(pages) - 1,
        "has_previous": place > 0,
        "ticket": signing.dumps(participant.pk, salt=TICKET_SALT),
    }
    return render(request, "screening/public/page.html", context)


def _unavailable(request: HttpRequest) -> HttpResponse:
    return render(request, "screening/public/unavailable.html", status=409)


def _page_url(index: int) -> str:
    return f"{reverse('questionnaire:answer')}?page={index}"


# --- Saving and submitting ---------------------------------------------------------------


def _read_page(
    request: HttpRequest, items: Sequence[Item], *, complete: bool
) -> tuple[dict[str, Value | None], dict[str, str]]:
    """The page's answers and errors. ``complete`` (moving on): a required question
    left open is an error, an optional one is recorded as a deliberate blank."""
    answers: dict[str, Value | None] = {}
    errors: dict[str, str] = {}
    for item in items:
        posted = request.POST.get(item.id, "")
        options = {str(option.value): option.value for option in item.option_set.options}
        if posted in options:
            answers[item.id] = options[posted]
        elif posted:
            errors[item.id] = _("Choose one of the answers.")
        elif complete and item.required:
            errors[item.id] = _("Please answer this question.")
        elif complete:
            answers[item.id] = None
    return answers, errors


def _save_page(request: HttpRequest, participant: Participant, part: _Part) -> HttpResponse:
    instrument = part.instrument
    pages = pages_of(instrument)
    try:
        index = min(max(int(request.POST.get("page", "")), 0), len(pages) - 1)
    except ValueError:
        return redirect("questionnaire:answer")
    action = request.POST.get("action", "next")
    shown = shown_items(instrument, part.answers)
    items = [item for item in pages[index] if item.id in shown]
    given, errors = _read_page(request, items, complete=action == "next")
    answers = {**part.answers, **given}
    # An answer to a question that the new answers skip goes: the submitted answers
    # must be those of the questions the pupil was asked (ASQ q5 after a changed q1).
    now_shown = shown_items(instrument, answers)
    stale = {
        item.id: None
        for item in instrument.items
        if item.id not in now_shown and answers.get(item.id) is not None
    }
    answers.update(stale)
    changes = {**given, **stale}
    if changes:
        try:
            services.response_save(participant=participant, code=part.chosen.code, answers=changes)
        except ValidationError:
            # Submitted or closed in the meantime (another tab): the GET says what now.
            return redirect("questionnaire:answer")
    saved = _Part(part.number, part.count, part.chosen, instrument, answers)
    if action == "leave":
        _forget(request)
        messages.info(request, _("Your answers are saved. Enter your code again to continue."))
        return redirect("questionnaire:start")
    if errors:
        return _render_page(request, participant, saved, index, errors=errors)
    visible = _visible_pages(pages, now_shown)
    if action == "back":
        earlier = [n for n in visible if n < index]
        return redirect(_page_url(earlier[-1] if earlier else index))
    later = [n for n in visible if n > index]
    if later:
        return redirect(_page_url(later[0]))
    return _submit(request, participant, saved)


def _submit(request: HttpRequest, participant: Participant, part: _Part) -> HttpResponse:
    """Submit the instrument, or send the pupil to the questions still open."""
    instrument = part.instrument
    result = score(instrument, {item.id: part.answers.get(item.id) for item in instrument.items})
    if not result.valid:
        open_items = {p.item for p in result.problems if p.item}
        if any(p.kind == "too_many_blanks" for p in result.problems):
            # Too many questions skipped (PSC-17): ask again for every one left blank.
            shown = shown_items(instrument, part.answers)
            open_items |= {
                i.id for i in instrument.items if i.id in shown and part.answers.get(i.id) is None
            }
        pages = pages_of(instrument)
        first = next(
            (n for n, page in enumerate(pages) if any(i.id in open_items for i in page)), None
        )
        if first is None:
            return _unavailable(request)
        message = _("Please answer this question.")
        return _render_page(
            request, participant, part, first, errors=dict.fromkeys(open_items, message)
        )
    # Refused only when a second tap submitted it first (the GET moves on), the
    # instrument changed or the campaign closed meanwhile (the GET explains).
    with suppress(ValidationError):
        services.response_submit(participant=participant, code=part.chosen.code, answers={})
    return redirect("questionnaire:answer")


def _finish(request: HttpRequest) -> HttpResponse:
    _forget(request)
    return redirect("questionnaire:thanks")


# --- The views -----------------------------------------------------------------------------


@never_cache
@require_http_methods(["GET", "POST"])
@_with_pupil_cookie
def start(request: HttpRequest) -> HttpResponse:
    """The code form. Every refusal reads the same and counts against the address."""
    context: dict[str, Any] = {"typed": "", "error": ""}
    if request.method == "POST":
        if _throttled(request):
            return render(request, "screening/public/throttled.html", status=429)
        typed = request.POST.get("code", "")[:64]
        context["typed"] = typed.strip()
        code = services.normalise_code(typed)
        if not code:
            context["error"] = _("Enter the code on your slip.")
        else:
            participant = (
                services.participant_by_code(code) if services.looks_like_a_code(code) else None
            )
            if participant is None:
                _count_refusal(request)
                context["error"] = _(
                    "This code cannot be used now. Check it and try again, or ask your teacher."
                )
            else:
                _remember(request, participant.pk)
                return redirect("questionnaire:answer")
    return render(request, "screening/public/start.html", context)


@never_cache
@require_http_methods(["GET", "POST"])
@_with_pupil_cookie
def answer(request: HttpRequest) -> HttpResponse:
    """One page of the current instrument: GET shows it, POST saves it and moves on."""
    participant, pk = _pupil_participant(request)
    if participant is None:
        if request.method == "POST" and pk is None:
            pk = _ticket_participant(request)
        return _lost(request, pk)
    try:
        part = _current_part(participant)
    except _UnavailableError:
        return _unavailable(request)
    if part is None:
        return _finish(request)
    if request.method == "POST":
        if request.POST.get("part") != part.chosen.code:
            # A form of an instrument already submitted (a double tap, the back
            # button): nothing to save; show where the pupil is now.
            return redirect("questionnaire:answer")
        return _save_page(request, participant, part)
    pages = pages_of(part.instrument)
    resume = _resume_page(part.instrument, pages, part.answers)
    index = resume
    wanted = request.GET.get("page", "")
    if wanted.isascii() and wanted.isdigit() and len(wanted) < 4 and int(wanted) <= resume:
        shown = shown_items(part.instrument, part.answers)
        if int(wanted) in _visible_pages(pages, shown):
            index = int(wanted)
    return _render_page(request, participant, part, index)


@never_cache
@require_GET
def thanks(request: HttpRequest) -> HttpResponse:
    """The same page for every pupil: no score, band or level, and help lines."""
    return render(request, "screening/public/thanks.html")
