"""A caller number's health figures on its admin page (`campaigns.health`; its flag: `health.flag_text`)."""

from __future__ import annotations

from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext as _

from campaigns import health
from campaigns.models import CallerNumber


def figures_html(number: CallerNumber) -> str:
    if number.pk is None:
        return "—"
    rows = [
        (_("last hour"), "hour"),
        (_("last day"), "day"),
        (_("its own history (the %(days)d days before)") % {"days": health.HISTORY_DAYS}, "history"),
        (_("its campaigns' other numbers, last day"), "campaigns"),
    ]
    figures = health.figures(number)
    head = format_html(
        "<tr><th></th><th>{}</th><th>{}</th><th>{}</th></tr>", _("calls"), _("answer rate"), _("refusals")
    )
    body = format_html_join(
        "",
        "<tr><th>{}</th><td>{}</td><td>{}</td><td>{}</td></tr>",
        ((label, figures[key].calls, health.percent(figures[key].rate), figures[key].refused) for label, key in rows),
    )
    return format_html('<table class="caller-health">{}{}</table>', head, body)
