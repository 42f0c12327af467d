"""Django messages that Django's own Chinese catalogue lacks, marked here so that
`make messages` keeps them in ours (locale/zh_Hans). Nothing imports this module.

Django 5.2.19 changed the password-length message to "%d" and its zh_Hans catalogue has no
translation for the new text yet.
"""

from django.utils.translation import ngettext_lazy

MESSAGES = [
    ngettext_lazy(
        "This password is too short. It must contain at least %d character.",
        "This password is too short. It must contain at least %d characters.",
        10,
    ),
]
