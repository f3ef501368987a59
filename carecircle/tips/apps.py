from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TipsConfig(AppConfig):
    name = "carecircle.tips"
    verbose_name = _("Reports of harm")
