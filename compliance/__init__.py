"""Carrier and regulator rules as pure Python.

No Django import here (tests/test_compliance_purity.py enforces it): frozen values in,
a list of violations out, the evaluation date always an explicit argument. Forms,
admin, API and tasks call this package; none re-implements a rule.
"""

from .carriers import CARRIERS, Carrier
from .policies import BUILTIN_CHANGES, Policy, PolicyChange, policy_as_of
from .signatures import Violation, check_signature
from .templates import analyze_template, check_template

__all__ = [
    "BUILTIN_CHANGES",
    "CARRIERS",
    "Carrier",
    "Policy",
    "PolicyChange",
    "Violation",
    "analyze_template",
    "check_signature",
    "check_template",
    "policy_as_of",
]
