"""The locust scenario of benchmarks/load.py (issue 14): a customer logs in, then, one organization after another,
uploads three documents through the upload form (two ID images and the business licence, real files generated as
tests/files.py makes them), applies for a signature in the entity's full name and polls the signature's page.

Run by benchmarks/load.py (headless, against its gunicorn, with the customers it seeded: LOAD_USERS_FILE, a JSON
list of {email, password, filings: [[org_id, entity_id, entity_name], ...]}). Every answer other than the expected
one is a failure.
"""

import itertools
import json
import os
import sys
from pathlib import Path

from locust import HttpUser, between, task

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from tests import files  # noqa: E402  (the checkout's own generator of real files)

CUSTOMERS = json.loads(Path(os.environ["LOAD_USERS_FILE"]).read_text())
NEXT_CUSTOMER = itertools.count()
# A few distinct files of each kind, made once: generating them is the load generator's work, not the server's.
DOCUMENTS = [
    (
        ("legal_rep_id_front", "id-front.jpg", files.jpeg(color=(90 + i, 140, 200)), "image/jpeg"),
        ("legal_rep_id_back", "id-back.jpg", files.jpeg(color=(200, 90 + i, 140)), "image/jpeg"),
        ("entity_certificate", "licence.pdf", files.pdf(), "application/pdf"),
    )
    for i in range(4)
]
POLLS = 3


class Customer(HttpUser):
    wait_time = between(0.5, 1.5)

    def on_start(self):
        customer = CUSTOMERS[next(NEXT_CUSTOMER) % len(CUSTOMERS)]
        self.filings = iter(customer["filings"])
        self.signature_page = None
        self.client.get("/accounts/login/", name="log in (form)")
        self.post("/accounts/login/", {"username": customer["email"], "password": customer["password"]},
                  name="log in", location="/")  # fmt: skip

    def post(self, path, data, name, location, files=None):
        """A form POST answered with a redirect to `location` (a prefix); anything else fails the step."""
        token = self.client.cookies.get("csrftoken", "")
        with self.client.post(path, data=data, files=files, headers={"X-CSRFToken": token}, allow_redirects=False,
                              name=name, catch_response=True) as response:  # fmt: skip
            where = response.headers.get("Location", "")
            if response.status_code != 302 or not where.startswith(location):
                response.failure(f"{response.status_code} to {where!r}: {response.text[:500]}")
                return ""
            response.success()
            return where

    @task
    def file_and_poll(self):
        filing = next(self.filings, None)
        if filing is None:  # every organization of this customer filed: keep polling the last page
            self.poll()
            return
        org, entity, full_name = filing
        self.client.get(f"/o/{org}/entities/{entity}/", name="entity page")
        upload = f"/o/{org}/entities/{entity}/documents/"
        for kind, filename, data, content_type in DOCUMENTS[org % len(DOCUMENTS)]:
            self.post(upload, {"kind": kind}, f"upload {kind}", f"/o/{org}/entities/{entity}/",
                      files={"file": (filename, data, content_type)})  # fmt: skip
        self.client.get(f"/o/{org}/signatures/new/?entity={entity}", name="signature form")
        where = self.post(f"/o/{org}/signatures/new/", {"entity": entity, "source": "full_name", "text": full_name,
                                                        "acknowledge_warnings": "on"},
                          "apply for a signature", f"/o/{org}/signatures/")  # fmt: skip
        if where:
            self.signature_page = where
            for _ in range(POLLS):
                self.wait()  # a person waiting for the verdict, not a loop
                self.poll()

    def poll(self):
        if self.signature_page:
            self.client.get(self.signature_page, name="poll the signature's page")
