"""The Simplified Chinese interface: every string of ours translated (none empty, none fuzzy,
placeholders kept), the catalogue up to date with the code, and pages in Chinese when the
browser asks for it (Accept-Language) or the user picked it (language switch, cookie)."""

from __future__ import annotations

import ast
import fcntl
import gettext
import hashlib
import json
import re
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from asgiref.local import Local
from django.conf import settings
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils import translation

from ivrsite import catalogues
from ivrsite.catalogues import IGNORED, extract_messages, format_problems

ROOT = Path(__file__).resolve().parent.parent
PO_PATH = ROOT / "locale/zh_Hans/LC_MESSAGES/django.po"
PLACEHOLDER = re.compile(r"%\((\w+)\)[sd]|\$\{(\w+)\}|<[^>]+>")


@dataclass
class Entry:
    msgid: str
    msgid_plural: str = ""
    msgstr: list[str] = field(default_factory=list)
    fuzzy: bool = False
    msgctxt: str = ""


def _unquote(line: str) -> str:
    return ast.literal_eval(line.strip())


def parse_po(text: str, keep_header: bool = False) -> list[Entry]:
    """The entries of a .po file (enough of the format for what makemessages writes)."""
    entries: list[Entry] = []
    for block in re.split(r"\n\s*\n", text.strip()):
        lines = [line for line in block.splitlines() if not line.startswith("#~")]  # obsolete entries
        fields: dict[str, str] = {}
        current = None
        fuzzy = False
        for line in lines:
            if line.startswith("#,"):
                fuzzy = fuzzy or "fuzzy" in line
            elif line.startswith("#"):
                continue
            elif line.startswith('"'):
                fields[current] += _unquote(line)
            else:
                current, _, rest = line.partition(" ")
                fields[current] = _unquote(rest)
        if "msgid" not in fields:
            continue
        msgstr = [fields[k] for k in sorted(fields) if k.startswith("msgstr")]
        entries.append(Entry(fields["msgid"], fields.get("msgid_plural", ""), msgstr, fuzzy, fields.get("msgctxt", "")))
    return entries if keep_header else [e for e in entries if e.msgid]


def untranslated(entries: list[Entry]) -> list[str]:
    """msgids without a usable translation: empty, or marked fuzzy (gettext ignores those)."""
    return [e.msgid for e in entries if e.msgid and (e.fuzzy or not e.msgstr or not all(e.msgstr))]


def compile_catalogue() -> None:
    """Build the .mo files (build output, not in git) where older than their .po, and drop
    Django's cached catalogues. One process at a time, and only when stale: test workers run
    side by side, and one reading a .mo another is rewriting would fail."""
    from django.utils.translation import trans_real

    def stale(po: Path) -> bool:
        mo = po.with_suffix(".mo")
        return not mo.exists() or mo.stat().st_mtime < po.stat().st_mtime

    tree = hashlib.sha256(bytes(ROOT)).hexdigest()[:12]
    with (Path(tempfile.gettempdir()) / f"ivrsite-catalogue-{tree}.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if any(stale(po) for po in PO_PATH.parent.glob("*.po")):
            call_command("compiletranslations", locale=["zh_Hans"], verbosity=0)
    trans_real._translations = {}
    trans_real._default = None
    trans_real._active = Local()


@pytest.fixture(scope="module", autouse=True)
def compiled_catalogue():
    compile_catalogue()


@pytest.mark.parametrize("domain", ["django", "djangojs"])
def test_catalogue_is_complete(domain):
    entries = parse_po(PO_PATH.with_name(f"{domain}.po").read_text(encoding="utf-8"))
    assert len(entries) > (100 if domain == "django" else 5), "the catalogue looks truncated"
    assert untranslated(entries) == []


def test_header_is_not_fuzzy_and_has_one_plural_form():
    header = parse_po(PO_PATH.read_text(encoding="utf-8"), keep_header=True)[0]
    assert header.msgid == ""
    assert not header.fuzzy, "a fuzzy header makes msgfmt drop the charset"
    assert "nplurals=1; plural=0;" in header.msgstr[0]


def test_translations_keep_their_placeholders():
    problems = []
    for entry in parse_po(PO_PATH.read_text(encoding="utf-8")):
        wanted = sorted(PLACEHOLDER.findall(entry.msgid))
        for msgstr in entry.msgstr:
            if sorted(PLACEHOLDER.findall(msgstr)) != wanted:
                problems.append((entry.msgid, msgstr))
    assert problems == []


SOURCE_DIRS = ("campaigns", "receipts", "results", "audit", "templates", "ivrsite")
needs_xgettext = pytest.mark.skipif(
    not shutil.which("xgettext"), reason="no GNU gettext (xgettext): the Python extractor variant checks the same"
)
needs_msgfmt = pytest.mark.skipif(
    not shutil.which("msgfmt"), reason="no GNU gettext (msgfmt): the Babel variant checks the same"
)


def copy_tree(tmp_path: Path) -> Path:
    for name in (*SOURCE_DIRS, "locale"):
        shutil.copytree(
            ROOT / name, tmp_path / name, ignore=shutil.ignore_patterns("__pycache__", "*.mo", "migrations")
        )
    return tmp_path


def run_makemessages(tree: Path, monkeypatch) -> list[Entry]:
    """The catalogue as `make messages` would leave it for this tree (xgettext + msgmerge)."""
    monkeypatch.chdir(tree)
    monkeypatch.setattr(settings, "LOCALE_PATHS", [tree / "locale"])
    call_command("makemessages", locale=["zh_Hans"], verbosity=0, ignore_patterns=[".venv", "staticfiles"])
    return parse_po((tree / PO_PATH.relative_to(ROOT)).read_text(encoding="utf-8"))


def missing_with_python_extractor(tree: Path) -> list[str]:
    """The strings of the code without a translation in the tree's catalogue, found without
    gettext: Babel's Python extractor over the code and Django's templatized templates."""
    entries = parse_po((tree / PO_PATH.relative_to(ROOT)).read_text(encoding="utf-8"))
    translated = {(e.msgctxt, e.msgid) for e in entries if not untranslated([e])}
    extracted = [m for name in SOURCE_DIRS for m in extract_messages(tree / name, (*IGNORED, "migrations"))]
    return sorted({m.msgid for m in extracted if (m.context, m.msgid) not in translated})


@needs_xgettext
def test_catalogue_is_up_to_date_with_the_code(tmp_path, monkeypatch):
    """Extract the strings again from a copy of the tree: nothing new and untranslated."""
    missing = untranslated(run_makemessages(copy_tree(tmp_path), monkeypatch))
    assert missing == [], (
        "new or changed strings need a translation: run makemessages (see the header of "
        f"{PO_PATH.relative_to(ROOT)}) and translate them"
    )


def test_catalogue_is_up_to_date_with_the_code_without_gettext():
    """The same check with nothing but Python: every string of the code translated."""
    assert missing_with_python_extractor(ROOT) == [], (
        "new or changed strings need a translation: run `make messages` (needs GNU gettext) or add "
        f"them to {PO_PATH.relative_to(ROOT)} by hand, and translate them"
    )


def test_python_extractor_catches_a_new_untranslated_string(tmp_path):
    tree = copy_tree(tmp_path)
    (tree / "campaigns/new_feature.py").write_text(
        "from django.utils.translation import gettext_lazy as _, pgettext\n"
        'LABEL = _("A label nobody translated")\n'
        'VERB = pgettext("dial", "Start")\n',  # "Start" is translated, but not in this context
        encoding="utf-8",
    )
    (tree / "templates/new_page.html").write_text(
        '{% load i18n %}<div>\n    {% translate "A heading nobody translated" %}\n'
        "    {% blocktranslate trimmed count n=3 %}\n  one row\n{% plural %}\n  {{ n }} rows\n"
        "    {% endblocktranslate %}</div>\n",
        encoding="utf-8",
    )
    assert missing_with_python_extractor(tree) == [
        "A heading nobody translated",
        "A label nobody translated",
        "Start",
        "one row",
    ]


@needs_xgettext
def test_python_extractor_finds_what_makemessages_finds(tmp_path, monkeypatch):
    """Where gettext is installed, the fallback must not miss anything xgettext sees."""
    tree = copy_tree(tmp_path)
    from_python = {
        (m.context, m.msgid) for n in SOURCE_DIRS for m in extract_messages(tree / n, (*IGNORED, "migrations"))
    }
    from_xgettext = {(e.msgctxt, e.msgid) for e in run_makemessages(tree, monkeypatch)}
    assert len(from_python) > 100
    assert from_python == from_xgettext


@needs_msgfmt
def test_catalogue_compiles_with_msgfmt_format_checks(tmp_path):
    """What `compilemessages` runs: msgfmt with --check-format."""
    import subprocess

    result = subprocess.run(
        ["msgfmt", "--check-format", "-o", str(tmp_path / "django.mo"), str(PO_PATH)], capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize("domain", ["django", "djangojs"])
def test_catalogue_compiles_with_babel(tmp_path, domain):
    """Without msgfmt: Babel's placeholder checks pass and its .mo holds every translation."""
    po_path = tmp_path / f"{domain}.po"
    shutil.copy(PO_PATH.with_name(po_path.name), po_path)
    assert format_problems(po_path) == []
    with catalogues.compile_catalogue(po_path).open("rb") as mo:
        compiled = gettext.GNUTranslations(mo)
    assert compiled.info()["content-type"].lower() == "text/plain; charset=utf-8"
    assert compiled.info()["plural-forms"].replace(" ", "") == "nplurals=1;plural=0;"
    entries = parse_po(po_path.read_text(encoding="utf-8"))
    for entry in entries:
        key = f"{entry.msgctxt}\x04{entry.msgid}" if entry.msgctxt else entry.msgid
        if entry.msgid_plural:
            assert compiled.ngettext(entry.msgid, entry.msgid_plural, 2) == entry.msgstr[0], entry.msgid
        else:
            assert compiled._catalog[key] == entry.msgstr[0], entry.msgid


BROKEN_PO = """msgid ""
msgstr ""
"Language: zh_Hans\\n"
"Content-Type: text/plain; charset=UTF-8\\n"
"Plural-Forms: nplurals=1; plural=0;\\n"

#, python-format
msgid "Campaign %(name)s started."
msgstr "外呼任务 %(nmae)s 已开始。"

#, python-format
msgid "%d calls placed by %s."
msgstr "已拨出 %s 通电话。"
"""


@pytest.mark.parametrize("tool", ["babel", pytest.param("msgfmt", marks=needs_msgfmt)])
def test_a_translation_with_a_broken_placeholder_is_not_compiled(tmp_path, settings, tool):
    po_path = tmp_path / "zh_Hans/LC_MESSAGES/django.po"
    po_path.parent.mkdir(parents=True)
    po_path.write_text(BROKEN_PO, encoding="utf-8")
    settings.LOCALE_PATHS = [tmp_path]
    with pytest.raises(CommandError) as refused:
        call_command("compiletranslations", f"--{tool}", verbosity=0)
    assert "'Campaign %(name)s started.'" in str(refused.value) and "nmae" in str(refused.value)
    assert "'%d calls placed by %s.'" in str(refused.value)
    assert not po_path.with_suffix(".mo").exists()


def test_gettext_finds_our_translations():
    with translation.override("zh-hans"):
        assert translation.gettext("Campaigns") == "外呼管理"
        assert translation.gettext("contact lists") == "联系人名单"
        assert translation.gettext("do-not-call list") == "免打扰名单"


def admin_text(response) -> str:
    assert response.status_code == 200
    return response.content.decode()


def test_admin_in_chinese_from_accept_language(staff_client, campaign):
    page = admin_text(staff_client.get(reverse("admin:index"), headers={"accept-language": "zh-Hans,zh;q=0.9"}))
    assert '<html lang="zh-hans"' in page
    for chinese in ("外呼任务", "联系人名单", "主叫号码", "按键菜单模板", "免打扰名单", "IVR 语音调查外呼"):
        assert chinese in page
    assert "Campaigns" not in page


def test_admin_in_chinese_from_language_cookie(staff_client, campaign):
    staff_client.cookies[settings.LANGUAGE_COOKIE_NAME] = "zh-hans"
    page = admin_text(staff_client.get(reverse("admin:campaigns_campaign_change", args=[campaign.pk])))
    for chinese in ("呼叫时段", "速率与重试", "进度", "开始", "结果看板", "草稿"):
        assert chinese in page, chinese
    for english in ("Calling window", "Pacing and retries", "Results dashboard"):
        assert english not in page, english


def test_english_stays_the_default(staff_client, campaign):
    page = admin_text(staff_client.get(reverse("admin:campaigns_campaign_change", args=[campaign.pk])))
    assert '<html lang="en"' in page
    assert "Calling window" in page and "呼叫时段" not in page


def test_language_switch_posts_to_set_language(staff_client, campaign):
    change_url = reverse("admin:campaigns_campaign_change", args=[campaign.pk])
    page = admin_text(staff_client.get(change_url))
    assert f'action="{reverse("set_language")}"' in page
    assert 'value="zh-hans"' in page and "简体中文" in page
    switched = staff_client.post(reverse("set_language"), {"language": "zh-hans", "next": change_url})
    assert switched.status_code == 302 and switched["Location"] == change_url
    assert "呼叫时段" in admin_text(staff_client.get(change_url))


def test_login_page_offers_the_language_switch(client):
    page = admin_text(client.get(reverse("admin:login"), headers={"accept-language": "zh-hans"}))
    assert "简体中文" in page and "English" in page
    assert "ivrsite" in page
    assert "Django" not in page.split("<body", 1)[1], "Django's default branding leaks through"


def test_dashboard_in_chinese(staff_client, placed_calls, running_campaign):
    staff_client.cookies[settings.LANGUAGE_COOKIE_NAME] = "zh-hans"
    page = admin_text(staff_client.get(reverse("results:dashboard", args=[running_campaign.pk])))
    assert "调查结果" in page
    assert "All lists" not in page and "全部名单" in page


def test_admin_javascript_strings_in_chinese(staff_client):
    """Django's own zh_Hans catalogue misses the two-box selector's strings; ours fills them in."""
    staff_client.cookies[settings.LANGUAGE_COOKIE_NAME] = "zh-hans"
    script = staff_client.get(reverse("admin:jsi18n")).content.decode()
    catalog = json.loads(re.search(r"const newcatalog = (\{.*?\});\n", script, re.DOTALL).group(1))
    for entry in parse_po(PO_PATH.with_name("djangojs.po").read_text(encoding="utf-8")):
        assert catalog.get(entry.msgid) == entry.msgstr[0], entry.msgid
    assert catalog["Choose all"] == "全选"  # Django's own translations still there


def test_site_stylesheet_sets_a_cjk_font_stack():
    css = (Path(settings.BASE_DIR) / "static/ivrsite/site.css").read_text(encoding="utf-8")
    stack = re.search(r"--font-family-primary:([^;]+);", css).group(1)
    for family in ("PingFang SC", "Microsoft YaHei", "Noto Sans CJK SC"):
        assert family in stack
