"""China's working-day calendar, with its make-up working days.

chinese-calendar covers the years the State Council has announced (up to 2026 in the
pinned version). For later years the caller passes the holiday table policy admins keep
in the admin (``extra_holidays`` / ``extra_workdays``); until a year is there, weekends
only are used, and ``is_exact(year)`` says so, so that every date computed that way can
be shown as an estimate.
"""

import datetime as dt

import chinese_calendar


def _covered(year: int) -> bool:
    try:
        chinese_calendar.is_workday(dt.date(year, 6, 1))
    except NotImplementedError:
        return False
    return True


def is_exact(year: int, *, table_years: frozenset[int] = frozenset()) -> bool:
    """Whether working days in ``year`` follow the official calendar (package or admin table)."""
    return _covered(year) or year in table_years


def is_working_day(day: dt.date, *, extra_holidays=frozenset(), extra_workdays=frozenset()) -> bool:
    if day in extra_workdays:
        return True
    if day in extra_holidays:
        return False
    if _covered(day.year):
        return chinese_calendar.is_workday(day)
    return day.weekday() < 5


def add_working_days(start: dt.date, n: int, *, extra_holidays=frozenset(), extra_workdays=frozenset()) -> dt.date:
    """The n-th working day after ``start`` (2025-12-31 + 3 -> 2026-01-06)."""
    if n < 0:
        raise ValueError("n must be zero or more")
    day, counted = start, 0
    while counted < n:
        day += dt.timedelta(days=1)
        if is_working_day(day, extra_holidays=extra_holidays, extra_workdays=extra_workdays):
            counted += 1
    return day


def working_days_between(start: dt.date, end: dt.date, *, extra_holidays=frozenset(),
                         extra_workdays=frozenset()) -> int:  # fmt: skip
    """How many working days after ``start`` up to and including ``end`` (Friday to the next Monday: 1;
    the same day: 0; ``end`` before ``start``: 0). The inverse of add_working_days."""
    counted, day = 0, start
    while day < end:
        day += dt.timedelta(days=1)
        if is_working_day(day, extra_holidays=extra_holidays, extra_workdays=extra_workdays):
            counted += 1
    return counted


def working_days_counted(start: dt.date, end: dt.date, *, extra_holidays=frozenset(),
                         extra_workdays=frozenset()) -> dict[dt.date, int]:  # fmt: skip
    """Every day from ``start`` to ``end`` → the working days after ``start`` up to it: the working days
    between any two of them is a subtraction (many spans over one range: each day is looked up once)."""
    counted, day, found = 0, start, {start: 0}
    while day < end:
        day += dt.timedelta(days=1)
        if is_working_day(day, extra_holidays=extra_holidays, extra_workdays=extra_workdays):
            counted += 1
        found[day] = counted
    return found
