"""Hot queries whose SQL Django compiles once a process for the same arguments.

Why: on the pages' hottest queries, compiling the SQL costs Django more CPU than running it and
reading the rows. Measured on the benchmark's data (docs/architecture.md, "A page's fixed cost"):
the live check's entity (ten EXISTS for its documents and evidence) took 1.2 ms of Python to build
and compile and 0.37 ms to run and read. A live check repeats the same entity on every keystroke, a
member the same membership on every page: the same queryset, the same SQL.

``rows(build, *args)`` is ``list(build(*args))``, except that the SQL of ``build(*args)`` is kept
(per process, per database alias, up to ``MAX_ENTRIES``) and the next call with the same ``build``
and ``args`` runs it again without building or compiling the queryset. The rows are always read
afresh: what is kept is the SQL text and its parameters, never a result.

A string that changes at each call (the text typed) goes by name, not in the key:
``rows(build, org_id, text=typed)`` calls ``build(org_id, text=<a marker>)`` once, finds the marker
among the SQL's parameters, and puts each call's string in its place. Only strings, and only where
Django passes them to the database as they are (an exact match, ``__in``): a lookup that rewrites
its value (``__contains``, ``__iexact``) would lose the marker, and is refused when first compiled.

The contract that keeps this right: ``build`` is a module-level function whose queryset depends on
its arguments alone (no clock, no request, no setting that changes at run time). The arguments are
hashable (ids, strings). A queryset that needs the time, or one built from many values, is not a
candidate. Objects come back through Django's own iterable (model instances with select_related,
values, values_list), so a caller cannot tell the difference but in time.
"""

import copy
import threading
import uuid

from django.core.exceptions import EmptyResultSet
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.models.query import FlatValuesListIterable, ValuesListIterable

# About 23 KB an entry (the queryset and its compiler, measured on the pages' queries): 1,024 keep a
# worker under 25 MB, and hold the queries of the organizations and entities in use at a time.
MAX_ENTRIES = 1024
_compiled: dict = {}
_lock = threading.Lock()


def rows(build, *args, using: str = DEFAULT_DB_ALIAS, window: tuple[int, int] | None = None, **strings) -> list:
    """``list(build(*args, **strings))``, its SQL compiled once a process for these ``args``.
    ``window``: (start, stop), the slice of the rows to read (a list's page: LIMIT and OFFSET)."""
    if not all(isinstance(value, str) for value in strings.values()):
        raise TypeError("compiled.rows: only strings vary by name")
    key = (build, args, tuple(sorted(strings)), window, using)
    entry = _compiled.get(key)
    if entry is None:
        markers = {name: f"\x00compiled:{name}:{uuid.uuid4().hex}\x00" for name in strings}
        queryset = build(*args, **markers).using(using)
        if window is not None:
            queryset = queryset[window[0] : window[1]]
        compiler = queryset.query.get_compiler(using)
        try:
            sql, params = compiler.as_sql()
        except EmptyResultSet:  # a query that cannot match: nothing to keep, Django answers it
            found = build(*args, **strings).using(using)
            return list(found if window is None else found[window[0] : window[1]])
        slots = {}
        for name, marker in markers.items():
            slots[name] = [i for i, param in enumerate(params) if param == marker]
            if not slots[name] or marker in sql:
                raise ValueError(f"compiled.rows: {build.__qualname__} does not pass {name!r} to the database as it is")
        entry = (queryset, compiler, sql, tuple(params), slots)
        with _lock:
            if len(_compiled) >= MAX_ENTRIES:
                _compiled.pop(next(iter(_compiled)))  # the oldest first
            _compiled[key] = entry
    queryset, compiler, sql, params, slots = entry
    if slots:
        params = list(params)
        for name, positions in slots.items():
            for i in positions:
                params[i] = strings[name]
    # The kept compiler, on this thread's connection, answering with the kept SQL: Django's iterable
    # runs it and builds the objects from the columns the first compilation laid out.
    run = copy.copy(compiler)
    run.connection = connections[using]
    run.as_sql = lambda *_args, **_kwargs: (sql, params)
    # Plain rows as Django's own iterables read them, without a copy of the queryset.
    if queryset._iterable_class is ValuesListIterable:
        return list(run.results_iter(tuple_expected=True))
    if queryset._iterable_class is FlatValuesListIterable:
        return [row[0] for row in run.results_iter()]
    clone = queryset._chain()
    clone.query.get_compiler = lambda *_args, **_kwargs: run
    return list(clone)


def count(build, *args, using: str = DEFAULT_DB_ALIAS) -> int:
    """``build(*args).count()``, its SQL compiled once a process for these ``args``: the rows'
    primary keys counted in a subquery (``SELECT COUNT(*) FROM (…)``), as Django counts a query it
    cannot count directly."""
    key = (count, build, args, using)
    entry = _compiled.get(key)
    if entry is None:
        inner = build(*args).using(using).order_by().values("pk")
        try:
            sql, params = inner.query.get_compiler(using).as_sql()
        except EmptyResultSet:
            return 0
        # Django's own SQL, wrapped as Django wraps a query it cannot count directly; the values stay parameters.
        entry = (f"SELECT COUNT(*) FROM ({sql}) subquery", tuple(params))  # noqa: S608
        with _lock:
            if len(_compiled) >= MAX_ENTRIES:
                _compiled.pop(next(iter(_compiled)))
            _compiled[key] = entry
    sql, params = entry
    with connections[using].cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchone()[0]


def forget() -> None:
    """Drop every kept query (the tests' fixtures, after a schema change)."""
    with _lock:
        _compiled.clear()
