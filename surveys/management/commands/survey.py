"""python manage.py survey load FILE.json   — a multi-question survey, as a draft; prints its id
python manage.py survey start ID          — create its campaigns (one per question) and start them

The file's format is in `surveys.definition`. Bad input: one clear line and exit status 1.
"""

from __future__ import annotations

import json
from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from audit.actors import Actor, add_actor_argument
from surveys import definition, scheduling
from surveys.models import Survey


class Command(BaseCommand):
    help = "Load a multi-question survey from a JSON file, or start one."

    def add_arguments(self, parser: CommandParser) -> None:
        commands = parser.add_subparsers(dest="command", required=True)
        load = commands.add_parser("load", help="Load FILE.json as a draft survey; prints its id.")
        load.add_argument("file")
        add_actor_argument(load)
        start = commands.add_parser("start", help="Create the survey's campaigns and start them.")
        start.add_argument("survey_id", type=int)
        add_actor_argument(start)

    def handle(self, *args, **options) -> None:
        actor = Actor.command_line(options.get("actor"))
        if options["command"] == "load":
            self._load(Path(options["file"]), actor)
        else:
            self._start(options["survey_id"], actor)

    def _load(self, path: Path, actor: Actor) -> None:
        try:
            data = json.loads(path.read_text(encoding="utf-8-sig"))
        except OSError as exc:
            raise CommandError(f"Cannot read {path}: {exc.strerror}") from exc
        except json.JSONDecodeError as exc:
            raise CommandError(f"{path} is not JSON: {exc.msg} (line {exc.lineno})") from exc
        try:
            survey = definition.load(data, actor)
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages)) from exc
        self.stdout.write(f"Survey “{survey.name}” loaded with {survey.questions.count()} questions.")
        self.stdout.write(str(survey.pk))

    def _start(self, survey_id: int, actor: Actor) -> None:
        survey = Survey.objects.filter(pk=survey_id).first()
        if survey is None:
            raise CommandError(f"No survey {survey_id}.")
        try:
            campaigns = scheduling.start_survey(survey, actor)
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages)) from exc
        self.stdout.write(f"Survey “{survey.name}” started: campaigns {', '.join(str(c.pk) for c in campaigns)}.")
