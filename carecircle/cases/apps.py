from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CasesConfig(AppConfig):
    name = "carecircle.cases"
    verbose_name = _("Cases")

    def ready(self) -> None:
        # Registrations: a case team's access to its child, the periodic escalation,
        # the child's timeline, the indicators.
        from carecircle.cases import indicators, jobs, permissions, timeline  # noqa: F401
