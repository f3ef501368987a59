"""offline.js's pure parts, run in Node (no browser). Its turning of a filled record form
into the API's body: the body must say what the page's own form would have recorded,
or a post that reached the server before the network failed would come back as a
conflict when the queue sends it again. Its rewrite of the record page the service
worker kept, on the page as the server renders it: a new key each time it is served.
Skipped where Node is not installed."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from django.http import QueryDict
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from carecircle.accounts.models import User
from carecircle.visits import services
from carecircle.visits.forms import VisitForm
from carecircle.visits.serializers import VisitCreateSerializer
from carecircle.visits.tests.factories import HouseholdFactory, MinorFactory

OFFLINE_JS = Path(__file__).resolve().parents[1] / "static" / "visits" / "offline.js"
NODE = shutil.which("node") or shutil.which("nodejs")
pytestmark = pytest.mark.skipif(NODE is None, reason="Node.js is not installed")

RUNNER = """
globalThis.self = globalThis;
require(process.argv[1]);
const Q = self.CareCircleOffline;
const input = JSON.parse(process.argv[2]);
const out = {};
for (const [name, entries, timeZone] of input.forms) {
  const form = new FormData();
  for (const [key, value] of entries) form.append(key, value);
  if (name === "photo") form.append("photos", new Blob(["x"]), "a.jpg");
  out[name] = {
    body: Q.bodyFromForm(form, { timeZone }),
    visit: Q.isVisitForm(form),
    photos: Q.hasPhotos(form),
  };
}
out.zones = input.zones.map(([value, zone]) => Q.withZone(value, zone));
console.log(JSON.stringify(out));
"""


def run(forms: list[tuple[str, list[tuple[str, str]], str]], zones: list[tuple[str, str]]) -> Any:
    assert NODE is not None
    done = subprocess.run(  # noqa: S603 (Node, on this test's own script)
        [NODE, "-e", RUNNER, str(OFFLINE_JS), json.dumps({"forms": forms, "zones": zones})],
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
    )
    return json.loads(done.stdout)


def test_it_reads_times_in_the_servers_zone() -> None:
    zones = [
        ("2025-03-01T09:30", "Asia/Shanghai"),
        ("2025-03-01 09:30:15", "Asia/Shanghai"),
        ("2025-07-01T09:30", "Europe/Berlin"),  # summer time
        ("2025-01-01T09:30", "Europe/Berlin"),
        ("2025-03-01T09:30:00Z", "Asia/Shanghai"),  # already with a zone: as it is
        ("yesterday", "Asia/Shanghai"),  # the server answers this with a message
    ]
    assert run([], zones)["zones"] == [
        "2025-03-01T09:30:00+08:00",
        "2025-03-01T09:30:15+08:00",
        "2025-07-01T09:30:00+02:00",
        "2025-01-01T09:30:00+01:00",
        "2025-03-01T09:30:00Z",
        "yesterday",
    ]


def test_it_makes_the_apis_body_from_the_forms_fields() -> None:
    entries = [
        ("csrfmiddlewaretoken", "x"),
        ("idempotency_key", "0b1c2d3e-4f50-4172-8394-a5b6c7d8e9f0"),
        ("offered", "7"),
        ("offered", "8"),
        ("minors", "7"),
        ("minors", "8"),
        ("flags_7", "under_16_alone"),
        ("flags_9", "under_8_unattended"),  # a child not ticked: not sent
        ("kind", "home"),
        ("occurred_at", "2025-03-01T09:30"),
        ("guardian_present", "concern"),
        ("unmet_needs", ""),
        ("visitors", "3"),
        ("other_visitors", "村医"),
        ("notes", " 需要 \r\n 帮助 "),
        ("follow_up_needed", "on"),
    ]
    out = run([("full", entries, "Asia/Shanghai"), ("photo", entries, "")], [])
    assert out["full"] == {
        "body": {
            "kind": "home",
            "occurred_at": "2025-03-01T09:30:00+08:00",
            "minors": [
                {"minor": 7, "risk_flags": ["under_16_alone"]},
                {"minor": 8, "risk_flags": []},
            ],
            "visitors": [3],
            "other_visitors": "村医",
            "observations": {"guardian_present": "concern"},
            "notes": " 需要 \r\n 帮助 ",
            "follow_up_needed": True,
            "refer_to_centre": False,
            "idempotency_key": "0b1c2d3e-4f50-4172-8394-a5b6c7d8e9f0",
        },
        "visit": True,
        "photos": False,
    }
    assert out["photo"]["photos"] is True


def test_it_makes_a_key_when_the_form_has_none() -> None:
    entries = [("idempotency_key", ""), ("kind", "phone"), ("occurred_at", "2025-03-01T09:30")]
    body = run([("bare", entries, "")], [])["bare"]["body"]
    assert len(body["idempotency_key"]) == 36 and body["idempotency_key"].count("-") == 4
    assert body["minors"] == [] and body["follow_up_needed"] is False
    assert run([("other", [("q", "x")], "")], [])["other"]["visit"] is False


@pytest.mark.django_db
def test_the_queued_body_is_what_the_page_would_have_recorded(
    personas: dict[str, User],
) -> None:
    """The same filled form, posted by the page (VisitForm) and sent by the queue (the
    API): services compare the two as equal, so a replay is a 200, not a 409."""
    director = personas["child_director"]
    home = HouseholdFactory.create()
    older, younger = MinorFactory.create(household=home), MinorFactory.create(household=home)
    colleague = personas["child_supervisor"]
    wall = timezone.localtime().replace(second=0, microsecond=0, tzinfo=None)
    fields = [
        ("idempotency_key", "5d2f6e0a-1b3c-4d5e-8f90-a1b2c3d4e5f6"),
        ("minors", str(older.pk)),
        ("minors", str(younger.pk)),
        ("flags_" + str(younger.pk), "no_parent_contact"),
        ("kind", "home"),
        ("occurred_at", wall.strftime("%Y-%m-%dT%H:%M")),
        ("visitors", str(colleague.pk)),
        ("other_visitors", "村医"),
        ("notes", "  缺少冬衣。\r\n下周再来。 "),
        ("follow_up_needed", "on"),
        ("refer_to_centre", "on"),
    ]
    observations = [(name, "ok") for name in ("guardian_present", "living_conditions")]
    observations += [("unmet_needs", "concern")]
    fields += observations + [
        (name, "not_checked") for name in services.OBSERVATIONS if name not in dict(observations)
    ]
    posted = QueryDict(mutable=True)
    for key, value in fields:
        posted.appendlist(key, value)
    form = VisitForm(posted, user=director, offered=[older, younger])
    assert form.is_valid(), form.errors
    body = run([("page", fields, "Asia/Shanghai")], [])["page"]["body"]
    sent = VisitCreateSerializer(data=body)
    assert sent.is_valid(), sent.errors
    by_page = services._given_content(director, services.normalised(form.to_input()))
    by_queue = services._given_content(director, services.normalised(sent.to_input()))
    assert by_queue == by_page
    assert parse_datetime(body["occurred_at"]) == timezone.make_aware(
        datetime.combine(wall.date(), wall.time())
    )


# --- The record page the service worker keeps ---------------------------------------------

COPIES = """
globalThis.self = globalThis;
require(process.argv[1]);
const Q = self.CareCircleOffline;
let text = "";
process.stdin.on("data", (chunk) => (text += chunk));
process.stdin.on("end", () => {
  const input = JSON.parse(text);
  const out = { copies: [], refused: [] };
  for (const html of input.pages) {
    out.copies.push([Q.freshCopy(html, Q.newKey()), Q.freshCopy(html, Q.newKey())]);
  }
  for (const key of input.unsafe) {
    try {
      Q.freshCopy(input.pages[0], key);
    } catch (refused) {
      out.refused.push(key);
    }
  }
  console.log(JSON.stringify(out));
});
"""
KEY_INPUT = re.compile(r'<input type="hidden" name="idempotency_key" value="([^"]*)"')
MARK = 'data-stored-copy="1"'


def copies(pages: list[str], unsafe: list[str]) -> Any:
    assert NODE is not None
    done = subprocess.run(  # noqa: S603 (Node, on this test's own script)
        [NODE, "-e", COPIES, str(OFFLINE_JS)],
        input=json.dumps({"pages": pages, "unsafe": unsafe}),
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
    )
    return json.loads(done.stdout)


@pytest.mark.django_db
def test_a_kept_record_page_is_served_under_a_new_key_each_time(
    personas: dict[str, User], client_for: Callable[[User], Client]
) -> None:
    """The worker's rewrite of the page it kept, on the record page as the server renders
    it: only the form's key changes (a new one each time it is served) and the form
    gets the mark that makes offline.js queue its visits; the rest is as it was."""
    child = MinorFactory.create(name="赵小燕", household=HouseholdFactory.create())
    url = reverse("visits:visit-create") + f"?minor={child.pk}"
    html = client_for(personas["child_director"]).get(url).content.decode()
    [server_key] = KEY_INPUT.findall(html)
    assert MARK not in html
    out = copies([html], ['x"><script>', "", "a b c d e f"])
    [(first, second)] = out["copies"]
    keys = {server_key}
    for copy in (first, second):
        [key] = KEY_INPUT.findall(copy)
        assert re.fullmatch(r"[0-9a-f]{8}-([0-9a-f]{4}-){3}[0-9a-f]{12}", key)
        keys.add(key)
        assert copy.count(MARK) == 1
        assert re.search(rf'<form {MARK} id="visit-form"', copy)
        assert copy.replace(key, server_key).replace(f" {MARK}", "") == html
        assert "赵小燕" in copy
    assert len(keys) == 3  # each serving its own key, never the server's
    # Only a plain key is ever written into the page.
    assert out["refused"] == ['x"><script>', "", "a b c d e f"]


def test_a_page_without_the_record_form_is_served_as_it_was() -> None:
    pages = [
        '<form method="get" action="/visits/new/"><input name="q" value="x"></form>',
        '<form id="visit-form"><input type="hidden" name="idempotency_key"></form>',
    ]
    [(unchanged, _again), (keyed, _)] = copies(pages, [])["copies"]
    assert unchanged == pages[0]
    assert keyed.startswith(f'<form {MARK} id="visit-form"><input type="hidden"')
    assert re.search(r'name="idempotency_key" value="[0-9a-f-]{36}">', keyed)
