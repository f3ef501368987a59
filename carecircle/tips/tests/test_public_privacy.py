"""SECURITY.md AN-1: after reporting, looking up and adding, the reporter's address and
browser are in no table and no log record; the throttle holds only keyed hashes."""

from __future__ import annotations

import hashlib
import logging
from typing import Any

import pytest
from django.apps import apps
from django.db import connection
from django.urls import reverse

from carecircle.audit.models import AuditEvent
from carecircle.tips.models import ThrottleHit, Tip
from carecircle.tips.tests.test_public_report import jpeg, receipt_in, report_data

pytestmark = pytest.mark.django_db

IP = "203.0.113.199"
UA = "Mozilla/5.0 (CareCircleProbe-UA-7731)"
PROBE = {"REMOTE_ADDR": IP, "HTTP_USER_AGENT": UA}


def _raw_rows() -> list[tuple[str, Any]]:
    """Every row of every table, as stored (ciphertext included)."""
    found = []
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names():
            # Table names from the database's own catalogue, quoted.
            cursor.execute(f"SELECT * FROM {quote(table)}")  # noqa: S608
            found += [(table, row) for row in cursor.fetchall()]
    return found


def _model_rows() -> list[tuple[str, Any]]:
    """Every row of every model through the ORM: encrypted fields decrypted."""
    found = []
    for model in apps.get_models(include_auto_created=True):
        label = model._meta.label
        found += [(label, row) for row in model._base_manager.values_list()]
    return found


def _leaks(rows: list[tuple[str, Any]]) -> list[str]:
    needles = (IP, UA, "CareCircleProbe")
    return [f"{where}: {row!r}" for where, row in rows if any(n in repr(row) for n in needles)]


def test_no_table_and_no_log_holds_the_reporters_address_or_browser(client, district, caplog):
    caplog.set_level(logging.DEBUG)
    response = client.post(reverse("tips-public:form"), report_data(files=[jpeg()]), **PROBE)
    assert response.status_code == 200
    code = receipt_in(response)
    status = reverse("tips-public:status")
    assert client.post(status, {"code": code}, **PROBE).status_code == 200
    assert client.post(status, {"code": "9" * 16}, **PROBE).status_code == 404
    added = client.post(reverse("tips-public:add"), {"code": code, "text": "补充"}, **PROBE)
    assert added.status_code == 200
    assert client.post(reverse("tips-public:form"), {}, **PROBE).status_code == 400

    assert Tip.objects.count() == 1
    assert AuditEvent.objects.filter(object_type="tips.tip").exists()
    assert not AuditEvent.objects.filter(ip__isnull=False).exists()
    assert _leaks(_raw_rows()) == []
    assert _leaks(_model_rows()) == []
    records = [f"{r.getMessage()} {r.__dict__}" for r in caplog.records]
    assert not [r for r in records if IP in r or UA in r]


def test_the_throttle_keeps_only_keyed_hashes(client, district):
    client.post(reverse("tips-public:form"), report_data(), **PROBE)
    client.post(reverse("tips-public:status"), {"code": "1" * 16}, **PROBE)
    keys = list(ThrottleHit.objects.values_list("key", flat=True))
    assert len(keys) == 3  # the client's reports, everyone's reports, the client's failures
    plain = {hashlib.sha256(IP.encode()).hexdigest(), hashlib.sha256(b"reports\x00" + IP.encode())}
    for key in keys:
        assert len(key) == 64 and int(key, 16) >= 0
        assert key not in plain and IP not in key
