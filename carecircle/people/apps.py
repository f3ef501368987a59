from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PeopleConfig(AppConfig):
    name = "carecircle.people"
    verbose_name = _("Child registry")

    def ready(self) -> None:
        # Registrations: the age-out job, the minors.* indicators, the timeline entries.
        from carecircle.people import indicators, jobs, timeline  # noqa: F401
