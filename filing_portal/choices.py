"""Selects of hundreds of rows (entities, signatures, evidence) without a model instance per option,
and a form's options kept per organization between requests (organization_rows)."""

import threading
import uuid
from html import escape

from django import forms
from django.core.cache import cache
from django.db import transaction
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
        field = self.light_field
        kept = field.light_rows() if field is not None else None
        if isinstance(kept, KeptRows):
            context["widget"]["options"] = mark_safe(self._kept_options(field, kept, values))  # noqa: S308 - escaped
            return context
        rows, chosen = [], False
        for option_value, label, pairs in self._options():
            option_value = "" if option_value is None else str(option_value)
            selected = not chosen and option_value in values
            chosen |= selected
            rows.append(_option(option_value, label, pairs, selected))
        context["widget"]["options"] = mark_safe("".join(rows))  # noqa: S308 - every part escaped (_option)
        return context

    @staticmethod
    def _kept_options(field, kept, values) -> str:
        """The options of rows kept between requests (organization_rows): written once a process for
        them, each request marking its chosen option in the kept string. The same HTML as above."""
        count, names, label = field.light_format
        # One select's rows, one way of writing them (its label function's code, e.g. a form's lambda).
        form = (count, names, getattr(label, "__code__", label))
        written = kept.written.get(form)
        if written is None:
            parts, where, at = [], {}, 0
            for pk, *columns in kept:
                value = str(pk)
                head = _option(value, label(*columns[:count]), tuple(zip(names, columns[count:], strict=True)), False)
                where.setdefault(value, at + head.index(">"))  # where " selected" goes: the first option of a value
                parts.append(head)
                at += len(head)
            written = kept.written[form] = ("".join(parts), where)
        html, where = written
        empty = ""
        if field.empty_label is not None:
            chosen = "" in values
            empty = _option("", field.empty_label, (), chosen)
            if chosen:
                return empty + html
        spots = [where[value] for value in values if value in where]
        if spots:
            spot = min(spots)
            html = f"{html[:spot]} selected{html[spot:]}"
        return empty + html


def _option(value: str, label, pairs, selected: bool) -> str:
    """One option as Django's select_option.html writes it; every part escaped as {{ }} would
    (conditional_escape), in one string: format_html costs more than the row."""
    extra = "".join(f' data-{escape(name)}="{escape(str(v))}"' for name, v in pairs)
    label = label.__html__() if hasattr(label, "__html__") else escape(str(label))
    return f'\n<option value="{escape(value)}"{extra}{" selected" if selected else ""}>{label}</option>'


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
            found = read()
            kept.append(found if isinstance(found, list) else list(found))  # KeptRows stay themselves
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


# --- a form's options kept per organization ----------------------------------------------------
#
# The signature form's options (the entities and their evidence, 135 on the benchmark's customer)
# cost two queries and writing each option at every request, yet change a few times a day. They are
# kept a process, per organization, under a generation token held in the shared cache (settings.
# CACHES, which every process sees): a change to what they are read from (qualifications/apps.py:
# entities, shares, trademarks, apps, partner authorizations, saved or deleted; the services' UPDATEs
# of an entity's status or owner) draws a new token, at once and again when its transaction commits,
# so that a request that read the old rows meanwhile cannot keep them. Every organization's kept
# options go with it (which organizations see an entity, or name a partner, is not worth working
# out for a change this rare); the key holds the organization, so none reads another's. The token
# lives ``KEPT_SECONDS``: a change made around the models (SQL by hand, a restored backup) shows
# within five minutes.

KEPT_KEY = "filing_portal.kept-options.v1"
KEPT_SECONDS = 300
MAX_KEPT = 256  # organizations' forms a process keeps, the oldest dropped first
_kept: dict = {}
_kept_lock = threading.Lock()


class KeptRows(list):
    """Rows of a select kept between requests (organization_rows); Select writes their options once
    (``written``) and marks the chosen one at each request."""

    def __init__(self, rows=()):
        super().__init__(rows)
        self.written = {}


def organization_rows(name: str, organization_id, read):
    """``read()``, kept this process for the organization (``name``: which form's) until what the
    options are read from changes (forget_organization_rows). ``read`` must depend on the
    organization alone; wrap its lists in KeptRows for their options to be written once too."""
    generation = cache.get(KEPT_KEY)
    if generation is None:
        cache.add(KEPT_KEY, uuid.uuid4().hex, KEPT_SECONDS)
        generation = cache.get(KEPT_KEY)
        if generation is None:  # a cache that keeps nothing: read each time
            return read()
    key = (name, organization_id)
    entry = _kept.get(key)
    if entry is not None and entry[0] == generation:
        return entry[1]
    value = read()
    with _kept_lock:
        _kept.pop(key, None)
        if len(_kept) >= MAX_KEPT:
            _kept.pop(next(iter(_kept)))
        _kept[key] = (generation, value)
    return value


def forget_organization_rows(**_signal) -> None:
    """Every organization's kept options are stale: a new generation, now and once the current
    transaction commits (a signal receiver too)."""
    cache.set(KEPT_KEY, uuid.uuid4().hex, KEPT_SECONDS)
    transaction.on_commit(lambda: cache.set(KEPT_KEY, uuid.uuid4().hex, KEPT_SECONDS))


def forget_kept() -> None:
    """Drop this process's kept options and the generation (the tests, between two tests)."""
    with _kept_lock:
        _kept.clear()
    cache.delete(KEPT_KEY)
