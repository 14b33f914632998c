"""python manage.py menu load FILE.json — create or update a menu template and its key options.

The JSON (see design.md):
    {"name", "start_code", "start_tts_params", "play_times", "timeout_ms",
     "bye_code", "bye_tts_params", "options": [{"key", "label", "code", "tts_params", "action", "score"}]}
(`"action": "opt_out"` puts the caller's number on the do-not-call list when the key is pressed.)
TTS params may be given as a JSON object or as the JSON text of one. `score` (optional, a
number) puts the answer on a numeric scale: the dashboard then shows mean, distribution
and, for a 0–10 scale, NPS.

`${var}` placeholders must name a contact field: name, phone, or a variable carried by
contacts of some list. While no contact exists yet they cannot be checked: the menu is
loaded and the placeholders it uses are listed, so it can be written before the lists
are imported (`campaign start` is the place that checks them against its lists).
Invalid input prints every problem and exits with status 1; nothing is saved.
"""

from __future__ import annotations

import json
from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction
from django.utils.translation import gettext as _

from audit.actors import Actor, add_actor_argument
from audit.record import record
from campaigns.models import (
    BUILTIN_CONTACT_FIELDS,
    OPT_OUT,
    Contact,
    ContactList,
    MenuOption,
    MenuTemplate,
    placeholders,
)

TEMPLATE_FIELDS = {
    "name": str,
    "start_code": str,
    "start_tts_params": (str, dict),
    "play_times": int,
    "timeout_ms": int,
    "bye_code": str,
    "bye_tts_params": (str, dict),
    "options": list,
}
OPTION_FIELDS = {"key": str, "label": str, "code": str, "tts_params": (str, dict), "action": str, "score": (int, float)}
OPTION_ACTIONS = ("", OPT_OUT)
REQUIRED = ("name", "start_code", "options")


def _text(value: object) -> str:
    """TTS params given as an object become compact JSON text, Chinese kept."""
    if isinstance(value, dict):
        return json.dumps(value, ensure_ascii=False)
    return "" if value is None else value


def _messages(exc: ValidationError, where: str) -> list[str]:
    if hasattr(exc, "error_dict"):
        return [f"{where}{field}: {message}" for field, errors in exc.message_dict.items() for message in errors]
    return [f"{where}{message}" for message in exc.messages]


def _check_types(data: dict, spec: dict, where: str) -> list[str]:
    errors = []
    for key in data:
        if key not in spec:
            errors.append(
                _("%(where)sunknown field “%(key)s” (known: %(known)s)")
                % {"where": where, "key": key, "known": ", ".join(spec)}
            )
    for key, kind in spec.items():
        value = data.get(key)
        if value is None:
            continue
        if isinstance(value, bool) or not isinstance(value, kind):
            errors.append(_("%(where)s%(key)s has the wrong type") % {"where": where, "key": key})
    return errors


def validate(data: object) -> tuple[MenuTemplate, list[MenuOption], list[str]]:
    """Build (unsaved) template and options from the JSON; return them with every error found."""
    if not isinstance(data, dict):
        return MenuTemplate(), [], [_("The file must hold one JSON object (a menu).")]
    errors = _check_types(data, TEMPLATE_FIELDS, "")
    errors += [_("%(key)s is required") % {"key": key} for key in REQUIRED if not data.get(key)]
    if errors:
        return MenuTemplate(), [], errors

    template = MenuTemplate.objects.filter(name=data["name"]).first() or MenuTemplate(name=data["name"])
    template.start_code = data["start_code"]
    template.start_tts_params = _text(data.get("start_tts_params"))
    template.play_times = data.get("play_times", 2)
    template.timeout_ms = data.get("timeout_ms", 5000)
    template.bye_code = data.get("bye_code") or ""
    template.bye_tts_params = _text(data.get("bye_tts_params"))
    try:
        template.full_clean(validate_unique=False)
    except ValidationError as exc:
        errors += _messages(exc, "")

    options: list[MenuOption] = []
    seen: set[str] = set()
    for position, item in enumerate(data["options"]):
        where = _("option %(n)d: ") % {"n": position + 1}
        if not isinstance(item, dict):
            errors.append(where + _("must be an object with key, label, code, tts_params"))
            continue
        problems = _check_types(item, OPTION_FIELDS, where)
        problems += [where + _("%(key)s is required") % {"key": k} for k in ("key", "label") if not item.get(k)]
        action = item.get("action") or ""
        if action not in OPTION_ACTIONS:
            problems.append(
                where + _("unknown action “%(action)s” (known: %(known)s)") % {"action": action, "known": OPT_OUT}
            )
        if problems:
            errors += problems
            continue
        option = MenuOption(
            template=template,
            key=item["key"],
            label=item["label"],
            code=item.get("code") or "",
            tts_params=_text(item.get("tts_params")),
            position=position,
            opt_out=action == OPT_OUT,
            score=item.get("score"),
        )
        if option.key in seen:
            errors.append(where + _("key %(key)s is used twice") % {"key": option.key})
        seen.add(option.key)
        try:
            option.full_clean(exclude=["template"], validate_unique=False)
        except ValidationError as exc:
            errors += _messages(exc, where)
        options.append(option)
    return template, options, errors


def known_fields() -> set[str] | None:
    """Contact fields placeholders may name; None while no contact exists to tell."""
    if not Contact.objects.exists():
        return None
    names = set(BUILTIN_CONTACT_FIELDS)
    for contact_list in ContactList.objects.all():
        names |= contact_list.variable_names()
    return names


class Command(BaseCommand):
    help = "Menu templates: `menu load FILE.json` creates or updates one with its key options."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        load = sub.add_parser("load", help="Create or update a menu template from a JSON file.")
        load.add_argument("file")
        add_actor_argument(load)

    def handle(self, *args, **options) -> None:
        if options["action"] == "load":
            self.load(Path(options["file"]), Actor.command_line(options["actor"]))

    def load(self, path: Path, actor: Actor) -> None:
        try:
            data = json.loads(path.read_text(encoding="utf-8-sig"))
        except OSError as exc:
            raise CommandError(_("Cannot read %(path)s: %(error)s") % {"path": path, "error": exc.strerror}) from exc
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise CommandError(_("%(path)s is not valid JSON: %(error)s") % {"path": path, "error": exc}) from exc

        template, menu_options, errors = validate(data)
        texts = [template.start_tts_params, template.bye_tts_params] + [o.tts_params for o in menu_options]
        used = set().union(*(placeholders(t) for t in texts)) if not errors else set()
        known = known_fields()
        if known is not None and used - known:
            errors.append(
                _("unknown placeholders: %(unknown)s; contacts have: %(known)s")
                % {
                    "unknown": ", ".join(f"${{{n}}}" for n in sorted(used - known)),
                    "known": ", ".join(sorted(known)),
                }
            )
        if errors:
            raise CommandError(_("%(path)s is not a valid menu:\n") % {"path": path} + "\n".join(errors))

        with transaction.atomic():
            created = template.pk is None
            template.save()
            template.options.exclude(key__in=[o.key for o in menu_options]).delete()
            for option in menu_options:
                MenuOption.objects.update_or_create(
                    template=template,
                    key=option.key,
                    defaults={
                        "label": option.label,
                        "code": option.code,
                        "tts_params": option.tts_params,
                        "position": option.position,
                        "opt_out": option.opt_out,
                        "score": option.score,
                    },
                )
            record(
                actor,
                "menu.loaded",
                template,
                changes={"file": [None, path.name], "options": [None, len(menu_options)]},
            )
        message = (
            _("Created menu “%(name)s” (id %(id)d) with %(count)d key options.")
            if created
            else _("Updated menu “%(name)s” (id %(id)d) with %(count)d key options.")
        )
        self.stdout.write(message % {"name": template.name, "id": template.pk, "count": len(menu_options)})
        if known is None and used:
            self.stderr.write(
                _("No contacts yet, so placeholders could not be checked; this menu uses: %(names)s")
                % {"names": ", ".join(f"${{{n}}}" for n in sorted(used))}
            )
