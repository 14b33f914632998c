"""`{{ number|phone }}`: a number as the request's user may see it (campaigns.privacy)."""

from django import template

from campaigns.privacy import shown

register = template.Library()


@register.filter
def phone(number: str) -> str:
    return shown(number or "")
