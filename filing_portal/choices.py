"""Selects of hundreds of rows (entities, signatures, evidence) without a model instance per option."""

from html import escape

from django import forms
from django.db.models.fields import BLANK_CHOICE_DASH
from django.forms.models import ModelChoiceIterator, ModelChoiceIteratorValue
from django.utils.functional import lazy
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy as _

from compliance.carriers import BY_CODE, CODES

# The empty choice of every customer select, in one place: Django's own is a bare "---------".
EMPTY_LABEL = _("—— Choose ——")
DJANGO_EMPTY_LABEL = BLANK_CHOICE_DASH[0][1]


class Select(forms.Select):
    """Django's Select, its options written in Python rather than through a template each (or a
    template loop): the same HTML, a select of hundreds in a fraction of the time. Flat choices
    only (no optgroups), one selected option, as Django's Select selects the first that matches.
    The same class name: the form fields (jinja2/_forms.html) give the select its CSS class ("select") from it."""

    template_name = "filing_portal/widgets/select.html"

    # Set by light_choices: the field, whose rows (pk, *columns, *data) are written straight, with no
    # ModelChoiceIteratorValue per option (a fifth of a long select's time).
    light_field = None

    def _options(self):
        """(value, label, data attribute pairs) of each option."""
        field = self.light_field
        if field is None:
            for option_value, label in self.choices:
                # light_choices' data attributes ride on the value's ``instance`` slot: (name, value) pairs.
                pairs = option_value.instance if isinstance(option_value, ModelChoiceIteratorValue) else None
                if option_value in ("", None) and label == DJANGO_EMPTY_LABEL:  # a model field's blank choice
                    label = EMPTY_LABEL
                yield option_value, label, pairs if isinstance(pairs, tuple) else ()
            return
        if field.empty_label is not None:
            yield "", field.empty_label, ()
        count, names, label = field.light_format
        for pk, *values in field.light_rows():
            yield pk, label(*values[:count]), tuple(zip(names, values[count:], strict=True))

    def get_context(self, name, value, attrs):
        context = forms.Widget.get_context(self, name, value, attrs)  # not ChoiceWidget's: no optgroups
        values = set(context["widget"]["value"])
        rows, chosen = [], False
        for option_value, label, pairs in self._options():
            extra = "".join(f' data-{escape(name)}="{escape(str(v))}"' for name, v in pairs)
            option_value = "" if option_value is None else str(option_value)
            selected = not chosen and option_value in values
            chosen |= selected
            # Escaped as {{ }} would (conditional_escape), in one string: format_html costs more than the row.
            label = label.__html__() if hasattr(label, "__html__") else escape(str(label))
            rows.append(
                f'\n<option value="{escape(option_value)}"{extra}{" selected" if selected else ""}>{label}</option>'
            )
        context["widget"]["options"] = mark_safe("".join(rows))  # noqa: S308 - every part escaped above
        return context


def light_choices(
    field, queryset, columns: tuple[str, ...], label, data: dict[str, str] | None = None, rows=None
) -> None:
    """Give a ModelChoiceField ``queryset``, its options read as plain rows of (pk, *columns) and
    labelled ``label(*values)``: one light query whatever the list's length, no instance per option.
    Validation still loads the one chosen object from ``queryset``, whole.

    ``data`` maps an option attribute to a column read in the same query: ``{"entity": "entity_id"}``
    renders ``data-entity="<id>"`` on each option (portal.js filters the evidence by entity with it).

    The rows are read once per form, when first needed, and kept: ``field.light_rows()`` gives them,
    (pk, *columns, *data columns), to a view that would otherwise ask again (whether there is any, the
    only one). ``rows``, a callable giving such rows, reads them otherwise than from ``queryset``: a
    form that reads the options of several selects in one query.

    The select is marked ``data-searchable``: portal.js makes it a searchable choice once it is long.
    """
    read = rows or (lambda: queryset.values_list("pk", *columns, *(data or {}).values()))
    if field.empty_label is not None:
        field.empty_label = EMPTY_LABEL
    kept = []

    def light_rows() -> list[tuple]:
        if not kept:
            kept.append(list(read()))
        return kept[0]

    class RowIterator(ModelChoiceIterator):
        def __iter__(self):
            if self.field.empty_label is not None:
                yield ("", self.field.empty_label)
            names = tuple(data or ())
            for pk, *values in light_rows():
                # The option's data attributes ride on the value's ``instance`` slot: (name, value) pairs.
                attrs = tuple(zip(names, values[len(columns) :], strict=True))
                yield ModelChoiceIteratorValue(pk, attrs), label(*values[: len(columns)])

    field.iterator = RowIterator
    field.light_rows = light_rows
    field.light_format = (len(columns), tuple(data or ()), label)
    # No template per option, nor a template loop over them (Select above): before the queryset,
    # which gives the widget its choices.
    field.widget = Select(attrs={**field.widget.attrs, "data-searchable": ""})
    field.widget.light_field = field
    field.queryset = queryset


def _carrier_name(code: str) -> str:
    from django.utils.translation import get_language

    return BY_CODE[code].name((get_language() or "").startswith("zh"))


carrier_name = lazy(_carrier_name, str)


def carrier_choices() -> list[tuple[str, object]]:
    """The carriers as a model field's choices, named in the reader's language (compliance.carriers)."""
    return [(code, carrier_name(code)) for code in CODES]
