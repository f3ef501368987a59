from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from carecircle.accounts.models import User
from carecircle.notifications.models import Notification
from carecircle.testing.fixtures import make_user, verified_client

pytestmark = pytest.mark.django_db
LIST = "/notifications/"
READ = "/notifications/read/"


@pytest.fixture
def alice(db: Any) -> User:
    user = make_user("alice")
    Notification.objects.create(recipient=user, title="给爱丽丝的提醒")
    Notification.objects.create(recipient=user, title="第二条提醒")
    return user


@pytest.fixture
def bob(db: Any) -> User:
    user = make_user("bob")
    Notification.objects.create(recipient=user, title="给鲍勃的提醒")
    return user


def unread(user: User) -> int:
    return Notification.objects.filter(recipient=user, read_at__isnull=True).count()


def test_it_lists_only_my_notifications(alice: User, bob: User) -> None:
    response = verified_client(alice).get(LIST)
    assert response.status_code == 200
    body = response.content.decode()
    assert "给爱丽丝的提醒" in body and "第二条提醒" in body
    assert "给鲍勃的提醒" not in body


def test_it_marks_all_my_notifications_read(alice: User, bob: User) -> None:
    response = verified_client(alice).post(READ)
    assert response.status_code == 302 and response["Location"] == reverse("notifications:list")
    assert unread(alice) == 0
    assert unread(bob) == 1


def test_it_never_marks_someone_elses_notification(alice: User, bob: User) -> None:
    theirs = Notification.objects.get(recipient=bob)
    mine = Notification.objects.filter(recipient=alice).first()
    assert mine is not None
    verified_client(alice).post(READ, {"id": [str(theirs.pk), str(mine.pk), "x"]})
    assert unread(bob) == 1
    assert unread(alice) == 1


def test_it_answers_htmx_with_no_content(alice: User) -> None:
    response = verified_client(alice).post(READ, HTTP_HX_REQUEST="true")
    assert response.status_code == 204
    assert unread(alice) == 0


def test_it_refuses_get_on_the_read_action(alice: User) -> None:
    assert verified_client(alice).get(READ).status_code == 405
    assert unread(alice) == 2


def test_it_sends_anonymous_visitors_to_login(alice: User) -> None:
    for method, url in (("get", LIST), ("post", READ)):
        response = getattr(Client(), method)(url)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("accounts:login"))
    assert unread(alice) == 2
