"""python manage.py compiletranslations [-l zh_Hans] — check and compile our .po catalogues.

Needs nothing but the Python packages: gettext's msgfmt compiles where it is installed (Django's
compilemessages, with --check-format), Babel otherwise. Either way every translation is checked
first (placeholders that fit their msgid, plural forms) and a broken one stops the build with
its file and line, exit status 1, and no .mo written.
"""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from ivrsite.catalogues import CatalogueError, compile_catalogues, msgfmt_installed


class Command(BaseCommand):
    help = "Check and compile the translation catalogues (msgfmt when installed, else Babel)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("-l", "--locale", action="append", default=[], help="Locale(s) to compile (default: all).")
        tool = parser.add_mutually_exclusive_group()
        tool.add_argument("--msgfmt", dest="use_msgfmt", action="store_true", default=None, help="Use msgfmt.")
        tool.add_argument("--babel", dest="use_msgfmt", action="store_false", help="Use Babel even if msgfmt exists.")

    def handle(self, *args, locale: list[str], use_msgfmt: bool | None, **options) -> None:
        if use_msgfmt is None:
            use_msgfmt = msgfmt_installed()
        try:
            compiled = compile_catalogues(locale, use_msgfmt=use_msgfmt)
        except CatalogueError as exc:
            raise CommandError(
                _("Not compiled; fix these translations first:\n%(problems)s") % {"problems": exc}
            ) from exc
        tool = "msgfmt" if use_msgfmt else "Babel"
        for mo_path in compiled if options["verbosity"] else ():
            self.stdout.write(_("%(path)s compiled with %(tool)s.") % {"path": mo_path, "tool": tool})
