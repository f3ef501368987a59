"""Template helpers for the Bootstrap layout."""

from __future__ import annotations

from django import forms, template
from django.forms.boundfield import BoundField
from django.utils.safestring import SafeString

register = template.Library()


@register.filter
def bs(field: BoundField) -> SafeString:
    """Render a form field's widget with the Bootstrap class that fits it."""
    widget = field.field.widget
    if isinstance(widget, forms.CheckboxInput):
        css = "form-check-input"
    elif isinstance(widget, forms.Select | forms.SelectMultiple):
        css = "form-select"
    else:
        css = "form-control"
    if field.errors:
        css += " is-invalid"
    existing = widget.attrs.get("class", "")
    return field.as_widget(attrs={"class": f"{existing} {css}".strip()})


@register.filter
def is_checkbox(field: BoundField) -> bool:
    return isinstance(field.field.widget, forms.CheckboxInput)


@register.filter
def get_item(mapping: dict, key: object) -> object:
    return mapping.get(key, "") if isinstance(mapping, dict) else ""


@register.filter
def pairs(mapping: object) -> list[tuple[object, object]]:
    """A dict's (key, value) pairs. ``{{ d.items }}`` would read a key named "items"
    first: free-form details such as an audit event's may well carry one."""
    return list(mapping.items()) if isinstance(mapping, dict) else []
