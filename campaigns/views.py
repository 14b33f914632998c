from django.db import connection
from django.http import HttpRequest, JsonResponse
from django.utils.translation import gettext as _

from campaigns import vacuum


def healthz(request: HttpRequest) -> JsonResponse:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    warnings = []
    if vacuum.autovacuum_on() is False:  # read at most once a minute
        message = _("PostgreSQL autovacuum is off: the dispatcher vacuums the calls table itself; turn it on.")
        warnings.append({"code": "autovacuum_off", "message": message})
    return JsonResponse({"ok": True, "warnings": warnings})
