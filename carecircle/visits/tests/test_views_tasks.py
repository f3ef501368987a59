"""My tasks and closing one: a police report needs a receipt number or a reason; a task
is closed only by whoever it is for."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from carecircle.accounts.models import User
from carecircle.testing.fixtures import make_user
from carecircle.visits.models import VisitTask
from carecircle.visits.services import MinorSeen, VisitInput, visit_record
from carecircle.visits.tests.factories import MinorFactory

pytestmark = pytest.mark.django_db
ClientFor = Callable[[User], Client]


@pytest.fixture(autouse=True)
def _english(english: None) -> None:
    """Messages compared with their msgids."""


@pytest.fixture
def tasks(district: Any, personas: dict[str, User]) -> dict[str, VisitTask]:
    alone = MinorFactory.create(name="钱独")
    visit, _created = visit_record(
        actor=personas["child_director"],
        data=VisitInput(
            kind="home",
            occurred_at=timezone.now() - timedelta(hours=1),
            minors=(MinorSeen(alone.pk, ("under_16_alone",)),),
            follow_up_needed=True,
        ),
        idempotency_key="tasks-key-0001",
    )
    return {
        "police": visit.tasks.get(kind=VisitTask.Kind.REPORT_POLICE),
        "follow_up": visit.tasks.get(kind=VisitTask.Kind.FOLLOW_UP),
    }


def url(task: VisitTask) -> str:
    return reverse("visits:task-complete", args=[task.pk])


def test_it_sends_anonymous_visitors_to_the_login(tasks: dict[str, VisitTask]) -> None:
    for target in (reverse("visits:task-list"), url(tasks["police"])):
        for method in ("get", "post"):
            response = getattr(Client(), method)(target)
            assert response.status_code == 302
            assert response["Location"].startswith(reverse("accounts:login"))


@pytest.mark.parametrize("role", ["school_admin", "volunteer", "analyst", "sysadmin"])
def test_roles_that_follow_no_visits_are_refused(
    personas: dict[str, User], client_for: ClientFor, tasks: dict[str, VisitTask], role: str
) -> None:
    client = client_for(personas[role])
    assert client.get(reverse("visits:task-list")).status_code == 403
    assert client.post(url(tasks["police"]), {"police_receipt": "110-1"}).status_code == 403
    assert VisitTask.objects.filter(status="open").count() == 2


def test_wrong_methods_are_refused(
    personas: dict[str, User], client_for: ClientFor, tasks: dict[str, VisitTask]
) -> None:
    client = client_for(personas["child_director"])
    assert client.post(reverse("visits:task-list")).status_code == 405
    assert client.put(url(tasks["police"])).status_code == 405


def test_each_sees_their_own_tasks(
    personas: dict[str, User], client_for: ClientFor, tasks: dict[str, VisitTask]
) -> None:
    director = client_for(personas["child_director"]).get(reverse("visits:task-list"))
    assert [t for t, _c in director.context["rows"]] == [tasks["police"]]
    html = director.content.decode()
    assert "Report to the police" in html and "钱独" in html
    supervisor = client_for(personas["child_supervisor"]).get(reverse("visits:task-list"))
    assert [t for t, _c in supervisor.context["rows"]] == [tasks["follow_up"]]
    assert "钱独" in supervisor.content.decode()
    centre = client_for(personas["center_staff"]).get(reverse("visits:task-list"))
    assert not centre.context["rows"]
    assert "You have no open task." in centre.content.decode()


def test_a_police_report_needs_a_receipt_number_or_a_reason(
    personas: dict[str, User], client_for: ClientFor, tasks: dict[str, VisitTask]
) -> None:
    client = client_for(personas["child_director"])
    police = tasks["police"]
    page = client.get(url(police))
    assert page.status_code == 200 and "Police receipt number" in page.content.decode()
    refused = client.post(url(police), {"police_receipt": "", "outcome": ""})
    assert refused.status_code == 400
    assert (
        "Give the police&#x27;s receipt number, or write why the report was not made."
        in refused.content.decode()
    )
    police.refresh_from_db()
    assert police.status == VisitTask.Status.OPEN
    done = client.post(url(police), {"police_receipt": "冷公(2026)110号", "outcome": ""})
    assert done.status_code == 302 and done["Location"] == reverse("visits:task-list")
    police.refresh_from_db()
    assert (police.status, police.police_receipt) == ("done", "冷公(2026)110号")
    assert "The task is done." in client.get(done["Location"]).content.decode()
    again = client.post(url(police), {"police_receipt": "再一次"})
    assert again.status_code == 400 and "This task is already done." in again.content.decode()


def test_a_written_reason_closes_a_police_report_without_a_receipt(
    personas: dict[str, User], client_for: ClientFor, tasks: dict[str, VisitTask]
) -> None:
    response = client_for(personas["child_director"]).post(
        url(tasks["police"]), {"outcome": "孩子的父亲当晚已回家，派出所说不必立案。"}
    )
    assert response.status_code == 302
    assert VisitTask.objects.get(pk=tasks["police"].pk).status == "done"


def test_the_supervisor_closes_the_follow_up_with_what_was_done(
    personas: dict[str, User], client_for: ClientFor, tasks: dict[str, VisitTask]
) -> None:
    client = client_for(personas["child_supervisor"])
    follow_up = tasks["follow_up"]
    assert "Police receipt number" not in client.get(url(follow_up)).content.decode()
    short = client.post(url(follow_up), {"outcome": "好"})
    assert short.status_code == 400
    assert "Write down what was done, in at least 5 characters." in short.content.decode()
    assert client.post(url(follow_up), {"outcome": "已联系外出务工的父母。"}).status_code == 302
    assert VisitTask.objects.get(pk=follow_up.pk).status == "done"


def test_a_task_for_someone_else_is_a_403_and_out_of_scope_a_404(
    personas: dict[str, User],
    other_personas: dict[str, User],
    client_for: ClientFor,
    tasks: dict[str, VisitTask],
) -> None:
    director = client_for(personas["child_director"])
    assert director.get(url(tasks["follow_up"])).status_code == 403
    assert director.post(url(tasks["follow_up"]), {"outcome": "我来关闭它。"}).status_code == 403
    supervisor = client_for(personas["child_supervisor"])
    assert supervisor.post(url(tasks["police"]), {"police_receipt": "110"}).status_code == 403
    counselor = client_for(personas["counselor"])
    assert counselor.get(url(tasks["follow_up"])).status_code == 403
    for role in ("child_director", "child_supervisor", "district_admin"):
        other = client_for(other_personas[role])
        assert other.get(url(tasks["police"])).status_code == 404, role
        assert other.post(url(tasks["follow_up"]), {"outcome": "不是我的任务。"}).status_code == 404
    assert client_for(make_user("nobody")).get(url(tasks["police"])).status_code == 403
    assert director.get(reverse("visits:task-complete", args=[2**63])).status_code == 404
    assert VisitTask.objects.filter(status="open").count() == 2
