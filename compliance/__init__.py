"""Carrier and regulator rules as pure Python.

No Django import here (tests/test_compliance_purity.py enforces it): frozen values in,
a list of violations out, the evaluation date always an explicit argument. Forms,
admin, API and tasks call this package; none re-implements a rule.
"""

from .carriers import CARRIERS, Carrier

__all__ = ["CARRIERS", "Carrier"]
