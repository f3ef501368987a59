from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class StatsConfig(AppConfig):
    name = "carecircle.stats"
    verbose_name = _("Statistics")

    def ready(self) -> None:
        from carecircle.stats import indicators  # noqa: F401  (registers the indicators)
