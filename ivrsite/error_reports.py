"""What Django's error pages (DEBUG=1) and error e-mails show of settings, request META and
local variables: Django's own filter hides names that look secret (KEY, TOKEN, PASS...), but
not a password inside a URL such as REDIS_URL or DATABASE_URL; this one hides those too."""

from __future__ import annotations

import re

from django.views.debug import SafeExceptionReporterFilter

# scheme://user:password@host → scheme://user:********@host (user optional, as in redis://:pw@).
URL_PASSWORD = re.compile(r"(?P<head>[a-zA-Z][a-zA-Z0-9+.-]*://[^/\s:@]*:)(?P<password>[^@\s/]+)(?=@)")


def hide_url_passwords(text: str) -> str:
    return URL_PASSWORD.sub(lambda m: m["head"] + SafeExceptionReporterFilter.cleansed_substitute, text)


class CredentialsFilter(SafeExceptionReporterFilter):
    def cleanse_setting(self, key, value):
        value = super().cleanse_setting(key, value)
        return hide_url_passwords(value) if isinstance(value, str) else value

    def get_traceback_frame_variables(self, request, tb_frame):
        return [
            (name, hide_url_passwords(value) if isinstance(value, str) else value)
            for name, value in super().get_traceback_frame_variables(request, tb_frame)
        ]
