"""Recording a test send: the service the admin calls (issue 10, "admin writes go through services").

Kept apart from services.py while the workflow is redesigned there; to be folded into it as
``services.test_send_record`` (with ``record_test_send`` of the customer site) when merged.
"""

from django.db import transaction

from .models import SmsTemplate, TestSend
from .services import validate_test_send


def test_send_record(*, template: SmsTemplate, user, carrier: str, sent_on, delivered: bool,
                     failure_code: str) -> TestSend:  # fmt: skip
    """Record one test send under the rule the customer site applies (validate_test_send), in one
    transaction: the template is read again, locked, so one withdrawn since the form was shown is refused.
    A delivered send keeps no failure code. Raises ValidationError, writing nothing."""
    with transaction.atomic():
        template = SmsTemplate.objects.select_for_update().get(pk=template.pk)
        validate_test_send(template=template, delivered=delivered, failure_code=failure_code, sent_on=sent_on)
        return TestSend.objects.create(
            template=template, carrier=carrier, sent_on=sent_on, delivered=delivered,
            failure_code="" if delivered else failure_code.strip(), recorded_by=user,
        )  # fmt: skip


test_send_record.__test__ = False  # not a pytest test, despite its name
