from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

# Words an attacker would try first against this particular system (ASVS 6.2.11).
CONTEXT_WORDS = (
    "carecircle",
    "关爱圈",
    "guanaiquan",
    "lengshuitan",
    "冷水滩",
    "yongzhou",
    "永州",
    "weibao",
    "未保",
    "12345",
    "password",
    "mima",
)


class ContextWordValidator:
    """Refuse passwords built on the product's, the district's or the service's name."""

    def validate(self, password: str, user: Any = None) -> None:
        lowered = password.lower()
        for word in CONTEXT_WORDS:
            if word in lowered:
                raise ValidationError(
                    _("The password must not contain “%(word)s”, which attackers try first."),
                    code="password_context_word",
                    params={"word": word},
                )

    def get_help_text(self) -> str:
        return _("Your password must not contain the name of this system or of the district.")
