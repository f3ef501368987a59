from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CasesConfig(AppConfig):
    name = "carecircle.cases"
    verbose_name = _("Cases")

    def ready(self) -> None:
        # Registrations: a case team's access to its child.
        from carecircle.cases import permissions  # noqa: F401
