"""The built-in policy timeline (compliance.policies.BUILTIN_CHANGES), so it shows in the admin.

The rules engine reads the built-in rows from compliance itself; these rows are for people to
see beside the later ones policy admins add, and are not editable there.
"""

from django.db import migrations


def _jsonable(value):
    return sorted(value) if isinstance(value, frozenset) else value


def add_builtin(apps, schema_editor):
    from compliance.policies import BUILTIN_CHANGES

    Policy = apps.get_model("signatures", "Policy")
    for row in BUILTIN_CHANGES:
        Policy.objects.update_or_create(
            key=row.key,
            defaults={
                "effective": row.effective,
                "carriers": sorted(row.carriers),
                "notice": row.notice,
                "summary_zh": row.summary_zh,
                "summary_en": row.summary_en,
                "params": {name: _jsonable(value) for name, value in row.params.items()},
                "builtin": True,
            },
        )


def remove_builtin(apps, schema_editor):
    apps.get_model("signatures", "Policy").objects.filter(builtin=True).delete()


class Migration(migrations.Migration):
    dependencies = [("signatures", "0001_initial")]

    operations = [migrations.RunPython(add_builtin, remove_builtin)]
