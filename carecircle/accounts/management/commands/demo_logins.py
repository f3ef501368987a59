"""Print the demo accounts, their role and scope, and the shared demo password."""

from __future__ import annotations

import unicodedata
from typing import Any

from django.core.management.base import BaseCommand
from django.utils import translation

from carecircle.accounts.models import RoleAssignment, User
from carecircle.accounts.roles import ROLE_SPECS
from carecircle.people import demo


def _width(text: str) -> int:
    """Terminal columns: Chinese characters take two."""
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def _pad(text: str, width: int) -> str:
    return text + " " * max(width - _width(text), 0)


class Command(BaseCommand):
    help = "List the demo sign-in names with their role, scope and the demo password."

    def handle(self, *args: Any, **options: Any) -> None:
        users = {u.username: u for u in User.objects.filter(username__in=demo.DEMO_USERNAMES)}
        if not users:
            self.stdout.write(
                "The demo district is not loaded. Load it with: python manage.py seed_demo"
            )
            return
        assignments: dict[int, list[RoleAssignment]] = {}
        for a in (
            RoleAssignment.objects.active()
            .filter(user__in=users.values())
            .select_related("division", "organisation", "organisation__division")
        ):
            assignments.setdefault(a.user_id, []).append(a)
        rows = [("username 用户名", "role 角色", "scope 范围", "2FA")]
        with translation.override("zh-hans"):
            for username in demo.DEMO_USERNAMES:
                user = users.get(username)
                if user is None:
                    continue
                for a in assignments.get(user.pk, []):
                    scope = (
                        a.scope_label if a.organisation_id else f"{a.scope_label} {a.scope_prefix}"
                    )
                    second = "TOTP" if ROLE_SPECS[a.role].requires_second_factor else "-"
                    rows.append((username, str(a.get_role_display()), scope, second))
        widths = [max(_width(row[i]) for row in rows) + 2 for i in range(3)]
        self.stdout.write("CareCircle 关爱圈 demo logins 演示账号")
        self.stdout.write(f"Password for every demo account 统一密码: {demo.DEMO_PASSWORD}")
        self.stdout.write("")
        for row in rows:
            line = "".join(_pad(cell, width) for cell, width in zip(row, widths, strict=False))
            self.stdout.write("  " + line + row[3])
        others = User.objects.filter(username__contains="_").exclude(
            username__in=demo.DEMO_USERNAMES
        )
        extra = others.filter(password=users[next(iter(users))].password).count()
        if extra:
            self.stdout.write("")
            self.stdout.write(
                f"{extra} more staff accounts share the password, e.g. child_director_101201, "
                "child_supervisor_001, school_psych_teacher_no1_middle."
            )
        self.stdout.write("")
        self.stdout.write(
            "TOTP: at the first sign-in, roles marked TOTP set up a second factor: scan the "
            "QR code with any authenticator app (e.g. Google Authenticator, Microsoft "
            "Authenticator, FreeOTP), then enter its 6-digit code. "
            "首次登录请用身份验证器应用扫描二维码。"
        )
