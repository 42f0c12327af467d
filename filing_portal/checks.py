"""System checks for what the settings alone cannot promise."""

from pathlib import Path

from django.conf import settings
from django.core.checks import Error, Tags, register


@register(Tags.staticfiles)
def check_front_end_assets(app_configs, **kwargs):
    """The front-end packages come from npm at install time; say so if they are missing."""
    errors = []
    for entry in settings.STATICFILES_DIRS:
        path = Path(entry[1] if isinstance(entry, tuple) else entry)
        if not path.is_dir():
            errors.append(
                Error(
                    f"Front-end assets are missing: {path} does not exist.",
                    hint="Run `make assets` (npm ci), or `make run`, which does it for you.",
                    id="filing_portal.E001",
                )
            )
    return errors
