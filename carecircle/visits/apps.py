from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class VisitsConfig(AppConfig):
    name = "carecircle.visits"
    verbose_name = _("Visits")

    def ready(self) -> None:
        # Registrations: the periodic reminders and escalations, the visits.*
        # indicators, and the merge hook that moves a child's visits to the survivor.
        from carecircle.visits import indicators, jobs, merging  # noqa: F401
