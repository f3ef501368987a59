"""Model fields that keep sensitive values encrypted at rest.

``EncryptedTextField`` stores an authenticated ciphertext (see ``keys``); the model
attribute holds plaintext. Ciphertexts are randomised, so the only lookup allowed
on such a column is ``isnull``; exact lookups go through a ``BlindIndexField``
that follows its source field automatically::

    id_number = EncryptedTextField(_("resident ID number"), blank=True)
    id_number_index = BlindIndexField(source="id_number", normalize=normalize_id)

    Minor.objects.filter(id_number_index=Minor.lookup_index("id_number", raw))
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.db import models
from django.db.models import Model
from django.utils.module_loading import import_string
from django.utils.translation import gettext_lazy as _

from carecircle.crypto import keys


def field_label(model: type[Model], field_name: str) -> str:
    return f"{model._meta.app_label}.{model.__name__}.{field_name}"


class EncryptedTextField(models.TextField):
    description = _("Encrypted text")

    def contribute_to_class(self, cls: type[Model], name: str, private_only: bool = False) -> None:
        super().contribute_to_class(cls, name, private_only)
        self.label = field_label(cls, name)

    def from_db_value(self, value: str | None, expression: Any, connection: Any) -> str | None:
        if value is None or value == "":
            return value
        return keys.decrypt(value, label=self.label)

    def to_python(self, value: Any) -> str | None:
        return value if value is None or isinstance(value, str) else str(value)

    def get_prep_value(self, value: Any) -> str | None:
        value = super().get_prep_value(value)
        if value is None or value == "":
            return value
        return keys.encrypt(str(value), label=self.label)

    def get_lookup(self, lookup_name: str) -> Any:
        # Randomised ciphertexts never compare equal; refusing the lookup turns a
        # silent "no rows" bug into an error the developer sees at once.
        if lookup_name != "isnull":
            return None
        return super().get_lookup(lookup_name)


def _identity(value: str) -> str:
    return value


class BlindIndexField(models.CharField):
    """Keyed HMAC of another field of the same model, recomputed on every save."""

    def __init__(
        self,
        *args: Any,
        source: str = "",
        normalize: str | Callable[[str], str] = "",
        **kwargs: Any,
    ) -> None:
        self.source = source
        self.normalize = normalize
        kwargs.setdefault("max_length", 64)
        kwargs.setdefault("editable", False)
        kwargs.setdefault("null", True)
        kwargs.setdefault("blank", True)
        kwargs.setdefault("db_index", True)
        super().__init__(*args, **kwargs)

    def deconstruct(self) -> Any:
        name, path, args, kwargs = super().deconstruct()
        kwargs["source"] = self.source
        if isinstance(self.normalize, str) and self.normalize:
            kwargs["normalize"] = self.normalize
        return name, path, args, kwargs

    def contribute_to_class(self, cls: type[Model], name: str, private_only: bool = False) -> None:
        super().contribute_to_class(cls, name, private_only)
        self.label = field_label(cls, self.source)

    def _normalizer(self) -> Callable[[str], str]:
        if callable(self.normalize):
            return self.normalize
        return import_string(self.normalize) if self.normalize else _identity

    def digest(self, value: str | None) -> str | None:
        if not value:
            return None
        return keys.blind_index(self._normalizer()(value), label=self.label)

    def pre_save(self, model_instance: Model, add: bool) -> str | None:
        value = self.digest(getattr(model_instance, self.source))
        setattr(model_instance, self.attname, value)
        return value


def encrypted_fields(model: type[Model]) -> list[EncryptedTextField]:
    return [f for f in model._meta.concrete_fields if isinstance(f, EncryptedTextField)]


def blind_index_fields(model: type[Model]) -> list[BlindIndexField]:
    return [f for f in model._meta.concrete_fields if isinstance(f, BlindIndexField)]


def lookup_index(model: type[Model], index_field: str, value: str) -> str | None:
    """The digest to filter ``index_field`` by, for a plaintext ``value``."""
    field = model._meta.get_field(index_field)
    if not isinstance(field, BlindIndexField):
        raise TypeError(f"{index_field} is not a blind index field")
    return field.digest(value)
