"""Opening a case: the child and its source must be the user's to read."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone

from carecircle.audit.models import AuditEvent
from carecircle.cases.models import Case, CaseMember, Source
from carecircle.screening.models import KeyTarget
from carecircle.testing.fixtures import build_minor_b
from carecircle.tips.models import TipMinor
from carecircle.tips.tests.factories import tip as make_tip
from carecircle.visits.tests.factories import visit

pytestmark = pytest.mark.django_db
URL = reverse("cases:open")
BODY = {
    "kind": "counseling",
    "source": "walk_in",
    "summary": "孩子近期情绪低落，老师建议辅导。",
    "risk": "yellow",
    "risk_reasons": "成绩下滑，不愿与人交流",
}


def test_it_refuses_anonymous_and_roles_that_cannot_open(client, client_for, personas, minor_a):
    assert client.get(URL, {"minor": minor_a.pk}).status_code == 302
    for role in ("auditor", "child_director", "volunteer", "lawyer"):
        assert client_for(personas[role]).get(URL, {"minor": minor_a.pk}).status_code == 403
        assert (
            client_for(personas[role]).post(URL, {"minor": minor_a.pk, **BODY}).status_code == 403
        )
    assert client_for(personas["counselor"]).put(URL).status_code == 405
    assert not Case.objects.exists()


def test_it_answers_404_for_a_child_out_of_scope_or_malformed(
    client_for, personas, other_personas, minor_a
):
    outsider = client_for(other_personas["counselor"])
    assert outsider.get(URL, {"minor": minor_a.pk}).status_code == 404
    assert outsider.post(URL, {"minor": minor_a.pk, **BODY}).status_code == 404
    counselor = client_for(personas["counselor"])
    for bad in ("abc", "-1", "0", "99999999999999999999999"):
        assert counselor.get(URL, {"minor": bad}).status_code == 404
    assert not Case.objects.exists()
    assert AuditEvent.objects.filter(action=AuditEvent.Action.DENIED).exists()


def test_it_searches_the_children_the_user_may_read(
    client_for, personas, district, minor_a, english
):
    build_minor_b(district)  # school B: not the psychology teacher's of school A
    teacher = client_for(personas["school_psych_teacher"])
    page = teacher.get(URL)
    assert page.status_code == 200 and "Find a child" in page.content.decode()
    found = teacher.get(URL, {"q": "李小红"})
    assert found.context["rows"] == []
    assert "No child you may read matches" in found.content.decode()
    found = teacher.get(URL, {"q": "张小明"})
    assert f"minor={minor_a.pk}" in found.content.decode()
    assert AuditEvent.objects.filter(
        action=AuditEvent.Action.LIST, object_type="people.minor"
    ).exists()


def test_it_opens_a_case_and_the_opener_owns_it(client_for, personas, minor_a, english):
    counselor = personas["counselor"]
    client = client_for(counselor)
    form = client.get(URL, {"minor": minor_a.pk})
    assert form.status_code == 200 and minor_a.name in form.content.decode()
    response = client.post(f"{URL}?minor={minor_a.pk}", BODY)
    case = Case.objects.get()
    assert response.status_code == 302 and response.url == reverse("cases:detail", args=[case.pk])
    assert case.minor == minor_a and case.source == Source.WALK_IN and case.risk == "yellow"
    assert CaseMember.objects.get(case=case).user == counselor


def test_bad_input_gets_the_form_again_and_changes_nothing(client_for, personas, minor_a, english):
    client = client_for(personas["counselor"])
    response = client.post(f"{URL}?minor={minor_a.pk}", {**BODY, "summary": "短", "kind": "x"})
    assert response.status_code == 400
    assert "Select a valid choice" in response.content.decode()
    response = client.post(f"{URL}?minor={minor_a.pk}", {**BODY, "summary": "短"})
    assert response.status_code == 400
    assert "why the case is opened" in response.content.decode()
    assert not Case.objects.exists()
    # Without a child the POST is the search page again.
    assert client.post(URL, BODY).status_code == 400
    assert not Case.objects.exists()


def test_a_second_open_case_of_the_same_kind_is_refused(client_for, personas, minor_a, english):
    client = client_for(personas["counselor"])
    assert client.post(f"{URL}?minor={minor_a.pk}", BODY).status_code == 302
    again = client.post(f"{URL}?minor={minor_a.pk}", BODY)
    assert again.status_code == 400
    assert "already has an open case" in again.content.decode()
    assert Case.objects.count() == 1


def test_it_links_a_key_target_report_or_visit_the_user_reads(
    client_for, personas, other_personas, minor_a, english
):
    counselor = personas["counselor"]
    client = client_for(counselor)
    body = {k: v for k, v in BODY.items() if k != "source"}
    target = KeyTarget.objects.create(
        minor=minor_a, confirmed_by=counselor, confirmed_at=timezone.now()
    )
    # The counselor reads no screening result here, hence no key target: 404.
    assert client.get(URL, {"minor": minor_a.pk, "target": target.pk}).status_code == 404
    desk = client_for(personas["center_staff"])
    report = make_tip()
    TipMinor.objects.create(tip=report, minor=minor_a, linked_by=personas["center_staff"])
    assert desk.get(URL, {"minor": minor_a.pk, "tip": report.pk}).status_code == 200
    assert client.get(URL, {"minor": minor_a.pk, "tip": report.pk}).status_code == 404
    response = desk.post(f"{URL}?minor={minor_a.pk}&tip={report.pk}", body)
    case = Case.objects.get()
    assert response.status_code == 302
    assert case.source == Source.TIP and case.source_tip == report
    seen = visit(date(2026, 3, 3), minor_a)
    response = desk.post(f"{URL}?minor={minor_a.pk}&visit={seen.pk}", {**body, "kind": "welfare"})
    assert response.status_code == 302
    assert Case.objects.get(kind="welfare").source_visit == seen
    outsider = client_for(other_personas["center_staff"])
    assert outsider.get(URL, {"minor": minor_a.pk, "visit": seen.pk}).status_code == 404
    page = desk.get(reverse("cases:detail", args=[case.pk])).content.decode()
    assert reverse("tips:detail", args=[report.pk]) in page


def test_a_source_in_the_link_is_kept_and_validated(client_for, personas, minor_a):
    client = client_for(personas["counselor"])
    page = client.get(URL, {"minor": minor_a.pk, "source": "school"})
    assert "source" not in page.context["form"].fields
    body: dict[str, Any] = {k: v for k, v in BODY.items() if k != "source"}
    assert client.post(f"{URL}?minor={minor_a.pk}&source=school", body).status_code == 302
    assert Case.objects.get().source == Source.SCHOOL
    page = client.get(URL, {"minor": minor_a.pk, "source": "nonsense"})
    assert "source" in page.context["form"].fields
