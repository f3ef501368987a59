from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TipsConfig(AppConfig):
    name = "carecircle.tips"
    verbose_name = _("Reports of harm")

    def ready(self) -> None:
        # Registrations: the escalation and throttle clean-up jobs, the tips.*
        # indicators and the child's timeline entries.
        from carecircle.tips import indicators, jobs, timeline  # noqa: F401
