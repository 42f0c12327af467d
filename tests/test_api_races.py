"""Races over real HTTP against the live portal (its threads, their own database connections).

Idempotency-Key: requests with the same key sent at the same moment create one object, and every one of them
gets its answer: drafts (nothing else stops a second draft of the same text), and submissions (whose text the
first holds: a retry that ran the service again would be refused instead of answered). If-Match: of two
updates carrying the same ETag at once, one wins and the other gets 412."""

import json
import threading
import urllib.error
import urllib.request

import pytest

from accounts.models import Membership
from signatures.models import Signature

from .api_helpers import key_for
from .factories import make_entity
from .test_signatures import NAME, complete_package

pytestmark = pytest.mark.django_db(transaction=True)
KEYS, AT_ONCE = 4, 4


def post(url: str, secret: str, key: str, body: dict, method="POST", headers=None) -> tuple[int, dict]:
    request = urllib.request.Request(url, data=json.dumps(body, ensure_ascii=False).encode(), method=method,
                                     headers={"Authorization": f"Bearer {secret}", "Idempotency-Key": key,
                                              "Content-Type": "application/json", **(headers or {})})  # fmt: skip
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


TEXTS = ["百度网讯", "北京百度", "百度网", "度网讯"]


@pytest.mark.parametrize("submit", [False, True], ids=["drafts", "submissions"])
def test_the_same_key_sent_at_once_creates_one_object(live_server, owner_a, org_a, submit):
    entity = complete_package(make_entity(organization=org_a, name=NAME, uscc="91110000802100433B",
                                          legal_rep_name="张三", legal_rep_id_number="11010519491231002X"))  # fmt: skip
    secret = key_for(Membership.objects.get(user=owner_a))
    url = f"{live_server.url}/api/v1/signatures/"
    answers: dict[str, list] = {f"race-{n}": [] for n in range(KEYS)}

    def body(key):
        text = TEXTS[int(key.split("-")[1])] if submit else "百网"
        return {"entity": str(entity.pk), "source": "abbreviation", "text": text, "submit": submit,
                "acknowledge_warnings": True}  # fmt: skip

    start = threading.Barrier(KEYS * AT_ONCE)

    def send(key):
        start.wait()
        answers[key].append(post(url, secret, key, body(key)))

    threads = [threading.Thread(target=send, args=(key,)) for key in answers for _ in range(AT_ONCE)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert Signature.objects.filter(organization=org_a).count() == KEYS  # one draft a key, not one a request
    for key, got in answers.items():
        assert [status for status, _ in got] == [201] * AT_ONCE, (key, got)
        assert len({data["id"] for _, data in got}) == 1, (key, got)


def test_two_updates_with_the_same_etag_at_once_one_wins_one_gets_412(live_server, owner_a, org_a):
    """If-Match is checked against the row locked in the update's transaction: of two updates that read the same
    version, the second sees the first's change (412), never overwrites it."""
    entity = complete_package(make_entity(organization=org_a, name=NAME, uscc="91110000802100433B",
                                          legal_rep_name="张三", legal_rep_id_number="11010519491231002X"))  # fmt: skip
    secret = key_for(Membership.objects.get(user=owner_a))
    base = f"{live_server.url}/api/v1/signatures/"
    status, created = post(base, secret, "create", {"entity": str(entity.pk), "source": "abbreviation", "text": "百网"})
    assert status == 201
    url = f"{base}{created['id']}/"
    request = urllib.request.Request(url, headers={"Authorization": f"Bearer {secret}"})
    with urllib.request.urlopen(request, timeout=30) as response:
        etag = response.headers["ETag"]
    answers, start = [], threading.Barrier(2)

    def change(text):
        start.wait()
        answers.append(
            post(url, secret, text.encode().hex(), {"text": text}, method="PATCH", headers={"If-Match": etag})
        )

    threads = [threading.Thread(target=change, args=(text,)) for text in ("百度", "度网")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sorted(status for status, _ in answers) == [200, 412], answers
    winner = next(data for status, data in answers if status == 200)
    assert Signature.objects.get(pk=created["id"]).text == winner["text"]
