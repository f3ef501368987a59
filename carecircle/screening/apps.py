from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ScreeningConfig(AppConfig):
    name = "carecircle.screening"
    verbose_name = _("Screening")

    def ready(self) -> None:
        # Registrations: the periodic escalation of overdue follow-ups, the screening.*
        # indicators, and the merge hook that moves a child's screening history.
        from carecircle.screening import followups, indicators, merging  # noqa: F401
