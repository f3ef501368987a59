"""Pages of the screening reports (issue 4, item 8; prefix /screening/reports/).

- ``school_list``: the schools whose reports the user reads;
- ``school_detail``: a school's report, or a grade's or a class's (``?part=``);
- ``school_export``: the same tables as xlsx, an audited export.

Who: those who run the school's campaigns see the counts, the school's
administrator sees them suppressed (``reports`` explains both); anyone else is
refused before any lookup (403), and a school outside the user's reach is 404.
No page here names a pupil, so viewing one is not an audited read; the export is.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_safe

from carecircle.accounts.models import Organisation
from carecircle.audit.services import note_denial
from carecircle.screening import report_exports
from carecircle.screening.reports import (
    InstrumentReport,
    SchoolReport,
    reads_reports,
    school_report,
    schools_reported_to,
    sees_full_counts,
)

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _gate(request: HttpRequest) -> None:
    if not reads_reports(request.user):
        raise PermissionDenied(
            _("Only the school's psychology teacher, its administrator and the centre see reports.")
        )


def get_school_for_report(user: Any, pk: int) -> Organisation:
    school = schools_reported_to(user).select_related("division").filter(pk=pk).first()
    if school is None:
        note_denial(actor=user, object_type="screening.report", object_id=pk, reason="scope")
        raise Http404
    return school


def _report_for(request: HttpRequest, pk: int) -> SchoolReport:
    school = get_school_for_report(request.user, pk)
    part = request.GET.get("part", "")
    report = school_report(school, part=part, suppressed=not sees_full_counts(request.user, school))
    if report is None:  # a grade or class the school has no results for
        raise Http404
    return report


def chart_data(instrument: InstrumentReport) -> dict[str, Any]:
    """Triage levels across rounds, in percent, for the chart; a hidden share is a gap."""
    series = []
    for category in instrument.triage:
        data: list[float | None] = []
        for one in instrument.rounds:
            cell = next(c for k, c in one.triage.cells if k.key == category.key)
            data.append(None if cell.share is None else round(cell.share * 100, 1))
        series.append({"key": category.key, "name": category.label, "data": data})
    rounds = [f"{r.name} ({timezone.localtime(r.opens_at):%Y-%m-%d})" for r in instrument.rounds]
    return {"rounds": rounds, "series": series}


@login_required
@require_safe
def school_list(request: HttpRequest) -> HttpResponse:
    _gate(request)
    schools = (
        schools_reported_to(request.user).select_related("division").order_by("division_id", "name")
    )
    page = Paginator(schools, 100).get_page(request.GET.get("page"))
    rows = [(school, sees_full_counts(request.user, school)) for school in page]
    return render(
        request, "screening/reports/school_list.html", {"rows": rows, "page": page, "query": ""}
    )


@login_required
@require_safe
def school_detail(request: HttpRequest, pk: int) -> HttpResponse:
    _gate(request)
    report = _report_for(request, pk)
    sections = [
        (instrument, f"cc-chart-{index}", chart_data(instrument))
        for index, instrument in enumerate(report.instruments)
    ]
    context = {
        "report": report,
        "sections": sections,
        "note": report_exports.suppression_note(report.min_cell) if report.suppressed else "",
    }
    return render(request, "screening/reports/school_detail.html", context)


@login_required
@require_GET
def school_export(request: HttpRequest, pk: int) -> HttpResponse:
    """The report as xlsx (GET only: a HEAD must not write an audit event)."""
    _gate(request)
    report = _report_for(request, pk)
    data = report_exports.report_export(actor=request.user, report=report)
    response = HttpResponse(data, content_type=XLSX)
    filename = quote(report_exports.export_filename(report), safe="")
    response["Content-Disposition"] = (
        f"attachment; filename=\"screening-report.xlsx\"; filename*=UTF-8''{filename}"
    )
    return response
