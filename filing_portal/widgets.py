"""Form widgets shared by every app."""

from django import forms


class IsoDateInput(forms.DateInput):
    """The browser's date picker. Its value is always ISO 8601 (2026-12-01), whatever the page's language.

    Django's own ``DateInput`` writes the first of the active language's ``DATE_INPUT_FORMATS``
    (zh-hans: ``2026/12/01``), which ``<input type="date">`` silently drops: the field shows empty.
    What the browser posts back is ISO 8601, which ``DateField`` always accepts.
    """

    input_type = "date"

    def __init__(self, attrs=None):
        super().__init__(attrs, format="%Y-%m-%d")
