"""The entry point: check a roster and import it whole, or report why not."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator, Sequence
from typing import Any

from django.core.exceptions import ValidationError
from django.db import DatabaseError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from carecircle.audit.models import AuditEvent
from carecircle.audit.services import audit_record
from carecircle.people import rosters
from carecircle.people.imports.checks import Importer
from carecircle.people.imports.files import HEADER_SEARCH_ROWS, Header, file_sources, read_header
from carecircle.people.imports.report import (
    ImportReport,
    Problem,
    UnreadableFileError,
    max_bytes,
    too_large_message,
)
from carecircle.people.imports.rows import Scope
from carecircle.people.models import ImportBatch


class _RollbackError(Exception):
    pass


def records(
    sources: list[Iterator[Sequence[object]]], forced: str | None
) -> tuple[Header | None, Iterator[tuple[int, Sequence[object]]]]:
    for rows in sources:
        header = read_header(rows, forced)
        if header is not None:
            numbered = ((header.row + offset, cells) for offset, cells in enumerate(rows, start=1))
            return header, numbered
    return None, iter(())


def import_minors(
    *,
    actor: Any,
    data: bytes,
    filename: str,
    dry_run: bool = False,
    layout: str | None = None,
) -> ImportReport:
    """Check a roster and, unless ``dry_run`` or anything is wrong, import it whole.

    ``actor`` None is the system (the benchmark, a migration). Raises PermissionDenied
    when the actor edits no children anywhere; every other problem is in the report.
    """
    Scope.of(actor)  # refuse before reading a byte of the file
    today = timezone.localdate()
    sha = hashlib.sha256(data).hexdigest()
    if layout is not None and layout not in rosters.LAYOUTS:
        raise ValueError(f"unknown layout {layout!r}")
    importer: Importer | None = None
    problems: list[Problem] = []
    try:
        if not data:
            raise UnreadableFileError(_("The file is empty."))
        if len(data) > max_bytes():
            raise UnreadableFileError(too_large_message())
        header, rows = records(file_sources(data), layout)
        if header is None:
            raise UnreadableFileError(
                _(
                    "No header row of a 两表一册 form was found in the first %(n)d rows. "
                    "Start from the downloadable template."
                )
                % {"n": HEADER_SEARCH_ROWS}
            )
        importer = Importer(actor=actor, header=header, write=not dry_run, today=today)
        if dry_run:
            importer.run(rows)
        else:
            try:
                with transaction.atomic():
                    importer.run(rows)
                    if importer.problem_count:
                        raise _RollbackError
                    report = _finish(actor, importer, filename, sha, dry_run, [])
                    return report
            except _RollbackError:
                pass
            except (DatabaseError, ValidationError):
                importer.problem(
                    0,
                    "",
                    _(
                        "The database refused the import, perhaps because of a simultaneous "
                        "change. Nothing was saved; try again."
                    ),
                )
    except UnreadableFileError as exc:
        problems.append(Problem(0, "", str(exc)))
    return _finish(actor, importer, filename, sha, dry_run, problems)


def _finish(
    actor: Any,
    importer: Importer | None,
    filename: str,
    sha: str,
    dry_run: bool,
    problems: list[Problem],
) -> ImportReport:
    """Record the batch and its audit event (in the caller's transaction, if any)."""
    if importer is not None:
        problems = importer.problems + problems
        hidden = importer.problem_count - len(importer.problems)
        if hidden > 0:
            problems.append(
                Problem(
                    0,
                    "",
                    _("%(n)d more problems are not listed; correct the ones above first.")
                    % {"n": hidden},
                )
            )
    clean = not problems
    report = ImportReport(
        layout=importer.layout.key if importer else "",
        rows=importer.rows if importer else 0,
        created=importer.created if importer and clean else 0,
        updated=importer.updated if importer and clean else 0,
        problems=problems,
        dry_run=dry_run,
        batch=None,
        warnings=importer.warnings if importer else [],
        unchanged=importer.unchanged if importer and clean else 0,
    )
    if not clean:
        status = ImportBatch.Status.REJECTED
    elif dry_run:
        status = ImportBatch.Status.CHECKED
    else:
        status = ImportBatch.Status.APPLIED
    with transaction.atomic():
        report.batch = ImportBatch.objects.create(
            uploaded_by=actor if getattr(actor, "is_authenticated", False) else None,
            filename=filename[:200],
            sha256=sha,
            layout=report.layout,
            status=status,
            rows=report.rows,
            created=report.created,
            updated=report.updated,
            problems=[p.as_dict() for p in problems],
        )
        audit_record(
            actor=actor,
            action=AuditEvent.Action.IMPORT,
            object_type="people.importbatch",
            object_id=report.batch.pk,
            details={
                "layout": report.layout,
                "status": status,
                "dry_run": dry_run,
                "rows": report.rows,
                "created": report.created,
                "updated": report.updated,
                "unchanged": report.unchanged,
                "problems": len(problems),
                "warnings": len(report.warnings),
            },
            username="system" if actor is None else "",
        )
    return report
