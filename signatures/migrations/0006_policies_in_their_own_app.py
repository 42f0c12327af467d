from django.db import migrations


class Migration(migrations.Migration):
    """The policy rows and the holiday table now belong to the policies app (its 0001 takes over the
    tables): here they leave the signatures app's state only."""

    dependencies = [
        ("signatures", "0005_blockers"),
        ("policies", "0001_initial"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[migrations.DeleteModel(name="Holiday"), migrations.DeleteModel(name="Policy")],
            database_operations=[],
        ),
    ]
