"""With DEBUG=1 the 500 page lists settings, request META and local variables: a password
inside a URL (REDIS_URL, DATABASE_URL, a variable holding one) is shown as stars."""

import sys

from django.test import RequestFactory
from django.views.debug import ExceptionReporter

PASSWORD = "hunter2-redis-pw"


def test_the_debug_500_page_hides_passwords_in_urls(settings):
    settings.DEBUG = True
    settings.REDIS_URL = f"redis://:{PASSWORD}@redis.internal:6379/0"
    settings.RQ_QUEUES = {"dial": {"URL": f"redis://default:{PASSWORD}@redis.internal:6379/0"}}
    request = RequestFactory().get("/boom/", HTTP_X_UPSTREAM=f"postgres://app:{PASSWORD}@db/ivr")
    try:
        broker = f"redis://:{PASSWORD}@redis.internal:6379/0"  # a local variable the page lists
        raise RuntimeError(f"cannot reach {broker.split('@')[1]}")
    except RuntimeError:
        html = ExceptionReporter(request, *sys.exc_info()).get_traceback_html()
    assert "redis.internal:6379" in html
    assert PASSWORD not in html
