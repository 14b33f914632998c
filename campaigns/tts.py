"""What callees will hear: a menu's prompts rendered through the TTS template registry for a
sample contact, and what in the menu Aliyun would refuse or read oddly.

Checked for each prompt (start, each key, bye) whose code is a `TTS_…` template:
- the code is in the registry (`TtsTemplate`) and approved;
- its TTS params name exactly the template's variables (a variable the params do not give is
  refused by Aliyun; a parameter the text does not have is never heard);
- a shared-mode template has at most SHARED_MAX_VARIABLES variables (Aliyun's rule);
- its account (blank: the environment's) is the one of every caller number dialling with the
  menu: a template lives in one account's console;
- no variable's value (the sample contact's, or a fixed one) is longer than VALUE_MAX_CHARS.
  Aliyun's documents as we hold them name a limit on a variable's length without its figure:
  20 characters is the figure of its other template products (*unconfirmed* for voice).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from campaigns.accounts import routes_by_account
from campaigns.models import CallerNumber, Campaign, Contact, MenuTemplate, TtsTemplate, code_kind, render_tts_params

SHARED_MAX_VARIABLES = 2
VALUE_MAX_CHARS = 20


@dataclass
class Prompt:
    label: str  # "Start", "Key 1 (满意)", "Bye"
    code: str
    params: dict[str, str]  # as the call would send them (the sample contact's values filled in)
    template: TtsTemplate | None = None
    heard: str = ""  # the template's text with the values; "" when unknown (a voice file, no template)
    problems: list[str] = field(default_factory=list)


def sample_contact(menu: MenuTemplate) -> Contact | None:
    """The first contact of the first list of the latest campaign using the menu."""
    campaign = Campaign.objects.filter(menu=menu).order_by("-pk").first()
    if campaign is None:
        return None
    first_list = campaign.contact_lists.order_by("name").first()
    return first_list.contacts.order_by("pk").first() if first_list else None


def _raw_prompts(menu: MenuTemplate) -> list[tuple[str, str, str]]:
    found = [(pgettext("menu prompt", "Start"), menu.start_code, menu.start_tts_params)]
    for option in menu.options.order_by("position", "key"):
        if option.code:
            found.append(
                (
                    _("Key %(key)s (%(label)s)") % {"key": option.key, "label": option.label},
                    option.code,
                    option.tts_params,
                )
            )
    if menu.bye_code:
        found.append((pgettext("menu prompt", "Bye"), menu.bye_code, menu.bye_tts_params))
    return found


def _params(text: str, contact: Contact | None) -> dict[str, str]:
    try:
        rendered = render_tts_params(text, contact.tts_context()) if contact else text
        value = json.loads(rendered) if rendered and rendered.strip() else {}
    except ValueError:
        return {}  # invalid JSON: the menu's own form says so
    return {str(k): str(v) for k, v in value.items()} if isinstance(value, dict) else {}


def prompts(menu: MenuTemplate, contact: Contact | None) -> list[Prompt]:
    """Each prompt of the menu, rendered for `contact` (None: the placeholders left as written),
    with its problems."""
    raw = _raw_prompts(menu)
    codes = {code.strip() for _label, code, _params_text in raw}
    registry = {t.code: t for t in TtsTemplate.objects.filter(code__in=codes)}
    accounts = set(CallerNumber.objects.filter(campaigns__menu=menu, active=True).values_list("account_id", flat=True))
    result = []
    for label, code, params_text in raw:
        code = code.strip()
        prompt = Prompt(label, code, _params(params_text, contact))
        if code_kind(code) == "tts":
            prompt.template = registry.get(code)
            prompt.problems = _problems(prompt, contact is not None) + _other_accounts(prompt, accounts)
            if prompt.template is not None:
                prompt.heard = prompt.template.render(prompt.params)
        result.append(prompt)
    return result


def _other_accounts(prompt: Prompt, accounts: set[int | None]) -> list[str]:
    """A template used through caller numbers of an account whose console does not hold it."""
    if prompt.template is None or not accounts - {prompt.template.account_id}:
        return []
    routes = routes_by_account(accounts | {prompt.template.account_id})
    others = sorted(routes[account].name for account in accounts - {prompt.template.account_id})
    return [
        _(
            "Template %(code)s is in the console of account %(account)s, but campaigns using this menu also dial "
            "through %(others)s: Aliyun refuses a template of another account."
        )
        % {"code": prompt.code, "account": routes[prompt.template.account_id].name, "others": ", ".join(others)}
    ]


def _problems(prompt: Prompt, with_contact: bool) -> list[str]:
    names = {"prompt": prompt.label, "code": prompt.code}
    template = prompt.template
    if template is None:
        return [
            _(
                "“%(prompt)s” plays %(code)s, which is not in the TTS template registry: add it with its text from "
                "Aliyun's console to see and check what callees hear."
            )
            % names
        ]
    found = []
    if template.status != TtsTemplate.Status.APPROVED:
        found.append(
            _("“%(prompt)s” plays %(code)s, which is %(status)s at Aliyun: calls with it fail until it is approved.")
            % {**names, "status": template.get_status_display()}
        )
    variables = template.variables()
    unheard = sorted(set(prompt.params) - set(variables))
    if unheard:
        found.append(
            _(
                "“%(prompt)s”: the TTS params give %(names)s, which template %(code)s does not have "
                "(its variables: %(has)s)."
            )
            % {**names, "names": ", ".join(unheard), "has": ", ".join(variables) or _("none")}
        )
    missing = [name for name in variables if name not in prompt.params]
    if missing:
        found.append(
            _(
                "“%(prompt)s”: template %(code)s needs %(names)s, which the TTS params do not give: "
                "Aliyun refuses the call."
            )
            % {**names, "names": ", ".join(missing)}
        )
    if template.shared and len(variables) > SHARED_MAX_VARIABLES:
        found.append(
            _("Template %(code)s is a shared-mode template with %(count)d variables; Aliyun allows at most %(max)d.")
            % {**names, "count": len(variables), "max": SHARED_MAX_VARIABLES}
        )
    for name, value in prompt.params.items():
        if len(value) > VALUE_MAX_CHARS and (with_contact or "${" not in value):
            found.append(
                _(
                    "“%(prompt)s”: the value of %(name)s is %(length)d characters (%(value)s); Aliyun takes at most "
                    "%(max)d characters per variable."
                )
                % {**names, "name": name, "length": len(value), "value": value, "max": VALUE_MAX_CHARS}
            )
    return found
