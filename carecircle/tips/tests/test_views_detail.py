"""A report's page and its attachments: who reads what, every read audited."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse

from carecircle.audit.models import AuditEvent
from carecircle.tips import handling
from carecircle.tips.attachments import CleanFile
from carecircle.tips.models import Tip, TipAttachment
from carecircle.tips.tests.factories import received
from carecircle.tips.tests.factories import tip as make_tip

pytestmark = pytest.mark.django_db


def _url(tip: Tip) -> str:
    return reverse("tips:detail", args=[tip.pk])


@pytest.fixture
def reported() -> Tip:
    return make_tip(
        description="孩子常被父亲打<script>alert(1)</script>",
        reporter_name="王女士",
        reporter_contact="13800000000",
    )


@pytest.fixture
def dispatched(personas: dict[str, Any], district: dict[str, Any], reported: Tip) -> Tip:
    desk = personas["center_staff"]
    handling.tip_acknowledge(actor=desk, tip=reported)
    handling.tip_dispatch(actor=desk, tip=reported, organisation=district["orgs"]["police_A"])
    return reported


def _views(tip: Tip) -> int:
    return AuditEvent.objects.filter(
        object_type="tips.tip", object_id=str(tip.pk), action=AuditEvent.Action.VIEW
    ).count()


def test_it_refuses_anonymous_roles_without_tips_out_of_scope_and_posts(
    client, client_for, personas, other_personas, reported
):
    assert client.get(_url(reported)).status_code == 302
    assert client_for(personas["auditor"]).get(_url(reported)).status_code == 403
    assert client_for(other_personas["center_staff"]).get(_url(reported)).status_code == 404
    assert client_for(personas["child_director"]).get(_url(reported)).status_code == 404
    assert (
        client_for(personas["center_staff"]).get(reverse("tips:detail", args=[99999])).status_code
        == 404
    )
    assert AuditEvent.objects.filter(action=AuditEvent.Action.DENIED).count() >= 3
    assert client_for(personas["center_staff"]).post(_url(reported)).status_code == 405


def test_the_desk_reads_everything_and_every_read_is_audited(
    client_for, personas, reported, english
):
    client = client_for(personas["center_staff"])
    page = client.get(_url(reported))
    assert page.status_code == 200 and "no-store" in page["Cache-Control"]
    body = page.content.decode()
    assert "王女士" in body and "13800000000" in body
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in body and "<script>alert(1)" not in body
    assert reverse("tips:acknowledge", args=[reported.pk]) in body
    client.get(_url(reported))
    assert _views(reported) == 2


def test_an_agency_reads_the_report_but_never_the_reporter(
    client_for, personas, dispatched, english
):
    page = client_for(personas["agency_officer"]).get(_url(dispatched))
    body = page.content.decode()
    assert page.status_code == 200
    assert "王女士" not in body and "13800000000" not in body
    assert "Hidden from your role." in body
    assert reverse("tips:dispatch-acknowledge", args=[dispatched.pk]) in body
    assert reverse("tips:close", args=[dispatched.pk]) not in body
    assert _views(dispatched) == 1


def test_a_township_supervisor_reads_a_dispatched_tip_a_director_does_not(
    client_for, personas, reported
):
    desk = personas["center_staff"]
    handling.tip_acknowledge(actor=desk, tip=reported)
    handling.tip_dispatch(actor=desk, tip=reported, township="431103101")
    assert client_for(personas["child_supervisor"]).get(_url(reported)).status_code == 200
    assert client_for(personas["child_director"]).get(_url(reported)).status_code == 404


def test_a_staff_note_is_not_shown_to_the_agency(client_for, personas, dispatched):
    handling.tip_add_note(actor=personas["center_staff"], tip=dispatched, text="内部备注ABC")
    assert (
        "内部备注ABC" in client_for(personas["center_staff"]).get(_url(dispatched)).content.decode()
    )
    assert (
        "内部备注ABC"
        not in client_for(personas["agency_officer"]).get(_url(dispatched)).content.decode()
    )


def _with_file() -> Tip:
    clean = CleanFile(
        kind=TipAttachment.Kind.IMAGE,
        content_type="image/jpeg",
        original=b"original-with-gps",
        cleaned=b"cleaned-copy",
    )
    return received(files=[clean]).tip


def test_an_attachment_streams_its_cleaned_copy_audited(
    client_for, personas, other_personas, client
):
    made = _with_file()
    found = made.attachments.get()
    url = reverse("tips:attachment", args=[found.pk])
    response = client_for(personas["center_staff"]).get(url)
    assert response.status_code == 200
    assert response.content == b"cleaned-copy" and response["Content-Type"] == "image/jpeg"
    assert (
        "no-store" in response["Cache-Control"] and response["X-Content-Type-Options"] == "nosniff"
    )
    assert AuditEvent.objects.filter(
        action=AuditEvent.Action.VIEW, details__attachment=found.pk
    ).exists()
    assert client_for(other_personas["center_staff"]).get(url).status_code == 404
    assert client_for(personas["auditor"]).get(url).status_code == 403
    assert client.get(url).status_code == 302
    assert (
        client_for(personas["center_staff"]).get(reverse("tips:attachment", args=[0])).status_code
        == 404
    )


def test_the_survivor_shows_its_duplicates_files_and_children(client_for, personas, minor_a):
    desk = personas["center_staff"]
    duplicate = _with_file()
    survivor = make_tip(description="同一件事")
    handling.tip_link_minor(actor=desk, tip=duplicate, minor=minor_a)
    handling.tip_merge(actor=desk, tip=duplicate, into=survivor)
    # The survivor's handler reads the duplicate's file through the survivor.
    handler = personas["social_worker"]
    handling.tip_assign(actor=desk, tip=survivor, handler=handler)
    page = client_for(handler).get(_url(survivor)).content.decode()
    file_url = reverse("tips:attachment", args=[duplicate.attachments.get().pk])
    assert file_url in page and minor_a.name in page and duplicate.number in page
    assert client_for(handler).get(file_url).status_code == 200
