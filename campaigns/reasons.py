"""Reasons kept as a code and parameters, put into words when shown, in the reader's language.

A pause reason, an operator's note, why a caller number was deactivated, why an import
failed or why one of its rows was rejected is stored as `{"code": "...", "params": {...}}`
(see `reason()`), never as text translated in the language of whichever worker wrote it;
`describe()` renders it in the active language. A parameter may itself be a reason (described
in turn). Free text a person typed, and text an older version stored already worded, is kept
as `{"text": "..."}` (or, for rejected import rows, a plain string) and shown as it is.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils.translation import gettext_lazy as _

MESSAGES = {
    # Why a campaign was paused.
    "paused.config_error": _("Paused by the dispatcher: Aliyun refused the call (%(code)s: %(message)s)."),
    "paused.endpoint_unreachable": _("The voice API endpoint cannot be reached (%(count)d attempts in a row)."),
    "paused.command_line": _("Paused from the command line."),
    "paused.caller_number_invalid": _(
        "Paused: caller number %(number)s was deactivated (%(code)s) and no other is active."
    ),
    "paused.account_secret_unreadable": _(
        "Paused: the AccessKey secret of account %(account)s cannot be decrypted (ACCOUNT_SECRETS_KEY or "
        "DJANGO_SECRET_KEY changed). Enter the secret again, then resume."
    ),
    # What happened to a call.
    "call.settled_by_operator": _("Settled by an operator."),
    "call.worker_lost": _("The worker stopped while sending this call."),
    "call.window_ended": _("The campaign's calling window ended."),
    "call.retry_withdrawn": _("Not retried: a later receipt settled the attempt before it."),
    "call.quota_full": _("Not dialled: its quota is full."),
    "call.branch_not_taken": _("Not dialled: the contact's answer led elsewhere in the survey."),
    "followup.copy_failed": _("Copying the contacts stopped on an unexpected error: %(error)s"),
    # Why a call was not made now (campaigns.dialling.callee_protection, campaigns.dialling.refusals, opt-out).
    "call.contact_hours": _("The contact asked to be called at other hours."),
    "call.contact_hours_never": _(
        "Not called: the contact's own hours (%(hours)s) never meet the campaign's calling window (%(window)s)."
    ),
    "call.callee_limit": _("This number was called too recently (callee limits)."),
    "call.opted_out": _("The callee opted out."),
    # Why a test call was not dialled (campaigns.dialling.test_calls).
    "test_call.do_not_call": _("Not dialled: this number is on the do-not-call list."),
    "test_call.no_caller_number": _("Not dialled: no active caller number has room for a call now."),
    "test_call.callee_limit": _(
        "Not dialled: this number was called too recently (callee limits); try after %(time)s."
    ),
    "test_call.account_unreadable": _("Not dialled: the caller number's Aliyun account secret cannot be decrypted."),
    "test_call.no_slot": _("Not dialled: the account's request rate is taken; try again in a moment."),
    "refusal.over_concurrency": _("The caller number was over its concurrency (%(code)s); retried shortly."),
    "refusal.callee_frequency": _("The callee's frequency limit was reached (%(code)s); deferred."),
    "refusal.carrier_window": _("The carrier refused calls at this time (%(code)s); deferred to the next calling day."),
    "refusal.bad_display_number": _("The display number is invalid (%(code)s); the call goes out on another number."),
    # Why a number is on the do-not-call list (campaigns.opt_out, campaigns.dialling.dispatch).
    "dnc.opted_out": _("Pressed %(key)s to opt out in “%(campaign)s” on %(date)s"),
    "dnc.blocked": _("Blocked after complaints"),
    # Why a caller number is not in use (campaigns.dialling.refusals).
    "caller_number.invalid": _(
        "Aliyun says this display number is invalid (%(code)s). Check it in the Aliyun console."
    ),
    # Why a caller number was flagged or rested (campaigns.health).
    "caller_number.answer_rate_dropped": _(
        "Answer rate %(rate)s over its last %(calls)d calls, against %(baseline)s (%(basis)s)."
    ),
    "caller_number.basis_own": _("its own history"),
    "caller_number.basis_campaigns": _("its campaigns' other numbers"),
    # Why a contact import failed as a whole (`campaigns.contacts.import_files.ImportFileError`, import jobs).
    "import.unknown_encoding": _("Cannot tell the file's text encoding; save it as UTF-8 CSV and try again."),
    "import.maybe_big5": _(
        "The file looks like Big5 (Traditional Chinese) but cannot be read as Big5; save it as UTF-8 CSV and try again."
    ),
    "import.xls": _("Old Excel .xls files are not supported; save as .xlsx or CSV."),
    "import.empty": _("The file is empty."),
    "import.not_csv": _("Cannot read the file as CSV: %(error)s"),
    "import.mixed_encodings": _(
        "The file mixes text encodings (bad bytes near byte %(pos)d); save it again as UTF-8 CSV."
    ),
    "import.csv_broken_after_row": _("Cannot read the file as CSV after row %(row)d: %(error)s"),
    "import.not_xlsx": _("Cannot read the file as an Excel workbook (.xlsx)."),
    "import.xlsx_broken_after_row": _(
        "Cannot read the workbook after row %(row)d: it is damaged or not a plain .xlsx file."
    ),
    "import.too_many_columns": _(
        "The header has %(count)d columns; at most %(max)d can be imported (phone, name and variables)."
    ),
    "import.no_phone_column": _("No phone column found in the header (%(header)s). Name it one of: %(aliases)s."),
    "import.unexpected_error": _("The import stopped on an unexpected error: %(error)s"),
    # Why an imported row was rejected (`campaigns.contacts.phones.InvalidNumber`, `campaigns.contacts.import_rows`).
    "phone.empty": _("the phone number is empty"),
    "phone.spreadsheet_damage": _(
        "the number was damaged by a spreadsheet (%(value)s): its digits are lost; "
        "format the column as text and export again"
    ),
    "phone.extension": _("extensions cannot be dialled: %(value)s"),
    "phone.not_a_number": _("not a phone number: %(value)s"),
    "phone.foreign": _("not a mainland China number: %(value)s"),
    "phone.too_short": _("too short for a phone number (a service short number?): %(value)s"),
    "phone.mobile_digits": _("a mobile number has 11 digits, this one has %(count)d: %(value)s"),
    "phone.service_number": _("400/800 service numbers cannot be called: %(value)s"),
    "phone.no_area_code": _("landline without area code: %(value)s; write it with the area code, e.g. 010-12345678"),
    "phone.invalid_mobile": _("not a valid mobile number: %(value)s"),
    "phone.invalid": _("not a valid mainland China number: %(value)s"),
    "import.name_too_long": _("the name is longer than %(max)d characters"),
    "import.bad_contact_hour": _("%(column)s “%(value)s” is not a time of day like 18:00"),
    "import.bad_contact_hour_dropped": _(
        "imported without its own hours: %(column)s “%(value)s” is not a time of day like 18:00, so the contact "
        "is called at the campaign's hours"
    ),
    # Why an item of an API upsert was rejected (`api.upsert`).
    "contact.unknown_external_id": _("no contact of the list has the external id %(value)s and no phone is given"),
    "contact.external_id_taken": _("external id %(value)s belongs to another number of the list"),
    "contact.bad_item": _("not a contact: %(error)s"),
    # What Aliyun answered (`campaigns.dialling.aliyun.Outcome` values, plus connection failures).
    "api.placed": _("Call placed."),
    "api.throttled": _("Aliyun is throttling requests (%(code)s); the call will be retried."),
    "api.frequency_limited": _("Aliyun frequency control for this number (%(code)s); rescheduled later."),
    "api.caller_busy": _("The caller number is at its concurrency limit (%(code)s); retried later."),
    "api.invalid_number": _("Aliyun rejected the called number as invalid (%(code)s)."),
    "api.blocked_number": _("Aliyun blocked calls to this number after complaints (%(code)s)."),
    "api.config_error": _(
        "Aliyun refused the request (%(code)s): check the account, keys, caller number and templates."
    ),
    "api.unknown": _("No clear answer from Aliyun (%(code)s): the call may have been placed."),
    "api.connect_failed": _(
        "Could not connect to the Aliyun voice endpoint (%(code)s); nothing was sent, retried later."
    ),
}

Reason = dict[str, Any]


class ReasonError(ValueError):
    """An error for staff that carries its reason (a code and params) to store and word in the
    reader's language later; `str()` words it in the active language."""

    def __init__(self, code: str, /, **params: Any) -> None:
        self.reason = reason(code, **params)
        super().__init__(code)

    def __str__(self) -> str:
        return describe(self.reason)


def reason(key: str, /, **params: Any) -> Reason:
    """A reason to store: its code (a key of `MESSAGES`) and the values its text needs."""
    if key not in MESSAGES:
        raise KeyError(f"unknown reason code {key!r}")
    return {"code": key, "params": params}


def typed(text: str) -> Reason:
    """Free text a person typed (or an older version stored already worded), kept as is."""
    return {"text": text} if text else {}


def moment(when: dt.datetime) -> dict[str, str]:
    """A time to store in a reason's params: worded in the reader's time zone when shown, so the
    text agrees with every other time on the page."""
    return {"at": when.astimezone(dt.UTC).isoformat()}


def _local(value: dict[str, str]) -> str:
    from django.utils import timezone

    try:
        return timezone.localtime(dt.datetime.fromisoformat(value["at"])).strftime("%Y-%m-%d %H:%M")
    except (TypeError, ValueError):
        return str(value["at"])


def describe(value: Reason | str | None) -> str:
    """The reason in words, in the active language ("" for none)."""
    if not value:
        return ""
    if isinstance(value, str):
        return value
    if "text" in value:
        return str(value["text"])
    template = MESSAGES.get(value.get("code", ""))
    if template is None:
        return str(value.get("code", ""))
    params = {
        name: (_local(param) if "at" in param else describe(param)) if isinstance(param, dict) else param
        for name, param in (value.get("params") or {}).items()
    }
    try:
        return str(template) % params
    except (KeyError, TypeError, ValueError):
        return str(template)
