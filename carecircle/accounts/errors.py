"""A service's ``ValidationError`` shown where the user sees it: on a form, or in an
API's 400.

Services raise Django's ``ValidationError`` with a dict (field → messages) when
they can say which field is wrong, or plain messages when they cannot.
"""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError
from rest_framework import exceptions


def add_service_errors(form: forms.Form, exc: ValidationError) -> None:
    """Each message on its field when the form has it, else on the form as a whole."""
    if hasattr(exc, "error_dict"):
        for key, errors in exc.message_dict.items():
            form.add_error(key if key in form.fields else None, errors)
    else:
        form.add_error(None, exc.messages)


def api_validation_error(exc: ValidationError) -> exceptions.ValidationError:
    """The same messages as DRF's 400: by field, or under ``detail``."""
    if hasattr(exc, "error_dict"):
        return exceptions.ValidationError(exc.message_dict)
    return exceptions.ValidationError({"detail": exc.messages})
