from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CounselingConfig(AppConfig):
    name = "carecircle.counseling"
    verbose_name = _("Counseling rooms")

    def ready(self) -> None:
        # Registration: the ``counseling.rooms`` indicator.
        from carecircle.counseling import indicators  # noqa: F401
