"""Pages for the rosters: template download, import (check, then confirm), export,
and the duplicates list with its merge.

Confirming a checked import asks for the same file again. The upload is not kept
between the two steps — not in the session, not on disk — so that no child's data
lies around waiting for a confirmation that may never come; the checked batch keeps
the file's SHA-256, and the confirmation must match it. Uploads past
``CARECIRCLE_IMPORT_MAX_BYTES`` are refused from the Content-Length header before
the body is read, and by an upload handler that stops storing at the limit when
the header is absent or wrong.
"""

from __future__ import annotations

import hashlib
from datetime import timedelta
from typing import Any, cast

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadhandler import FileUploadHandler, StopUpload
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_GET, require_http_methods

from carecircle.accounts.forms import OtpTokenForm
from carecircle.accounts.services import second_factor_verify
from carecircle.people import dedupe, exports, imports, rosters
from carecircle.people.filters import MinorFilterForm
from carecircle.people.models import ImportBatch, Minor
from carecircle.people.permissions import can_change_minor, get_minor_for_user, minor_scope_q
from carecircle.regions.selectors import division_names

# Multipart framing and the form's other fields, on top of the file itself.
MULTIPART_MARGIN = 64 * 1024
CONFIRM_WITHIN = timedelta(hours=24)


class UploadLimitHandler(FileUploadHandler):
    """Stops storing an upload once it passes the import limit; the view then says so."""

    def __init__(self, request: HttpRequest, limit: int) -> None:
        super().__init__(request)
        self.limit = limit
        self.exceeded = False

    def receive_data_chunk(self, raw_data: bytes, start: int) -> bytes | None:
        if start + len(raw_data) > self.limit:
            self.exceeded = True
            raise StopUpload(connection_reset=False)
        return raw_data

    def file_complete(self, file_size: int) -> None:
        return None


def declared_too_large(request: HttpRequest) -> bool:
    try:
        declared = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return False
    return declared > imports.max_bytes() + MULTIPART_MARGIN


def limit_upload(request: HttpRequest) -> UploadLimitHandler:
    handler = UploadLimitHandler(request, imports.max_bytes())
    request.upload_handlers.insert(0, handler)
    return handler


class ImportForm(forms.Form):
    file = forms.FileField(
        label=gettext_lazy("Roster file (.xlsx or .csv)"),
        help_text=gettext_lazy("Excel workbook or CSV in UTF-8 or GBK; at most 50 MB."),
    )
    layout = forms.ChoiceField(
        label=gettext_lazy("Form"),
        required=False,
        choices=[("", gettext_lazy("Recognise from the headers")), *rosters.layout_choices()],
    )
    batch = forms.IntegerField(required=False, widget=forms.HiddenInput)


def _require_importer(request: HttpRequest) -> None:
    if not imports.can_import(request.user):
        raise PermissionDenied


def _too_large(request: HttpRequest) -> HttpResponse:
    context = {"form": ImportForm(), "error": imports.too_large_message()}
    return render(request, "people/import_upload.html", context, status=413)


@csrf_exempt  # CSRF is checked in _import_page, after the upload limit is in place
@login_required
@require_http_methods(["GET", "POST"])
def minor_import(request: HttpRequest) -> HttpResponse:
    """Upload a roster: a check (dry run) by default, or the import of a checked file."""
    _require_importer(request)
    if request.method == "POST" and declared_too_large(request):
        return _too_large(request)
    handler = limit_upload(request) if request.method == "POST" else None
    return _import_page(request, handler)


@csrf_protect
def _import_page(request: HttpRequest, handler: UploadLimitHandler | None) -> HttpResponse:
    if request.method != "POST":
        return render(request, "people/import_upload.html", {"form": ImportForm()})
    form = ImportForm(request.POST, request.FILES)
    if handler is not None and handler.exceeded:
        return _too_large(request)
    if not form.is_valid():
        return render(request, "people/import_upload.html", {"form": form}, status=400)
    upload = form.cleaned_data["file"]
    data = upload.read()
    checked = _checked_batch(request, form, data)
    if form.errors:
        return render(request, "people/import_upload.html", {"form": form}, status=400)
    report = imports.import_minors(
        actor=request.user,
        data=data,
        filename=upload.name or "",
        dry_run=checked is None,
        layout=form.cleaned_data["layout"] or None,
    )
    if report.ok and not report.dry_run:
        messages.success(
            request,
            _("Imported: %(created)d children added, %(updated)d updated.")
            % {"created": report.created, "updated": report.updated},
        )
    context = {"form": ImportForm(initial={"layout": report.layout}), "report": report}
    return render(request, "people/import_report.html", context, status=200 if report.ok else 400)


def _checked_batch(request: HttpRequest, form: ImportForm, data: bytes) -> ImportBatch | None:
    """The dry run this upload confirms, if it is one; errors go on the form."""
    pk = form.cleaned_data.get("batch")
    if not pk:
        return None
    batch = ImportBatch.objects.filter(
        pk=pk,
        uploaded_by=request.user.pk,
        status=ImportBatch.Status.CHECKED,
        created_at__gte=timezone.now() - CONFIRM_WITHIN,
    ).first()
    if batch is None:
        form.add_error(None, _("That check has expired or was not yours; check the file again."))
    elif batch.sha256 != hashlib.sha256(data).hexdigest():
        form.add_error("file", _("This is not the file that was checked. Check it first."))
    return batch


@login_required
@require_GET
def import_template(request: HttpRequest) -> HttpResponse:
    """The empty form of a layout, as an xlsx to fill in."""
    _require_importer(request)
    layout = rosters.LAYOUTS.get(request.GET.get("layout") or rosters.DEFAULT_LAYOUT)
    if layout is None:
        raise Http404
    response = HttpResponse(
        rosters.template_workbook(layout),
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    _attachment(response, f"{layout.title}（模板）.xlsx")
    return response


def _attachment(response: HttpResponse, filename: str) -> None:
    from urllib.parse import quote

    response["Content-Disposition"] = (
        f"attachment; filename=\"roster.xlsx\"; filename*=UTF-8''{quote(filename)}"
    )


# --- Export ----------------------------------------------------------------------------


class ExportForm(MinorFilterForm):
    layout = forms.ChoiceField(label=gettext_lazy("Form"), choices=rosters.layout_choices())
    otp_token = OtpTokenForm.base_fields["otp_token"]

    def clean_otp_token(self) -> str:
        return OtpTokenForm.clean_otp_token(self)  # type: ignore[arg-type]


@login_required
@require_http_methods(["GET", "POST"])
def minor_export(request: HttpRequest) -> HttpResponse:
    """Export a roster of the children in scope; a bulk export needs the current
    authenticator code (step-up, SECURITY.md 7.5.3 and DP-6)."""
    _require_importer(request)
    if request.method != "POST":
        form = ExportForm(initial={**request.GET.dict(), "otp_token": ""})
        return render(request, "people/export_form.html", {"form": form})
    form = ExportForm(request.POST)
    if form.is_valid() and not second_factor_verify(
        user=request.user, token=form.cleaned_data["otp_token"]
    ):
        form.add_error("otp_token", _("The code is wrong or already used."))
    if not form.is_valid():
        return render(request, "people/export_form.html", {"form": form}, status=400)
    layout = rosters.LAYOUTS[form.cleaned_data["layout"]]
    data, _count = exports.minors_export(actor=request.user, layout=layout, form=form)
    response = HttpResponse(
        data, content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    _attachment(response, exports.export_filename(layout))
    return response


# --- Duplicates ---------------------------------------------------------------------------


@login_required
@require_GET
def duplicates(request: HttpRequest) -> HttpResponse:
    _require_importer(request)
    groups = dedupe.duplicate_groups(request.user)
    names = division_names({m.area_code for g in groups for m in g.members})
    return render(request, "people/duplicates.html", {"groups": groups, "area_names": names})


class MergeForm(forms.Form):
    survivor = forms.TypedChoiceField(
        label=gettext_lazy("Keep this record"), coerce=int, widget=forms.RadioSelect
    )
    reason = forms.CharField(
        label=gettext_lazy("Why these are the same child"),
        min_length=4,
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def __init__(self, data: Any, *, candidates: list[Minor]) -> None:
        super().__init__(data)
        field = cast(forms.TypedChoiceField, self.fields["survivor"])
        field.choices = [(m.pk, f"#{m.pk} {m.name}") for m in candidates]
        if len(candidates) == 1:
            field.initial = candidates[0].pk


@login_required
@require_http_methods(["GET", "POST"])
def minor_merge(request: HttpRequest, pk: int) -> HttpResponse:
    """Merge the record ``pk`` (the duplicate) into another record of its group."""
    _require_importer(request)
    duplicate = get_minor_for_user(request.user, pk)
    if not can_change_minor(request.user, duplicate):
        raise PermissionDenied
    candidates = _candidates(request.user, duplicate)
    form = MergeForm(request.POST or None, candidates=candidates)
    if request.method == "POST" and form.is_valid():
        survivor = next(m for m in candidates if m.pk == form.cleaned_data["survivor"])
        try:
            dedupe.minor_merge(
                actor=request.user,
                survivor=survivor,
                duplicate=duplicate,
                reason=form.cleaned_data["reason"],
            )
        except ValidationError as exc:
            form.add_error(None, exc.messages)
        else:
            messages.success(request, _("The records were merged; the duplicate is kept, marked."))
            return redirect("people:minor-detail", pk=survivor.pk)
    context = {
        "duplicate": duplicate,
        "candidates": candidates,
        "form": form,
        "area_names": division_names({m.area_code for m in [duplicate, *candidates]}),
    }
    status = 400 if request.method == "POST" else 200
    return render(request, "people/duplicates_merge.html", context, status=status)


def _candidates(user: Any, duplicate: Minor) -> list[Minor]:
    """Other live records of the same name, birth date and village the user may change."""
    scope = minor_scope_q(user, edit=True)
    if scope is None:
        return []
    return list(
        Minor.objects.filter(
            scope,
            name=duplicate.name,
            birth_date=duplicate.birth_date,
            area_code=duplicate.area_code,
        )
        .exclude(pk=duplicate.pk)
        .exclude(status=Minor.Status.MERGED)
        .select_related("school", "school_class", "household")
        .prefetch_related("guardians")
        .order_by("pk")
    )
