"""A claim token carries the name of the RQ worker that claimed the call (up to 100 characters)."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("campaigns", "0013_background_tasks_one_way")]

    operations = [
        migrations.AlterField(
            model_name="call",
            name="claim_token",
            field=models.CharField(blank=True, max_length=100, verbose_name="claimed by"),
        ),
    ]
