"""The staff roles (campaigns.roles) and the permission to see full phone numbers."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

from campaigns.roles import ROLES, create_missing_roles


def create_roles(apps, schema_editor):
    # Permissions are normally created after every migration has run; the groups need them now.
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    create_missing_roles(apps, only_missing=False)


def remove_roles(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name__in=ROLES).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("audit", "0002_append_only"),
        ("receipts", "0005_result_snapshot_holding_time_and_own_hours"),
        ("campaigns", "0014_claim_token_names_its_worker"),
    ]

    operations = [
        migrations.AlterModelOptions(
            name="contact",
            options={
                "permissions": [("see_full_phone_numbers", "See full phone numbers")],
                "verbose_name": "contact",
                "verbose_name_plural": "contacts",
            },
        ),
        migrations.RunPython(create_roles, remove_roles),
    ]
