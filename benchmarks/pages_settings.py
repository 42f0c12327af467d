"""Settings for benchmarks/pages.py only: the portal's own, plus a URLconf with the bare baseline view.

Never used by the portal itself: the baseline view exists in no production URL.
"""

from filing_portal.settings import *  # noqa: F403

ROOT_URLCONF = "pages_urls"
DEBUG = False
LOGGING = {"version": 1, "disable_existing_loggers": False, "root": {"level": "WARNING"}}
