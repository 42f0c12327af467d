"""filing_portal.compiled: the SQL is kept, never the rows; each argument its own query."""

import pytest
from django.db import connection
from django.db.models.sql.compiler import SQLCompiler
from django.test.utils import CaptureQueriesContext

from accounts.models import Membership
from filing_portal import compiled

from .factories import MembershipFactory

pytestmark = pytest.mark.django_db


def _memberships(user_id):
    return Membership.objects.filter(user_id=user_id).select_related("organization").order_by("pk")


def _roles(user_id):
    return Membership.objects.filter(user_id=user_id).values_list("role", flat=True)


def _none(user_id):
    return Membership.objects.filter(user_id=user_id, pk__in=[])


@pytest.fixture
def compilations(monkeypatch):
    """How many times Django compiles a query (its compiler's as_sql, counted, not replaced)."""
    calls = []
    real = SQLCompiler.as_sql

    def counted(self, *args, **kwargs):
        if type(self).__name__ == "SQLCompiler":  # a SELECT, not a fixture's INSERT or UPDATE
            calls.append(self.query.model)
        return real(self, *args, **kwargs)

    monkeypatch.setattr(SQLCompiler, "as_sql", counted)
    compiled.forget()
    yield calls
    compiled.forget()


def test_the_second_call_runs_the_kept_sql_and_reads_the_rows_afresh(owner_a, org_a, compilations):
    first = compiled.rows(_memberships, owner_a.pk)
    assert [m.organization.name for m in first] == [org_a.name] and len(compilations) == 1
    org_a.name = "改名后的企业"
    org_a.save()
    with CaptureQueriesContext(connection) as queries:
        second = compiled.rows(_memberships, owner_a.pk)
    assert len(queries) == 1 and len(compilations) == 1  # run again, not compiled again
    # Fresh rows, with select_related as Django builds them: no query to reach the organization.
    assert [m.organization.name for m in second] == ["改名后的企业"] and second[0] is not first[0]


def test_each_argument_has_its_own_query(owner_a, org_a, owner_b, org_b, compilations):
    assert [m.organization_id for m in compiled.rows(_memberships, owner_a.pk)] == [org_a.pk]
    assert [m.organization_id for m in compiled.rows(_memberships, owner_b.pk)] == [org_b.pk]
    assert [m.organization_id for m in compiled.rows(_memberships, owner_a.pk)] == [org_a.pk]
    assert len(compilations) == 2


def test_values_and_a_query_that_cannot_match(owner_a, org_a, org_b, compilations):
    MembershipFactory(user=owner_a, organization=org_b, role=Membership.Role.MEMBER)
    assert sorted(compiled.rows(_roles, owner_a.pk)) == sorted(compiled.rows(_roles, owner_a.pk)) == ["member", "owner"]
    assert compiled.rows(_none, owner_a.pk) == [] and compiled.rows(_none, owner_a.pk) == []


def test_the_oldest_query_gives_way_when_full(owner_a, owner_b, monkeypatch, compilations):
    monkeypatch.setattr(compiled, "MAX_ENTRIES", 1)
    compiled.rows(_memberships, owner_a.pk)
    compiled.rows(_memberships, owner_b.pk)
    compiled.rows(_memberships, owner_a.pk)
    assert len(compilations) == 3 and len(compiled._compiled) == 1


def _by_email(*, email):
    return Membership.objects.filter(user__email=email).values_list("organization_id", flat=True)


def _by_email_part(*, email):
    return Membership.objects.filter(user__email__contains=email).values_list("organization_id", flat=True)


def test_a_string_by_name_takes_its_place_in_the_kept_sql(owner_a, org_a, owner_b, org_b, compilations):
    assert compiled.rows(_by_email, email=owner_a.email) == [org_a.pk]
    assert compiled.rows(_by_email, email=owner_b.email) == [org_b.pk]
    assert compiled.rows(_by_email, email="无此人@example.cn") == [] and len(compilations) == 1
    with pytest.raises(TypeError):
        compiled.rows(_by_email, email=1)


def test_a_lookup_that_rewrites_its_string_is_refused(owner_a, compilations):
    with pytest.raises(ValueError, match="does not pass 'email' to the database as it is"):
        compiled.rows(_by_email_part, email="owner")


def _members_by_pk(organization_id):
    return Membership.objects.filter(organization_id=organization_id).order_by("pk")


def test_a_window_and_a_count_each_compiled_once_read_afresh(owner_a, org_a, compilations):
    for _ in range(4):
        MembershipFactory(organization=org_a, role=Membership.Role.MEMBER)
    everyone = list(_members_by_pk(org_a.pk))
    compilations.clear()
    assert compiled.count(_members_by_pk, org_a.pk) == 5 == compiled.count(_members_by_pk, org_a.pk)
    assert compiled.rows(_members_by_pk, org_a.pk, window=(1, 3)) == everyone[1:3]
    assert compiled.rows(_members_by_pk, org_a.pk, window=(3, 5)) == everyone[3:5]
    assert compiled.rows(_members_by_pk, org_a.pk, window=(1, 3)) == everyone[1:3]
    assert len(compilations) == 3  # the count's subquery and two windows, each once
    everyone[1].delete()
    assert compiled.count(_members_by_pk, org_a.pk) == 4
    assert compiled.rows(_members_by_pk, org_a.pk, window=(1, 3)) == everyone[2:4]
    assert compiled.count(_members_by_pk, 0) == 0 and compiled.rows(_members_by_pk, 0, window=(0, 25)) == []
