from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class NotificationsConfig(AppConfig):
    name = "carecircle.notifications"
    verbose_name = _("Notifications and background work")

    def ready(self) -> None:
        # Handlers and periodic jobs register themselves on import.
        from carecircle.notifications import jobs  # noqa: F401
