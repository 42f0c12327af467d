"""Pages shown to a logged-in person are never cached; the public pages may be."""

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("name", ["org:dashboard", "org:members", "org:signature-list", "org:template-list"])
def test_it_keeps_a_logged_in_persons_pages_out_of_every_cache(client, org_a, owner_a, name):
    client.force_login(owner_a)
    response = client.get(reverse(name, args=[org_a.pk]))
    assert response.status_code == 200
    directives = {part.strip() for part in response["Cache-Control"].split(",")}
    assert {"no-store", "private"} <= directives


def test_it_leaves_the_public_pages_to_the_default(client):
    response = client.get(reverse("home"))
    assert response.status_code == 200
    assert "no-store" not in response.get("Cache-Control", "")
