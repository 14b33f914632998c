"""Contacts, lists, do-not-call, menus, campaigns and calls: one module per table family.

State changes with side effects live in `campaigns.actions` and `campaigns.transitions`;
these modules hold the data and the rules that need nothing but the data.
"""

from campaigns.accounts import VoiceAccount
from campaigns.models.base import (
    BUILTIN_CONTACT_FIELDS,
    FIXED_LINE_DISPLAY_CONCURRENCY,
    MENU_KEYS,
    MOBILE_DISPLAY_CONCURRENCY,
    OPT_OUT,
    PLACEHOLDER_RE,
    validate_timezone,
)
from campaigns.models.callers import CallerNumber
from campaigns.models.calls import Call, with_campaigns
from campaigns.models.campaigns import Campaign, NoCallDay, default_retry_outcomes, default_weekdays
from campaigns.models.contacts import Contact, ContactList, ContactQuerySet
from campaigns.models.donotcall import DoNotCall
from campaigns.models.experiments import ScriptVariant
from campaigns.models.followups import FollowupBuild
from campaigns.models.imports import ImportJob
from campaigns.models.menus import (
    MenuOption,
    MenuTemplate,
    code_kind,
    parse_tts_params,
    placeholders,
    render_tts_params,
)
from campaigns.models.quotas import Quota, SampleRelease
from campaigns.models.stats import CallStats
from campaigns.models.test_calls import TestCall
from campaigns.models.tts import TtsTemplate

__all__ = [
    "BUILTIN_CONTACT_FIELDS",
    "FIXED_LINE_DISPLAY_CONCURRENCY",
    "MENU_KEYS",
    "MOBILE_DISPLAY_CONCURRENCY",
    "OPT_OUT",
    "PLACEHOLDER_RE",
    "Call",
    "CallStats",
    "CallerNumber",
    "Campaign",
    "Contact",
    "ContactList",
    "ContactQuerySet",
    "DoNotCall",
    "FollowupBuild",
    "ImportJob",
    "MenuOption",
    "MenuTemplate",
    "NoCallDay",
    "Quota",
    "SampleRelease",
    "ScriptVariant",
    "TestCall",
    "TtsTemplate",
    "VoiceAccount",
    "code_kind",
    "default_retry_outcomes",
    "default_weekdays",
    "parse_tts_params",
    "placeholders",
    "render_tts_params",
    "validate_timezone",
    "with_campaigns",
]
