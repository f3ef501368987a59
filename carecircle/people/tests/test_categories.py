"""Keeping a child's category memberships in step with the facts, and setting them by hand."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from carecircle.accounts.models import User
from carecircle.audit.models import AuditEvent
from carecircle.notifications.models import OutboxMessage
from carecircle.notifications.outbox import drain
from carecircle.people import categories as cats
from carecircle.people.models import (
    Category,
    CategoryMembership,
    CategoryRuleSet,
    Guardian,
    Household,
    Minor,
)
from carecircle.people.services import guardian_save, household_create, minor_update

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]
RULE, MANUAL = CategoryMembership.Source.RULE, CategoryMembership.Source.MANUAL


def today() -> date:
    return timezone.localdate()


def _away(actor: User, minor: Minor, relation: str, **extra: Any) -> Guardian:
    fields: dict[str, Any] = {
        "state": "working_away",
        "state_since": today() - timedelta(days=400),
        "work_place": "广东省东莞市",
        "cross_county": True,
    } | extra
    return guardian_save(actor=actor, minor=minor, relation=relation, **fields)


def _open(minor: Minor) -> dict[tuple[str, str], CategoryMembership]:
    rows = CategoryMembership.objects.filter(minor=minor, valid_to__isnull=True)
    return {(m.category, m.subtype): m for m in rows}


@pytest.fixture
def director(personas: dict[str, User]) -> User:
    return personas["child_director"]


@pytest.fixture
def left_behind(director: User, minor_a: Minor) -> Minor:
    _away(director, minor_a, "father")
    _away(director, minor_a, "mother")
    return minor_a


def test_the_default_rules_are_version_1() -> None:
    rs = cats.current_ruleset()
    assert rs is not None and rs.version == 1
    assert [s["code"] for s in rs.difficulty_subtypes] == [
        "dibao",
        "tekun",
        "severe_disability",
        "serious_illness",
        "de_facto_unsupported",
        "guardianship",
    ]
    assert cats.current_ruleset(date(2015, 1, 1)) is None


def test_saving_guardians_opens_the_category_with_its_reason(
    left_behind: Minor, director: User
) -> None:
    [membership] = _open(left_behind).values()
    assert membership.category == Category.RURAL_LEFT_BEHIND
    assert (membership.source, membership.rule_version) == (RULE, 1)
    assert membership.valid_from == today()
    assert "广东省东莞市" in membership.reason
    assert membership.created_by == director
    event = AuditEvent.objects.get(
        object_type="people.categorymembership", action=AuditEvent.Action.CREATE
    )
    assert event.minor_id == left_behind.pk
    assert event.details["values"]["category"] == Category.RURAL_LEFT_BEHIND
    assert "reason" in event.fields and "reason" not in event.details["values"]


def test_a_parent_coming_home_closes_the_category_and_keeps_the_history(
    left_behind: Minor, director: User
) -> None:
    tomorrow = today() + timedelta(days=1)
    father = Guardian.objects.get(minor=left_behind, relation="father")
    father.state = "at_home"
    father.save()
    cats.categories_refresh(minor=left_behind, actor=director, today=tomorrow)
    row = CategoryMembership.objects.get(minor=left_behind)
    assert row.valid_to == today()  # the last day it applied
    assert "at home" in row.end_reason
    assert _open(left_behind) == {}
    assert AuditEvent.objects.filter(
        object_type="people.categorymembership",
        action=AuditEvent.Action.UPDATE,
        minor_id=left_behind.pk,
    ).exists()


def test_a_same_day_correction_leaves_no_membership_behind(
    left_behind: Minor, director: User
) -> None:
    father = Guardian.objects.get(minor=left_behind, relation="father")
    guardian_save(actor=director, minor=left_behind, guardian=father, state="at_home")
    assert not CategoryMembership.objects.filter(minor=left_behind).exists()
    assert AuditEvent.objects.filter(
        object_type="people.categorymembership", action=AuditEvent.Action.DELETE
    ).exists()


def test_a_refresh_without_changes_writes_nothing(left_behind: Minor, director: User) -> None:
    before = AuditEvent.objects.count()
    cats.categories_refresh(minor=left_behind, actor=director)
    assert AuditEvent.objects.count() == before


def test_a_new_wording_updates_the_open_membership_in_place(
    left_behind: Minor, director: User
) -> None:
    [membership] = _open(left_behind).values()
    father = Guardian.objects.get(minor=left_behind, relation="father")
    guardian_save(actor=director, minor=left_behind, guardian=father, work_place="浙江省")
    [again] = _open(left_behind).values()
    assert again.pk == membership.pk and again.valid_from == membership.valid_from
    assert "浙江省" in again.reason


def test_a_new_rule_version_is_written_onto_the_open_membership(
    left_behind: Minor, director: User
) -> None:
    v1 = CategoryRuleSet.objects.get(version=1)
    CategoryRuleSet.objects.create(
        version=2,
        effective_from=today(),
        difficulty_subtypes=v1.difficulty_subtypes,
    )
    cats.categories_refresh(minor=left_behind, actor=director)
    [membership] = _open(left_behind).values()
    assert membership.rule_version == 2


def test_an_orphans_bucket_change_closes_one_period_and_opens_another(
    director: User, minor_b: Minor, other_personas: dict[str, User]
) -> None:
    actor = other_personas["child_director"]
    minor_update(actor=actor, minor=minor_b, id_number="")
    guardian_save(actor=actor, minor=minor_b, relation="father", state="dead")
    guardian_save(actor=actor, minor=minor_b, relation="mother", state="declared_dead")
    [orphan] = _open(minor_b).values()
    assert (orphan.category, orphan.bucket) == (Category.ORPHAN, "B")
    later = today() + timedelta(days=3)
    Minor.objects.filter(pk=minor_b.pk).update(id_number_index="x" * 64)
    cats.categories_refresh(minor=minor_b, actor=actor, today=later)
    orphan.refresh_from_db()
    assert orphan.valid_to == later - timedelta(days=1) and "B" in orphan.end_reason
    [current] = _open(minor_b).values()
    assert (current.bucket, current.valid_from) == ("A", later)


def test_the_rules_leave_manual_memberships_alone(left_behind: Minor, director: User) -> None:
    manual = cats.category_add_manual(
        actor=director,
        minor=left_behind,
        category=Category.KEY_ASSISTANCE,
        reason="走访发现情绪低落，纳入重点帮扶",
    )
    father = Guardian.objects.get(minor=left_behind, relation="father")
    guardian_save(actor=director, minor=left_behind, guardian=father, state="at_home")
    manual.refresh_from_db()
    assert manual.is_open
    assert set(_open(left_behind)) == {(Category.KEY_ASSISTANCE, "")}


def test_a_manual_membership_takes_precedence_over_the_same_rule(
    director: User, minor_a: Minor
) -> None:
    cats.category_add_manual(
        actor=director,
        minor=minor_a,
        category=Category.RURAL_LEFT_BEHIND,
        reason="村委会证明父母均在外务工",
    )
    _away(director, minor_a, "father")
    _away(director, minor_a, "mother")
    [membership] = _open(minor_a).values()
    assert membership.source == MANUAL


def test_a_child_no_longer_active_leaves_every_category(left_behind: Minor, director: User) -> None:
    cats.category_add_manual(
        actor=director, minor=left_behind, category=Category.KEY_ASSISTANCE, reason="重点帮扶对象"
    )
    later = today() + timedelta(days=2)
    Minor.objects.filter(pk=left_behind.pk).update(status=Minor.Status.MOVED_AWAY)
    cats.categories_refresh(minor=left_behind, actor=director, today=later)
    assert _open(left_behind) == {}
    ended = CategoryMembership.objects.filter(minor=left_behind)
    assert {m.valid_to for m in ended} == {later - timedelta(days=1)}
    assert all(m.end_reason for m in ended)


def test_a_household_on_dibao_puts_its_children_in_difficulty(
    director: User, minor_a: Minor
) -> None:
    household_create(actor=director, minor=minor_a, assistance=Household.Assistance.MINIMUM_LIVING)
    membership = _open(minor_a)[(Category.IN_DIFFICULTY, "dibao")]
    assert membership.bucket == "A"


# --- Many at once ------------------------------------------------------------------------------


def _bulk_children(district: dict[str, Any], count: int) -> list[Minor]:
    household = Household.objects.create(area_code="431103101200", assistance="tekun")
    minors = Minor.objects.bulk_create(
        [
            Minor(
                name=f"儿童{i}",
                sex="F",
                birth_date=date(2015, 1, 1),
                area_code="431103101200",
                household=household if i % 2 else None,
            )
            for i in range(count)
        ]
    )
    since = today() - timedelta(days=365)
    Guardian.objects.bulk_create(
        [
            Guardian(
                minor=m,
                relation=relation,
                state="working_away",
                state_since=since,
                cross_county=True,
            )
            for m in minors
            for relation in ("father", "mother")
        ]
    )
    return minors


def test_it_refreshes_many_children_with_one_audit_event(district: dict[str, Any]) -> None:
    minors = _bulk_children(district, 30)
    before = AuditEvent.objects.count()
    assert cats.categories_refresh_many(Minor.objects.all()) == 30
    assert AuditEvent.objects.count() == before + 1
    event = AuditEvent.objects.get(action=AuditEvent.Action.SYSTEM)
    assert event.details["refresh"] == {
        "minors": 30,
        "opened": 45,
        "closed": 0,
        "deleted": 0,
        "updated": 0,
    }
    assert CategoryMembership.objects.filter(category=Category.RURAL_LEFT_BEHIND).count() == 30
    assert CategoryMembership.objects.filter(subtype="tekun").count() == 15
    # Idempotent: a second run finds nothing to change.
    assert cats.categories_refresh_many(Minor.objects.filter(pk__in=[m.pk for m in minors])) == 30
    second = AuditEvent.objects.filter(action=AuditEvent.Action.SYSTEM).order_by("-seq").first()
    assert second is not None and second.details["refresh"]["opened"] == 0


def test_many_at_once_closes_what_no_longer_applies(district: dict[str, Any]) -> None:
    minors = _bulk_children(district, 4)
    cats.categories_refresh_many(Minor.objects.all())
    Guardian.objects.filter(minor=minors[0], relation="father").update(state="at_home")
    later = today() + timedelta(days=1)
    cats.categories_refresh_many(Minor.objects.all(), today=later)
    closed = CategoryMembership.objects.get(minor=minors[0], category=Category.RURAL_LEFT_BEHIND)
    assert closed.valid_to == today() and closed.end_reason


# --- Display -----------------------------------------------------------------------------------


def test_the_display_lists_open_then_recently_ended(left_behind: Minor, director: User) -> None:
    old = CategoryMembership.objects.create(
        minor=left_behind,
        category=Category.KEY_ASSISTANCE,
        source=MANUAL,
        reason="很久以前",
        valid_from=date(2020, 1, 1),
        valid_to=today() - timedelta(days=200),
    )
    recent = CategoryMembership.objects.create(
        minor=left_behind,
        category=Category.IN_DIFFICULTY,
        subtype="dibao",
        source=MANUAL,
        reason="最近结束",
        valid_from=date(2024, 1, 1),
        valid_to=today() - timedelta(days=10),
    )
    shown = cats.categories_for_display(left_behind)
    assert [m.category for m in shown] == [Category.RURAL_LEFT_BEHIND, Category.IN_DIFFICULTY]
    assert old not in shown and shown[1] == recent
    assert shown[1].subtype_name == "低保家庭儿童"  # type: ignore[attr-defined]


def test_decision_notes_say_what_is_missing(director: User, minor_a: Minor) -> None:
    assert any("No parent" in n for n in cats.decision_notes(minor_a))
    _away(director, minor_a, "father", cross_county=None)
    _away(director, minor_a, "mother")
    assert any("county" in n for n in cats.decision_notes(minor_a))


# --- By hand -----------------------------------------------------------------------------------


def test_it_adds_a_manual_category_with_its_decision(director: User, minor_a: Minor) -> None:
    membership = cats.category_add_manual(
        actor=director,
        minor=minor_a,
        category=Category.IN_DIFFICULTY,
        subtype="guardianship",
        reason="走访发现长期无人照看",
        valid_from=today() - timedelta(days=30),
        authority="花桥街镇人民政府",
        decision_number="花政〔2026〕12号",
    )
    assert (membership.source, membership.bucket, membership.created_by) == ("manual", "", director)
    assert membership.valid_from == today() - timedelta(days=30)
    event = AuditEvent.objects.get(
        object_type="people.categorymembership", action=AuditEvent.Action.CREATE
    )
    assert event.minor_id == minor_a.pk and "decision_number" in event.fields


def test_a_manual_orphan_is_bucketed_by_the_id_number(director: User, minor_a: Minor) -> None:
    membership = cats.category_add_manual(
        actor=director, minor=minor_a, category=Category.ORPHAN, reason="民政局认定孤儿"
    )
    assert membership.bucket == "A"


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"category": "nonsense"}, "category"),
        ({"reason": "短"}, "reason"),
        ({"reason": "     "}, "reason"),
        ({"subtype": "dibao", "category": Category.ORPHAN}, "subtype"),
        ({"subtype": "nonsense", "category": Category.IN_DIFFICULTY}, "subtype"),
        ({"valid_from": date(2999, 1, 1)}, "valid_from"),
        ({"valid_from": date(2000, 1, 1)}, "valid_from"),
    ],
)
def test_it_refuses_a_bad_manual_category(
    director: User, minor_a: Minor, fields: dict[str, Any], field: str
) -> None:
    values = {"category": Category.KEY_ASSISTANCE, "reason": "重点帮扶对象认定"} | fields
    with pytest.raises(ValidationError) as caught:
        cats.category_add_manual(actor=director, minor=minor_a, **values)
    assert field in caught.value.message_dict
    assert not CategoryMembership.objects.exists()


def test_it_refuses_a_duplicate_open_membership_clearly(left_behind: Minor, director: User) -> None:
    with pytest.raises(ValidationError) as caught:
        cats.category_add_manual(
            actor=director,
            minor=left_behind,
            category=Category.RURAL_LEFT_BEHIND,
            reason="重复认定留守儿童",
        )
    [message] = caught.value.message_dict["category"]
    assert "already" in message and today().isoformat() in message


def test_it_refuses_migrant_by_hand_for_a_16_year_old(director: User, minor_a: Minor) -> None:
    Minor.objects.filter(pk=minor_a.pk).update(birth_date=date(2010, 1, 1))
    minor_a.refresh_from_db()
    with pytest.raises(ValidationError) as caught:
        cats.category_add_manual(
            actor=director, minor=minor_a, category=Category.MIGRANT, reason="跨县流入满半年"
        )
    assert "16" in caught.value.message_dict["category"][0]


def test_it_refuses_a_manual_category_out_of_scope(
    other_personas: dict[str, User], personas: dict[str, User], minor_a: Minor
) -> None:
    for actor in (other_personas["child_director"], personas["counselor"]):
        with pytest.raises(PermissionDenied):
            cats.category_add_manual(
                actor=actor, minor=minor_a, category=Category.KEY_ASSISTANCE, reason="重点帮扶对象"
            )
    assert not CategoryMembership.objects.exists()


def test_it_ends_a_manual_membership(director: User, minor_a: Minor) -> None:
    membership = cats.category_add_manual(
        actor=director, minor=minor_a, category=Category.KEY_ASSISTANCE, reason="重点帮扶对象"
    )
    cats.membership_end(actor=director, membership=membership, reason="帮扶目标已达成")
    membership.refresh_from_db()
    assert (membership.valid_to, membership.end_reason) == (today(), "帮扶目标已达成")
    with pytest.raises(ValidationError) as caught:
        cats.membership_end(actor=director, membership=membership, reason="再次结束一次")
    assert "membership" in caught.value.message_dict


def test_it_refuses_to_end_a_rule_membership_by_hand(left_behind: Minor, director: User) -> None:
    [membership] = _open(left_behind).values()
    with pytest.raises(ValidationError) as caught:
        cats.membership_end(actor=director, membership=membership, reason="家长说已经回家了")
    assert "facts" in caught.value.message_dict["membership"][0]
    membership.refresh_from_db()
    assert membership.is_open


def test_it_refuses_a_bad_end(director: User, minor_a: Minor, other_personas: Any) -> None:
    membership = cats.category_add_manual(
        actor=director, minor=minor_a, category=Category.KEY_ASSISTANCE, reason="重点帮扶对象"
    )
    with pytest.raises(ValidationError) as caught:
        cats.membership_end(
            actor=director, membership=membership, reason="短", on=today() + timedelta(days=1)
        )
    assert set(caught.value.message_dict) == {"reason", "on"}
    with pytest.raises(PermissionDenied):
        cats.membership_end(
            actor=other_personas["child_director"], membership=membership, reason="越权结束类别"
        )
    membership.refresh_from_db()
    assert membership.is_open


# --- Rule versions -----------------------------------------------------------------------------


def test_a_district_admin_adds_the_next_version_and_queues_its_refresh(
    personas: dict[str, User],
) -> None:
    starts = today() + timedelta(days=10)
    rs = cats.ruleset_create(
        actor=personas["district_admin"], effective_from=starts, left_behind_min_months=3
    )
    assert (rs.version, rs.left_behind_min_months, rs.migrant_min_months) == (2, 3, 6)
    assert rs.difficulty_subtypes == CategoryRuleSet.objects.get(version=1).difficulty_subtypes
    assert cats.current_ruleset().version == 1  # type: ignore[union-attr]
    assert cats.current_ruleset(starts).version == 2  # type: ignore[union-attr]
    message = OutboxMessage.objects.get(topic=cats.REFRESH_TOPIC)
    assert message.payload == {"version": 2}
    assert timezone.localdate(message.available_at) == starts
    assert AuditEvent.objects.filter(object_type="people.categoryruleset").exists()


def test_only_a_county_wide_district_admin_changes_the_rules(
    personas: dict[str, User],
) -> None:
    for role in ("center_staff", "child_director", "sysadmin"):
        with pytest.raises(PermissionDenied):
            cats.ruleset_create(actor=personas[role], effective_from=today())
    assert CategoryRuleSet.objects.count() == 1


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"effective_from": date(2020, 1, 1)}, "effective_from"),
        ({"effective_from": None}, "effective_from"),
        (
            {"difficulty_subtypes": [{"code": "x", "name": "X", "when": "rich"}]},
            "difficulty_subtypes",
        ),
        ({"left_behind_age_limit": 19}, "left_behind_age_limit"),
        ({"age_out_notice_days": 400}, "age_out_notice_days"),
    ],
)
def test_it_refuses_bad_rule_settings(
    personas: dict[str, User], fields: dict[str, Any], field: str
) -> None:
    values = {"effective_from": today()} | fields
    with pytest.raises(ValidationError) as caught:
        cats.ruleset_create(actor=personas["district_admin"], **values)
    assert field in caught.value.message_dict
    assert CategoryRuleSet.objects.count() == 1
    assert not OutboxMessage.objects.filter(topic=cats.REFRESH_TOPIC).exists()


def test_the_queued_refresh_applies_the_new_version(
    left_behind: Minor, personas: dict[str, User]
) -> None:
    cats.ruleset_create(
        actor=personas["district_admin"], effective_from=today(), left_behind_cross_county=False
    )
    assert drain() >= 1
    [membership] = _open(left_behind).values()
    assert membership.rule_version == 2
    assert OutboxMessage.objects.get(topic=cats.REFRESH_TOPIC).delivered_at is not None
