"""The public page's rate limits: keyed hashes in the database, fixed windows, purged."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import RequestFactory
from django.utils import timezone
from freezegun import freeze_time

from carecircle.tips import throttle
from carecircle.tips.models import ThrottleHit

pytestmark = pytest.mark.django_db


def request_from(address: str):
    return RequestFactory().post("/report/", REMOTE_ADDR=address)


def test_ten_reports_an_hour_per_client_then_no_more(settings):
    settings.CARECIRCLE_TIP_REPORTS_PER_HOUR = 10
    alice = request_from("192.0.2.10")
    with freeze_time("2026-12-07 04:10"):
        assert all(throttle.take_report(alice) for _ in range(10))
        assert throttle.reports_exhausted(alice)
        assert not throttle.take_report(alice)
        assert not throttle.reports_exhausted(request_from("192.0.2.11"))
    with freeze_time("2026-12-07 05:00"):
        assert not throttle.reports_exhausted(alice)
        assert throttle.take_report(alice)


def test_the_global_cap_counts_every_client(settings):
    settings.CARECIRCLE_TIP_REPORTS_PER_HOUR_ALL = 3
    for n in range(3):
        assert throttle.take_report(request_from(f"192.0.2.{n}"))
    assert throttle.reports_exhausted(request_from("192.0.2.99"))
    assert not throttle.take_report(request_from("192.0.2.99"))


def test_a_refused_check_writes_nothing(settings):
    settings.CARECIRCLE_TIP_REPORTS_PER_HOUR = 1
    alice = request_from("192.0.2.10")
    throttle.take_report(alice)
    before = list(ThrottleHit.objects.values_list("key", "count"))
    assert throttle.reports_exhausted(alice)
    assert not throttle.take_report(alice)
    assert list(ThrottleHit.objects.values_list("key", "count")) == before


def test_five_failed_lookups_per_quarter_hour(settings):
    settings.CARECIRCLE_TIP_RECEIPT_FAILURES = 5
    bob = request_from("2001:db8:1:2::7")
    with freeze_time("2026-12-07 04:01"):
        for _ in range(5):
            assert not throttle.lookups_blocked(bob)
            throttle.count_lookup_failure(bob)
        assert throttle.lookups_blocked(bob)
        # The same /64 is the same client.
        assert throttle.lookups_blocked(request_from("2001:db8:1:2::8"))
        assert not throttle.lookups_blocked(request_from("2001:db8:1:3::7"))
    with freeze_time("2026-12-07 04:15"):
        assert not throttle.lookups_blocked(bob)


def test_keys_are_keyed_hashes_of_the_address():
    throttle.take_report(request_from("192.0.2.10"))
    throttle.count_lookup_failure(request_from("192.0.2.10"))
    keys = set(ThrottleHit.objects.values_list("key", flat=True))
    assert len(keys) == 3
    assert all(len(k) == 64 and "192.0.2" not in k for k in keys)
    assert throttle._key(throttle.REPORTS, "192.0.2.10") in keys


def test_the_purge_deletes_windows_older_than_an_hour():
    now = timezone.now()
    ThrottleHit.objects.create(key="a" * 64, bucket=now - timedelta(minutes=90), count=3)
    ThrottleHit.objects.create(key="b" * 64, bucket=now - timedelta(minutes=61), count=3)
    kept = ThrottleHit.objects.create(key="c" * 64, bucket=now - timedelta(minutes=20), count=1)
    assert throttle.throttle_purge() == 2
    assert list(ThrottleHit.objects.all()) == [kept]


def test_files_added_to_one_report_are_capped_per_hour(settings):
    settings.CARECIRCLE_TIP_FILES_PER_REPORT_HOUR = 6
    assert throttle.take_report_files(7, 5)
    assert not throttle.take_report_files(7, 2)
    assert throttle.take_report_files(7, 1)
    assert not throttle.take_report_files(7, 1)
    assert throttle.take_report_files(7, 0)
    assert throttle.take_report_files(8, 5)  # another report has its own
    assert not throttle.take_report_files(9, 7)
    assert not ThrottleHit.objects.filter(key=throttle._key(throttle.REPORT_FILES, "9")).exists()
