"""Selects of hundreds of rows (entities, signatures, evidence) without a model instance per option."""

from django.forms.models import ModelChoiceIterator, ModelChoiceIteratorValue


def light_choices(field, queryset, columns: tuple[str, ...], label, data: dict[str, str] | None = None) -> None:
    """Give a ModelChoiceField ``queryset``, its options read as plain rows of (pk, *columns) and
    labelled ``label(*values)``: one light query whatever the list's length, no instance per option.
    Validation still loads the one chosen object from ``queryset``, whole.

    ``data`` maps an option attribute to a column read in the same query: ``{"entity": "entity_id"}``
    renders ``data-entity="<id>"`` on each option (portal.js filters the evidence by entity with it).

    The select is marked ``data-searchable``: portal.js makes it a searchable choice once it is long.
    """

    class RowIterator(ModelChoiceIterator):
        def __iter__(self):
            if self.field.empty_label is not None:
                yield ("", self.field.empty_label)
            names = tuple(data or ())
            for pk, *values in self.queryset.values_list("pk", *columns, *(data or {}).values()):
                # The option's data attributes ride on the value's ``instance`` slot: (name, value) pairs.
                attrs = tuple(zip(names, values[len(columns) :], strict=True))
                yield ModelChoiceIteratorValue(pk, attrs), label(*values[: len(columns)])

    field.iterator = RowIterator
    field.queryset = queryset  # after the iterator: setting it builds the widget's choices
    field.widget.attrs["data-searchable"] = ""
    field.widget.template_name = "filing_portal/widgets/select.html"  # no template include per option
