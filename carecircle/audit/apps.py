from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AuditConfig(AppConfig):
    name = "carecircle.audit"
    verbose_name = _("Audit log")

    def ready(self) -> None:
        from carecircle.audit import jobs  # noqa: F401  (registers the periodic job)
