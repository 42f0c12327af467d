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


@register()
def check_watermark_font(app_configs, **kwargs):
    """ID card images cannot be accepted without a CJK font to stamp the watermark with."""
    candidates = ([settings.WATERMARK_FONT] if settings.WATERMARK_FONT else []) + settings.WATERMARK_FONT_CANDIDATES
    if any(path and Path(path).exists() for path in candidates):
        return []
    return [
        Error(
            "No CJK font for the ID-image watermark.",
            hint="Install Debian's fonts-wqy-microhei (`make assets` does), or set WATERMARK_FONT to a .ttf/.ttc path.",
            id="filing_portal.E002",
        )
    ]
