"""The home page: real figures from the user's own scope, in the user's language."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

from django.test import Client
from django.urls import reverse
from django.utils import timezone, translation

from carecircle.accounts.models import User
from carecircle.accounts.tests.helpers import frozen, has_chinese, zh
from carecircle.audit.models import AuditEvent
from carecircle.audit.services import audit_record
from carecircle.people.models import Minor
from carecircle.testing.fixtures import AREA_A, make_user

ClientFor = Callable[[User], Client]


def _cards(response: Any, section: str) -> dict[str, Any]:
    """A section's cards as {Chinese label: value}, whatever language is active now."""
    with translation.override("zh-hans"):
        return {str(c["label"]): c["value"] for c in response.context["sections"][section]}


def _minor(area: str, status: str = Minor.Status.ACTIVE) -> Minor:
    return Minor.objects.create(
        name="王小二", sex="M", birth_date=date(2015, 1, 1), area_code=area, status=status
    )


def test_it_counts_only_the_minors_in_the_directors_village(
    personas: dict[str, User],
    other_personas: dict[str, User],
    client_for: ClientFor,
    minor_a: Minor,
    minor_b: Minor,
) -> None:
    _minor(AREA_A)
    _minor(AREA_A, Minor.Status.MOVED_AWAY)
    with translation.override("zh-hans"):
        active, moved = str(Minor.Status.ACTIVE.label), str(Minor.Status.MOVED_AWAY.label)
    mine = _cards(client_for(personas["child_director"]).get(reverse("accounts:home")), "minors")
    assert (mine[active], mine[moved]) == (2, 1)
    theirs = client_for(other_personas["child_director"]).get(reverse("accounts:home"))
    assert (_cards(theirs, "minors")[active], _cards(theirs, "minors")[moved]) == (1, 0)


def test_it_counts_the_minors_of_a_school(
    personas: dict[str, User], client_for: ClientFor, minor_a: Minor, minor_b: Minor
) -> None:
    response = client_for(personas["school_psych_teacher"]).get(reverse("accounts:home"))
    with translation.override("zh-hans"):
        active = str(Minor.Status.ACTIVE.label)
    assert _cards(response, "minors")[active] == 1


def test_it_shows_the_workforce_of_the_scope(
    personas: dict[str, User], other_personas: dict[str, User], client_for: ClientFor
) -> None:
    # 冷水滩区 has a child director in each of its two villages; 零陵区 has none.
    label = zh("Child directors")
    mine = client_for(personas["analyst"]).get(reverse("accounts:home"))
    assert _cards(mine, "staff")[label] == 2
    theirs = client_for(other_personas["analyst"]).get(reverse("accounts:home"))
    assert _cards(theirs, "staff")[label] == 0
    assert "minors" not in mine.context["sections"]


def test_it_shows_the_sysadmin_account_counts_and_no_child_data(
    personas: dict[str, User], client_for: ClientFor, minor_a: Minor
) -> None:
    make_user("no_role_yet", home_prefix="431103")
    make_user("other_county_no_role", home_prefix="431102")  # not this admin's to see
    User.objects.filter(username="analyst_a").update(is_active=False)
    response = client_for(personas["sysadmin"]).get(reverse("accounts:home"))
    cards = _cards(response, "accounts")
    # 17 personas of 冷水滩区 and one account waiting for a role; the analyst is inactive.
    assert cards[zh("Accounts in your scope")] == 18
    assert cards[zh("Active accounts")] == 17
    assert cards[zh("Organisations")] == 6
    assert set(response.context["sections"]) == {"accounts"}


def test_it_shows_the_auditor_the_audit_counts_of_the_scope(
    personas: dict[str, User], other_personas: dict[str, User], client_for: ClientFor
) -> None:
    director = personas["child_director"]
    with frozen(timezone.now() - timedelta(days=8)):
        audit_record(actor=director, action=AuditEvent.Action.VIEW)  # too old to count
    audit_record(actor=director, action=AuditEvent.Action.VIEW)
    audit_record(actor=director, action=AuditEvent.Action.BREAK_GLASS)
    audit_record(actor=director, action=AuditEvent.Action.DENIED)
    audit_record(actor=other_personas["district_admin"], action=AuditEvent.Action.BREAK_GLASS)
    response = client_for(personas["auditor"]).get(reverse("accounts:home"))
    cards = _cards(response, "audit")
    assert cards[zh("Audit events, last 7 days")] == 3
    assert cards[zh("Emergency accesses, last 7 days")] == 1
    assert cards[zh("Access denials, last 7 days")] == 1
    assert set(response.context["sections"]) == {"audit"}


def test_it_tells_a_user_without_a_role_to_ask_for_one(
    district: dict[str, Any], client_for: ClientFor
) -> None:
    user = make_user("no_role_yet", verified_device=False)
    response = client_for(user).get(reverse("accounts:home"))
    assert response.status_code == 200
    assert response.context["sections"] == {}
    assert zh("You hold no role yet. Ask your system administrator.") in response.content.decode()


def test_it_shows_only_the_users_own_notifications(
    personas: dict[str, User], client_for: ClientFor
) -> None:
    from carecircle.notifications.models import Notification

    Notification.objects.create(recipient=personas["child_director"], title="给你的")
    Notification.objects.create(recipient=personas["child_supervisor"], title="给别人的")
    body = client_for(personas["child_director"]).get(reverse("accounts:home")).content.decode()
    assert "给你的" in body
    assert "给别人的" not in body


def test_it_speaks_chinese_by_default_and_english_on_request(
    personas: dict[str, User], client_for: ClientFor
) -> None:
    client = client_for(personas["child_director"])
    chinese = client.get(reverse("accounts:home")).content.decode()
    assert '<html lang="zh-hans">' in chinese
    assert has_chinese(zh("Children in your scope"))
    assert zh("Children in your scope") in chinese
    response = client.post(reverse("set_language"), {"language": "en", "next": "/"})
    assert response.status_code == 302
    english = client.get(reverse("accounts:home")).content.decode()
    assert '<html lang="en">' in english
    assert "Children in your scope" in english


def test_it_sends_anonymous_visitors_to_login(db: None) -> None:
    response = Client().get(reverse("accounts:home"))
    assert response.status_code == 302
    assert response["Location"] == f"{reverse('accounts:login')}?next=/"


def test_it_refuses_other_methods(personas: dict[str, User], client_for: ClientFor) -> None:
    assert client_for(personas["analyst"]).post(reverse("accounts:home")).status_code == 405
