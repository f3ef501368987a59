"""``POST /api/v1/minors/import/``: the roster import for integrations (school rosters).

Same rules as the page: roles that edit minors, their editable scope, all or
nothing, ``dry_run`` to check only. The upload limit is enforced before the body
is parsed (Content-Length) and while it is parsed (an upload handler).
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.parsers import MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from carecircle.people import imports, rosters
from carecircle.people.import_views import (
    UploadLimitHandler,
    declared_too_large,
    limit_upload,
)


class ImportRequestSerializer(serializers.Serializer):
    file = serializers.FileField(help_text="The roster, .xlsx or .csv (UTF-8, UTF-8 BOM, GBK).")
    dry_run = serializers.BooleanField(
        default=False, help_text="Check only: report the problems, write nothing."
    )
    layout = serializers.ChoiceField(
        choices=[key for key, _title in rosters.layout_choices()],
        required=False,
        help_text="The form; recognised from the headers when omitted.",
    )


class ProblemSerializer(serializers.Serializer):
    row = serializers.IntegerField(help_text="Spreadsheet row as Excel numbers it; 0 = the file.")
    column = serializers.CharField(help_text="The column's header, e.g. 公民身份号码.")
    message = serializers.CharField()


class ImportReportSerializer(serializers.Serializer):
    layout = serializers.CharField()
    rows = serializers.IntegerField()
    created = serializers.IntegerField()
    updated = serializers.IntegerField()
    unchanged = serializers.IntegerField()
    dry_run = serializers.BooleanField()
    batch = serializers.IntegerField(allow_null=True)
    problems = ProblemSerializer(many=True)
    warnings = ProblemSerializer(many=True)


def report_data(report: imports.ImportReport) -> dict[str, Any]:
    return {
        "layout": report.layout,
        "rows": report.rows,
        "created": report.created,
        "updated": report.updated,
        "unchanged": report.unchanged,
        "dry_run": report.dry_run,
        "batch": report.batch.pk if report.batch else None,
        "problems": [p.as_dict() for p in report.problems],
        "warnings": [p.as_dict() for p in report.warnings],
    }


_TOO_LARGE = inline_serializer("ImportTooLarge", {"detail": serializers.CharField()})


class MinorImport(APIView):
    """Import a 两表一册 roster; 201 when children were added, 200 otherwise, 400 with
    the problems by row and column when anything is wrong (nothing is then written)."""

    parser_classes = [MultiPartParser]
    upload_limit: UploadLimitHandler

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        # Before authentication: session authentication's CSRF check parses the body.
        if request.method == "POST":
            self.upload_limit = limit_upload(request._request)
        super().initial(request, *args, **kwargs)

    @extend_schema(
        request={"multipart/form-data": ImportRequestSerializer},
        responses={
            201: ImportReportSerializer,
            200: ImportReportSerializer,
            400: ImportReportSerializer,
            413: _TOO_LARGE,
        },
    )
    def post(self, request: Request) -> Response:
        if not imports.can_import(request.user):
            raise PermissionDenied
        if declared_too_large(request._request):
            return Response(
                {"detail": imports.too_large_message()},
                status=status.HTTP_413_REQUEST_ENTITY_TOO_LARGE,
            )
        given = ImportRequestSerializer(data=request.data)
        if self.upload_limit.exceeded:
            return Response(
                {"detail": imports.too_large_message()},
                status=status.HTTP_413_REQUEST_ENTITY_TOO_LARGE,
            )
        if not given.is_valid():
            return Response(given.errors, status=status.HTTP_400_BAD_REQUEST)
        upload = given.validated_data["file"]
        report = imports.import_minors(
            actor=request.user,
            data=upload.read(),
            filename=upload.name or "",
            dry_run=given.validated_data["dry_run"],
            layout=given.validated_data.get("layout"),
        )
        code: int
        if not report.ok:
            code = status.HTTP_400_BAD_REQUEST
        elif report.created and not report.dry_run:
            code = status.HTTP_201_CREATED
        else:
            code = status.HTTP_200_OK
        return Response(report_data(report), status=code)
