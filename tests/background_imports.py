"""Following a background import the way staff do: on the import's page and its list's page
(the upload and the worker's run are the `import_in_background` fixture, in conftest)."""

from __future__ import annotations

from django.conf import settings
from django.urls import reverse

from campaigns.models import ImportJob


def pages_read_by(client, job: ImportJob, language: str) -> list[str]:
    """The import's own admin page and its list's page (its latest import), read in `language`."""
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    urls = [
        reverse("admin:campaigns_importjob_change", args=[job.pk]),
        reverse("admin:campaigns_contactlist_change", args=[job.contact_list_id]),
    ]
    return [client.get(url).content.decode() for url in urls]
