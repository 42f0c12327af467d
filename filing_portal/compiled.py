"""Queries written to SQL once a process, for every organization: its id a placeholder.

Django builds and compiles a query on every request (filters resolved, subqueries cloned, the SQL
written): for the signature form's options, the entities an organization sees and their three kinds
of evidence, about three quarters of what the queries cost. Their SQL is the same for every
organization but for its id: it is written once a process (and database), from the queryset the
usual selectors build for an organization whose id no organization has, and run with the caller's
id put in its place. The same trick as ``row_url``'s (filing_portal/jinja2.py). The rows come back
as the database gives them: a UUID is a string on SQLite (``as_uuid``).
"""

import functools
import uuid

from django.db import connections

PLACEHOLDER = -7390146285013  # no organization's id


def rows(build, organization_id: int, using: str = "default") -> list[tuple]:
    """The rows of ``build(organization)``'s queryset for the organization ``organization_id``;
    ``build`` is a module-level function (its SQL is kept under it), given an unsaved organization."""
    connection = connections[using]
    sql, params = _written(build, using, connection.vendor)
    params = [organization_id if type(value) is int and value == PLACEHOLDER else value for value in params]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


@functools.cache
def _written(build, using: str, vendor: str) -> tuple[str, tuple]:
    from accounts.models import Organization

    queryset = build(Organization(pk=PLACEHOLDER))
    sql, params = queryset.query.get_compiler(using).as_sql()
    if sum(type(value) is int and value == PLACEHOLDER for value in params) == 0:
        raise ValueError(f"{build.__name__} does not depend on the organization")
    return sql, tuple(params)


def as_uuid(value) -> uuid.UUID:
    return value if isinstance(value, uuid.UUID) else uuid.UUID(value)
