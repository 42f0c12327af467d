"""The Jinja2 environment of the portal's own pages (the customer site).

Why Jinja2 and not Django's template language for these pages: measured on the benchmark's data
(docs/architecture.md, "A page's fixed cost"), rendering was half to four fifths of a customer page's
time; Jinja2 compiles a template to Python once and renders it several times faster. The admin and
the e-mails stay on Django's templates (the admin's are Django's own).

What the pages use, under the names they had in Django's templates where there is one:
- ``_()``, ``gettext``, ``ngettext``, ``pgettext`` and ``{% trans %}``: Django's catalogues, the same
  msgids (``%(name)s`` placeholders, formatted with ``%``);
- ``url(name, *args)`` as ``{% url %}``, ``row_url(name, *args)`` as ``{% row_url %}``,
  ``static(path)``; ``csrf_input`` and ``request`` come from Django's backend;
- filters ``date`` (Django's format characters, in the current time zone), ``state_badge_class``.
"""

import functools
import uuid

from django.conf import settings
from django.templatetags.static import static
from django.urls import get_script_prefix, get_urlconf, reverse
from django.utils import formats, timezone
from django.utils.translation import get_language, gettext, ngettext, npgettext, pgettext

from jinja2 import Environment

from .badges import state_badge_class


def url(viewname, *args, **kwargs) -> str:
    """``reverse()``, kept a process for the same view and arguments (and script prefix, language and
    URLconf): a reverse() costs about 35 µs, and every page writes eight (the navigation) to twenty
    of the same URLs at each request. Each argument is told by its type too (1 is not True)."""
    try:
        return _url(
            viewname, tuple((type(a), a) for a in args), tuple(sorted((k, type(v), v) for k, v in kwargs.items())),
            get_script_prefix(), get_language(), get_urlconf() or settings.ROOT_URLCONF,
        )  # fmt: skip
    except TypeError:  # an argument that cannot be a key
        return reverse(viewname, args=args or None, kwargs=kwargs or None)


@functools.lru_cache(maxsize=4096)
def _url(viewname, args, kwargs, prefix, language, urlconf) -> str:
    return reverse(viewname, args=[a for _t, a in args] or None, kwargs={k: v for k, _t, v in kwargs} or None)


# Placeholders that no real id or URL holds; a URL in which one appears other than once is reversed whole.
_PLACEHOLDERS = {int: 7390146285013, uuid.UUID: uuid.UUID("9f3c2e1a-7b4d-4c6e-8a5f-0d1e2f3a4b5c")}


@functools.lru_cache(maxsize=4096)
def _row_url_parts(viewname, prefix, language, row, args) -> tuple[str, ...]:
    placeholder = _PLACEHOLDERS[type(args[row])]
    url = reverse(viewname, args=[*args[:row], placeholder, *args[row + 1 :]])
    return tuple(url.split(str(placeholder)))


def row_url(viewname, *args) -> str:
    """The URL ``url()`` gives, for the rows of a list, at a fraction of the cost.

    A reverse() costs about 35 µs (three language look-ups, the resolver's patterns); a list of 25
    rows or the entity page's 50 items paid it for each. The row's id (the last argument that is an
    int or a UUID) is left out: the URL with the other arguments is reversed once (per process, for
    the language and script prefix in use), with a placeholder for the id, and each row's URL is
    that URL with the placeholder replaced."""
    row = next((i for i in reversed(range(len(args))) if type(args[i]) in _PLACEHOLDERS), None)
    if row is None:
        return reverse(viewname, args=args)
    key_args = (*args[:row], _PLACEHOLDERS[type(args[row])], *args[row + 1 :])
    try:
        parts = _row_url_parts(viewname, get_script_prefix(), get_language(), row, key_args)
    except TypeError:  # an argument that cannot be a key
        return reverse(viewname, args=args)
    if len(parts) != 2:
        return reverse(viewname, args=args)
    return str(args[row]).join(parts)


def date(value, format_string="DATE_FORMAT") -> str:
    """Django's ``date`` filter: a datetime in the current time zone, Django's format characters;
    empty for no value (so ``|date("Y-m-d") or _("long-term")`` reads as in Django's templates)."""
    if value in (None, ""):
        return ""
    if hasattr(value, "tzinfo") and hasattr(value, "hour"):
        value = timezone.template_localtime(value)
    # The two formats the pages use, written directly: Django's formatter costs 10-20 µs a call, and a
    # list writes one or two a row. The same text (tests/test_forms_dates.py).
    if format_string == "Y-m-d":
        return f"{value.year:04d}-{value.month:02d}-{value.day:02d}"
    if format_string == "Y-m-d H:i" and hasattr(value, "hour"):
        return f"{value.year:04d}-{value.month:02d}-{value.day:02d} {value.hour:02d}:{value.minute:02d}"
    return formats.date_format(value, format_string)  # a named format (DATE_FORMAT) or format characters


def widget_kind(bound_field) -> str:
    """The widget's class name ("Select", "CheckboxInput"): what _forms.html's field() lays out by."""
    return type(bound_field.field.widget).__name__


def widget_class(kind: str) -> str:
    """The CSS classes crispy-forms' bootstrap5 pack gave a widget: its class name in lower case
    (portal.js and the styles use "select", "textinput"), then Bootstrap's form-select or form-control."""
    if kind in ("FileInput", "ClearableFileInput"):
        return "form-control"
    bootstrap = "form-select" if kind in ("Select", "SelectMultiple", "NullBooleanSelect") else "form-control"
    return f"{kind.lower()} {bootstrap}"


def described_by(bound_field) -> str:
    """The ids of a field's help and errors, for aria-describedby."""
    ids = [f"{bound_field.auto_id}_helptext"] if bound_field.help_text else []
    return " ".join(ids + ([f"{bound_field.auto_id}_error"] if bound_field.errors else []))


def widget_attrs(bound_field, css: str, described: str) -> dict:
    """The attributes field() adds to a widget: its classes after its own, and what describes it."""
    own = bound_field.field.widget.attrs.get("class")
    attrs = {"class": f"{css} {own}" if own else css}
    if described:
        attrs["aria-describedby"] = described
    return attrs


def environment(**options) -> Environment:
    options.pop("autoescape", None)  # always on, whatever a backend's OPTIONS say
    env = Environment(autoescape=True, extensions=["jinja2.ext.i18n"], **options)
    # Old-style gettext: _() returns the translation as it is and a template formats it with %, as
    # Django's catalogues and {% blocktranslate %} have it; the result is escaped like any value.
    env.install_gettext_callables(gettext, ngettext, newstyle=False, pgettext=pgettext, npgettext=npgettext)
    env.globals.update(
        url=url, row_url=row_url, static=static, get_language=get_language, LANGUAGES=settings.LANGUAGES,
        widget_kind=widget_kind, widget_class=widget_class, described_by=described_by, widget_attrs=widget_attrs,
    )  # fmt: skip
    env.filters.update(date=date, state_badge_class=state_badge_class)
    return env
