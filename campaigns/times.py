"""Times as an operator reads them: in one zone (settings.TIME_ZONE, the operator's, unless a
campaign's own zone is asked for), with the UTC offset wherever the text may be read somewhere
else (exports, the command line, a stored reason): `2026-12-06 15:54 +08:00`, never the
ambiguous "CST". Times are stored in UTC; this is the edge where they are converted.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _


def offset(when: dt.datetime) -> str:
    """`+08:00` (ISO 8601's form of the offset of an aware time)."""
    text = when.strftime("%z")  # +0800
    return f"{text[:3]}:{text[3:]}"


def zone_offset(zone: dt.tzinfo | str | None = None, at: dt.datetime | None = None) -> str:
    """The offset of the zone (default: the current one) at a moment (default: now)."""
    zone = zoneinfo.ZoneInfo(zone) if isinstance(zone, str) else zone or timezone.get_current_timezone()
    return offset((at or timezone.now()).astimezone(zone))


def stamp(when: dt.datetime | None, zone: dt.tzinfo | None = None, seconds: bool = False) -> str:
    """`2026-12-06 15:54 +08:00` in the zone (default: the current one); "" for none."""
    if when is None:
        return ""
    local = timezone.localtime(when, zone)
    return f"{local.strftime('%Y-%m-%d %H:%M:%S' if seconds else '%Y-%m-%d %H:%M')} {offset(local)}"


def naive_local(when: dt.datetime | None, zone: dt.tzinfo | None = None) -> dt.datetime | None:
    """The wall-clock time in the zone without its tzinfo: what a spreadsheet cell can hold (the
    zone goes in the column's header)."""
    if when is None:
        return None
    return timezone.localtime(when, zone).replace(tzinfo=None)


def zone_note(zone_name: str) -> str:
    """Said on a campaign's page when its zone is not the operator's (settings.TIME_ZONE)."""
    if zone_name == settings.TIME_ZONE:
        return ""
    return _("Times on this page are in the campaign's time zone, %(zone)s (UTC%(offset)s); elsewhere in %(own)s.") % {
        "zone": zone_name,
        "offset": zone_offset(zone_name),
        "own": settings.TIME_ZONE,
    }
