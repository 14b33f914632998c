from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CampaignsConfig(AppConfig):
    name = "campaigns"
    verbose_name = _("Campaigns")

    def ready(self) -> None:
        from django.db.models.signals import post_migrate

        from campaigns import no_call_days  # noqa: F401  (forgets cached dates when they change)

        post_migrate.connect(_roles, dispatch_uid="campaigns.roles")


def _roles(sender, using: str = "default", apps=None, **kwargs) -> None:
    """The staff roles after every migrate and test flush (campaigns.roles; migration 0012 first made them)."""
    from django.apps import apps as installed
    from django.db import router

    from campaigns.roles import create_missing_roles

    # Once every app's permissions exist: post_migrate is sent per app, the last app last.
    last = list(installed.get_app_configs())[-1]
    if sender.label == last.label and router.allow_migrate(using, "auth"):
        create_missing_roles(apps or installed)  # a flush sends no `apps`
