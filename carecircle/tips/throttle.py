"""Rate limits of the public reporting page (SECURITY.md AN-1, AN-2, AN-3).

Counters live in the database (``ThrottleHit``), so that they hold across worker
processes. A counter is named by an HMAC-SHA256 of the client's address under a
key derived from the blind-index key: the table never holds an address, and
without the key the hashes cannot be matched with one (10^9 IPv4 addresses would
otherwise be a quick dictionary). An IPv6 client is counted by its /64, since one
connection usually holds the whole /64. Counters are fixed windows (the hour, or
a quarter of an hour) and ``throttle_purge`` deletes them an hour later.

- Reports (and additions to a report): at most ``CARECIRCLE_TIP_REPORTS_PER_HOUR``
  (10) per client and ``CARECIRCLE_TIP_REPORTS_PER_HOUR_ALL`` (1,000) in all per
  hour. ``take_report`` takes a slot in both counters with one conditional
  UPDATE each, so that two processes cannot both take the last slot; called inside
  the transaction that stores the report, a failed report gives its slot back.
- Files added to one report by its reporter: at most
  ``CARECIRCLE_TIP_FILES_PER_REPORT_HOUR`` (30) an hour (GlobaLeaks' default).
- Receipt lookups: at most ``CARECIRCLE_TIP_RECEIPT_FAILURES`` (5) unknown codes
  per client per 15 minutes; past that no code is looked up at all.

A request refused because a limit is reached writes nothing.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
from datetime import datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F
from django.http import HttpRequest
from django.utils import timezone

from carecircle.audit.middleware import client_ip
from carecircle.crypto.keys import keyring
from carecircle.tips.models import ThrottleHit

REPORTS = "reports"
REPORTS_ALL = "reports-all"
LOOKUPS = "receipt-failures"
REPORT_FILES = "report-files"
LOOKUP_WINDOW = timedelta(minutes=15)
KEEP = timedelta(hours=1)


def _setting(name: str, default: int) -> int:
    return int(getattr(settings, name, default))


def reports_per_hour() -> int:
    return _setting("CARECIRCLE_TIP_REPORTS_PER_HOUR", 10)


def reports_per_hour_all() -> int:
    return _setting("CARECIRCLE_TIP_REPORTS_PER_HOUR_ALL", 1000)


def files_per_report_hour() -> int:
    return _setting("CARECIRCLE_TIP_FILES_PER_REPORT_HOUR", 30)


def receipt_failures() -> int:
    return _setting("CARECIRCLE_TIP_RECEIPT_FAILURES", 5)


def client_of(request: HttpRequest) -> str:
    """The address as counted: an IPv6 address by its /64."""
    raw = client_ip(request) or "unknown"
    try:
        address = ipaddress.ip_address(raw)
    except ValueError:
        return raw
    if address.version == 6:
        return str(ipaddress.ip_network(f"{address}/64", strict=False))
    return str(address)


def _key(scope: str, client: str) -> str:
    derived = hmac.new(keyring().index_key, b"tips.throttle", hashlib.sha256).digest()
    return hmac.new(derived, f"{scope}\x00{client}".encode(), hashlib.sha256).hexdigest()


def _hour(now: datetime) -> datetime:
    return now.replace(minute=0, second=0, microsecond=0)


def _quarter(now: datetime) -> datetime:
    return now.replace(minute=now.minute - now.minute % 15, second=0, microsecond=0)


def _count(key: str, bucket: datetime) -> int:
    found = ThrottleHit.objects.filter(key=key, bucket=bucket).values_list("count", flat=True)
    return next(iter(found), 0)


def _take(key: str, bucket: datetime, limit: int, amount: int = 1) -> bool:
    """Add ``amount`` to the counter unless that passes ``limit``; whether it was added."""
    for _attempt in range(2):
        hits = ThrottleHit.objects.filter(key=key, bucket=bucket, count__lte=limit - amount)
        if hits.update(count=F("count") + amount):
            return True
        if amount > limit or ThrottleHit.objects.filter(key=key, bucket=bucket).exists():
            return False
        try:
            with transaction.atomic():
                ThrottleHit.objects.create(key=key, bucket=bucket, count=amount)
            return True
        except IntegrityError:
            continue  # another process created it first: count in its row
    return False


def _add(key: str, bucket: datetime) -> None:
    if not ThrottleHit.objects.filter(key=key, bucket=bucket).update(count=F("count") + 1):
        try:
            with transaction.atomic():
                ThrottleHit.objects.create(key=key, bucket=bucket, count=1)
        except IntegrityError:
            ThrottleHit.objects.filter(key=key, bucket=bucket).update(count=F("count") + 1)


def reports_exhausted(request: HttpRequest) -> bool:
    """Whether this client, or everyone, used up this hour's reports (reads only)."""
    bucket = _hour(timezone.now())
    return (
        _count(_key(REPORTS, client_of(request)), bucket) >= reports_per_hour()
        or _count(_key(REPORTS_ALL, ""), bucket) >= reports_per_hour_all()
    )


def take_report(request: HttpRequest) -> bool:
    """Take one of this hour's report slots for the client and of the global ones.

    Call inside the transaction that stores the report: when it returns False the
    caller must roll back (a client slot may have been taken before the global cap
    said no).
    """
    bucket = _hour(timezone.now())
    if not _take(_key(REPORTS, client_of(request)), bucket, reports_per_hour()):
        return False
    return _take(_key(REPORTS_ALL, ""), bucket, reports_per_hour_all())


def take_report_files(tip_pk: int, count: int) -> bool:
    """Take ``count`` of this hour's files for one report (call inside the transaction
    that stores them); False when they would pass the limit."""
    if count <= 0:
        return True
    key = _key(REPORT_FILES, str(tip_pk))
    return _take(key, _hour(timezone.now()), files_per_report_hour(), count)


def lookups_blocked(request: HttpRequest) -> bool:
    """Whether the client typed too many unknown receipt codes lately (reads only)."""
    key = _key(LOOKUPS, client_of(request))
    return _count(key, _quarter(timezone.now())) >= receipt_failures()


def count_lookup_failure(request: HttpRequest) -> None:
    _add(_key(LOOKUPS, client_of(request)), _quarter(timezone.now()))


def throttle_purge() -> int:
    """Delete the counters of windows that began more than an hour ago (hourly job)."""
    deleted, _by_model = ThrottleHit.objects.filter(bucket__lt=timezone.now() - KEEP).delete()
    return deleted
