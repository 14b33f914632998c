from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ApiConfig(AppConfig):
    name = "api"
    verbose_name = _("REST API")

    def ready(self) -> None:
        from api import schema  # noqa: F401  (registers the token scheme with drf-spectacular)
        from api.idempotency import delete_expired
        from ivrsite import housekeeping

        housekeeping.register(delete_expired)  # nothing below the API imports it: it signs up itself
