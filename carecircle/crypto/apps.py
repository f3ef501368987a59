from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CryptoConfig(AppConfig):
    name = "carecircle.crypto"
    verbose_name = _("Encryption")

    def ready(self) -> None:
        # Fail closed: a build of OpenSSL without the configured cipher (some
        # distributions disable SM4) must stop the process, not store plaintext later.
        from carecircle.crypto.keys import self_test

        self_test()
