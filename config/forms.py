from django.forms.renderers import TemplatesSetting


class BootstrapRenderer(TemplatesSetting):
    """Every form renders with Bootstrap classes and Chinese-first error messages."""

    form_template_name = "forms/bootstrap.html"
