"""Selects of hundreds of rows (entities, signatures, evidence) without a model instance per option."""

from django.forms.models import ModelChoiceIterator, ModelChoiceIteratorValue


def light_choices(field, queryset, columns: tuple[str, ...], label) -> None:
    """Give a ModelChoiceField ``queryset``, its options read as plain rows of (pk, *columns) and
    labelled ``label(*values)``: one light query whatever the list's length, no instance per option.
    Validation still loads the one chosen object from ``queryset``, whole.

    The select is marked ``data-searchable``: portal.js makes it a searchable choice once it is long.
    """

    class RowIterator(ModelChoiceIterator):
        def __iter__(self):
            if self.field.empty_label is not None:
                yield ("", self.field.empty_label)
            for pk, *values in self.queryset.values_list("pk", *columns):
                yield ModelChoiceIteratorValue(pk, None), label(*values)

    field.iterator = RowIterator
    field.queryset = queryset  # after the iterator: setting it builds the widget's choices
    field.widget.attrs["data-searchable"] = ""
    field.widget.template_name = "filing_portal/widgets/select.html"  # no template include per option
