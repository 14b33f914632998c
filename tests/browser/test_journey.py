"""The whole product the way a user meets it, in headless Chromium against the real stack
(gunicorn, RQ workers, dispatcher, voice simulator, Redis): log in, add a caller number and
a three-key menu, import a CSV with good and bad rows, create and start a campaign, watch it
progress, pause and resume it, read the dashboard, export the results. Once in English and
once in Simplified Chinese, where no string of ours may be left in English.

Screenshots: test-results/browser/<test>/NN-page.png."""

from __future__ import annotations

import csv
import io
import re
import time
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

from campaigns.models import Call, Campaign, ContactList
from results.aggregates import progress
from tests.stack import Stack, database_url
from tests.test_i18n import PO_PATH, parse_po
from tests.waiting import wait_until

pytestmark = [
    pytest.mark.browser,
    pytest.mark.slow,
    pytest.mark.django_db(transaction=True),
    pytest.mark.xdist_group("browser"),
]

PASSWORD = "journey-Password-2026"
GOOD = 30
# A CSV as people send them: Chinese headers, a variable column, and some rows that cannot be dialled.
BAD_ROWS = [
    ("1.38E+10", "表格损坏", "宽带"),
    ("12345", "太短", "宽带"),
    ("", "没有号码", "宽带"),
    ("4008123456", "客服热线", "宽带"),
]


def contacts_csv() -> bytes:
    rows = [("手机号", "姓名", "product")]
    rows += [(f"138{n:08d}", f"客户{n:02d}", "宽带") for n in range(GOOD)]
    rows[5:5] = BAD_ROWS[:2]
    rows += BAD_ROWS[2:]
    buffer = io.StringIO()
    csv.writer(buffer).writerows(rows)
    return buffer.getvalue().encode("utf-8-sig")


# --- which of our strings the Chinese pages must not show in English -------------------


def english_patterns() -> list[re.Pattern]:
    patterns = []
    for entry in parse_po(PO_PATH.read_text(encoding="utf-8")):
        for msgid in filter(None, (entry.msgid, entry.msgid_plural)):
            if (entry.msgstr and entry.msgstr[0] == msgid) or msgid in ("English",):
                continue  # the same in both languages (OutId), or a language's own name
            text = re.sub(r"<[^>]+>", "", msgid).strip().rstrip(":.")
            if not re.search(r"[A-Za-z]{3}", text):
                continue
            parts = re.split(r"%\(\w+\)[sd]|%[sd]", text)
            body = r".+?".join(re.escape(p) for p in parts)
            patterns.append(re.compile(rf"^{body}[.:]?$", re.IGNORECASE))
    return patterns


VISIBLE_TEXT = """() => {
  const out = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const parent = node.parentElement;
    if (!parent || parent.closest("script, style, noscript, [hidden], template")) continue;
    const text = node.textContent.replace(/\\s+/g, " ").trim();
    if (text) out.push(text);
  }
  document.querySelectorAll("input[type=submit], input[type=button], [title], [placeholder], [aria-label]")
    .forEach(el => ["value", "title", "placeholder", "aria-label"].forEach(name => {
      const value = el.getAttribute(name);
      if (value && (name !== "value" || el.matches("input[type=submit], input[type=button]"))) out.push(value.trim());
    }));
  out.push(document.title);
  return out;
}"""


class Journey:
    def __init__(self, page, base_url: str, lang: str, folder: Path):
        self.page, self.base_url, self.lang, self.folder = page, base_url, lang, folder
        self.shots = 0
        self.untranslated: dict[str, list[str]] = {}
        self.too_wide: list[str] = []
        self.patterns = english_patterns() if lang != "en" else []

    def go(self, path: str) -> None:
        self.page.goto(self.base_url + path)

    def evaluate(self, script: str):
        """page.evaluate, again once the page has loaded when it reloaded itself meanwhile (the
        progress pages do, as figures change): on a loaded machine a reload can land between
        the load and the read."""
        for attempt in range(3):
            try:
                return self.page.evaluate(script)
            except PlaywrightError as exc:
                reloading = "Execution context was destroyed" in str(exc) or "is not of type 'Node'" in str(exc)
                if not reloading or attempt == 2:
                    raise
                self.page.wait_for_load_state("networkidle")

    def look(self, name: str) -> None:
        """Screenshot the page and, in Chinese, collect any string of ours shown in English."""
        self.page.wait_for_load_state("networkidle")
        self.shots += 1
        self.page.screenshot(path=self.folder / f"{self.shots:02d}-{name}.png", full_page=True)
        assert self.evaluate("document.documentElement.lang") == self.lang
        if self.evaluate("document.documentElement.scrollWidth > window.innerWidth + 1"):
            self.too_wide.append(name)  # a horizontal scroll bar on a 1366 px wide window
        if not self.patterns:
            return
        for text in self.evaluate(VISIBLE_TEXT):
            cleaned = text.strip(" ›»|:：.。…()（）")
            if any(p.match(cleaned) for p in self.patterns):
                self.untranslated.setdefault(name, []).append(text)

    def t(self, english: str, chinese: str) -> str:
        return chinese if self.lang != "en" else english


def signed_in(browser, base_url: str, lang: str, folder: Path, username: str = "ops") -> Journey:
    """A fresh 1366 px browser context, the language chosen on the login page, signed in as
    `username` (password PASSWORD): the journey starts on the admin's index."""
    context = browser.new_context(viewport={"width": 1366, "height": 900}, locale="en-US")
    context.set_default_timeout(15_000)
    page = context.new_page()
    journey = Journey(page, base_url, lang, folder)
    journey.go("/admin/")
    page.wait_for_url("**/admin/login/**")
    switch = page.locator(f".language-switch button[value={lang}]")
    if switch.is_enabled():  # the current language's button is disabled
        switch.click()
        page.wait_for_url("**/admin/login/**")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.locator("input[type=submit]").click()
    page.wait_for_url(base_url + "/admin/")
    return journey


@pytest.fixture
def stack(tmp_path, results_dir):
    get_user_model().objects.create_superuser("ops", "ops@example.com", PASSWORD)
    with Stack(
        database_url(),
        workers=2,
        simulator_args=("--call-duration-scale", "0.02", "--receipt-flush-interval", "0.3"),
        log_dir=results_dir / "stack-logs",
    ) as running:
        yield running


@pytest.mark.parametrize("lang", ["en", "zh-hans"])
def test_journey(lang, stack, chromium_browser, results_dir):
    context = chromium_browser.new_context(
        viewport={"width": 1366, "height": 900}, locale="en-US", accept_downloads=True
    )
    context.set_default_timeout(15_000)
    page = context.new_page()
    console_errors: list[str] = []
    page.on("pageerror", lambda exc: console_errors.append(str(exc)))
    page.on("console", lambda msg: msg.type == "error" and console_errors.append(f"{page.url}: {msg.text}"))
    # The Content-Security-Policy holds on every page and nothing on them breaks it (Chromium
    # reports each violation as an event the page can see, and in the console).
    context.add_init_script(
        "document.addEventListener('securitypolicyviolation', e => console.error("
        "'CSP violation: ' + e.violatedDirective + ' blocked ' + (e.blockedURI || 'inline') + ' in ' + e.sourceFile));"
    )
    pages_without_csp: list[str] = []
    page.on(
        "response",
        lambda r: (
            r.request.resource_type == "document"
            and r.status == 200
            and "content-security-policy" not in r.headers
            and pages_without_csp.append(r.url)
        ),
    )
    j = Journey(page, stack.url, lang, results_dir)
    suffix = "" if lang == "en" else " 中文"

    # Log in (in Chinese: the language switch on the login page first).
    j.go("/admin/")
    if lang != "en":
        page.locator(".language-switch button[value=zh-hans]").click()
        page.wait_for_url("**/admin/login/**")
    j.look("login")
    page.fill("#id_username", "ops")
    page.fill("#id_password", PASSWORD)
    page.locator("input[type=submit]").click()
    page.wait_for_url(stack.url + "/admin/")
    j.look("admin-index")

    # A caller number.
    j.go("/admin/campaigns/callernumber/add/")
    page.fill("#id_number", "057187654321")
    page.fill("#id_label", "杭州总机" + suffix)
    page.fill("#id_max_concurrent_calls", "50")
    j.look("caller-number-add")
    page.locator("input[name=_save]").click()
    page.wait_for_url("**/callernumber/")
    j.look("caller-number-list")

    # A menu template with three key options, in the inline.
    j.go("/admin/campaigns/menutemplate/add/")
    page.fill("#id_name", "满意度回访" + suffix)
    page.fill("#id_start_code", "TTS_270001")
    page.fill("#id_start_tts_params", '{"name": "${name}", "product": "${product}"}')
    page.fill("#id_bye_code", "TTS_270009")
    page.fill("#id_bye_tts_params", "{}")
    answers = [("1", "满意"), ("2", "一般"), ("3", "不满意")]
    add_row = page.locator("#options-group .add-row a")
    for n, (key, label) in enumerate(answers):
        if not page.locator(f"#id_options-{n}-key").count():
            add_row.click()
        page.select_option(f"#id_options-{n}-key", key)
        page.fill(f"#id_options-{n}-label", label)
        page.fill(f"#id_options-{n}-code", f"TTS_27000{key}")
        page.fill(f"#id_options-{n}-position", str(n))
    j.look("menu-add")
    page.locator("input[name=_continue]").click()
    page.wait_for_url("**/menutemplate/*/change/")
    assert page.locator(".errornote").count() == 0, page.locator(".errornote").inner_text()
    j.look("menu-saved")

    # A contact list, filled from a CSV with good and bad rows: the per-row report.
    j.go("/admin/campaigns/contactlist/add/")
    page.fill("#id_name", "十一月回访名单" + suffix)
    page.locator("input[name=_continue]").click()
    page.wait_for_url("**/contactlist/*/change/")
    contact_list = ContactList.objects.get(name="十一月回访名单" + suffix)
    page.locator(".object-tools a", has_text=j.t("Import contacts", "导入联系人")).click()
    j.look("import-form")
    page.set_input_files("#id_file", files=[{"name": "名单.csv", "mimeType": "text/csv", "buffer": contacts_csv()}])
    page.locator("input[type=submit].default").click()
    page.wait_for_selector("#import-rows")
    summary = page.inner_text("#import-summary")
    assert re.search(rf"\b{GOOD}\b", summary) and re.search(rf"\b{len(BAD_ROWS)}\b", summary), summary
    rejected = page.locator("#import-rows tr.import-invalid")
    assert rejected.count() == len(BAD_ROWS)
    rejected_text = rejected.all_inner_texts()
    assert all(re.match(r"\d+\t", row) for row in rejected_text), rejected_text
    assert any("1.38E+10" in row for row in rejected_text)
    j.look("import-preview")
    page.locator("input[name=confirm]").click()
    page.wait_for_url("**/contactlist/*/change/")
    j.look("import-done")
    assert contact_list.contacts.count() == GOOD
    assert page.locator("#rejected-rows tbody tr").count() == len(BAD_ROWS)

    # A campaign, started from its change page through the confirmation page.
    j.go("/admin/campaigns/campaign/add/")
    page.fill("#id_name", "十一月满意度回访" + suffix)
    for field, label in (("contact_lists", contact_list.name), ("caller_numbers", "057187654321")):
        value = page.locator(f"#id_{field}_from option", has_text=label).first.get_attribute("value")
        page.select_option(f"#id_{field}_from", value)
        page.click(f"#id_{field}_add")
    page.select_option("#id_menu", label="满意度回访" + suffix)
    page.fill("#id_daily_start", "00:00:00")
    page.fill("#id_daily_end", "00:00:00")
    # Slow enough (30 calls take 30 s) that Pause lands mid-campaign even on a machine busy with
    # a second test worker: at 3 calls/s it sometimes finished before the page showed Pause.
    page.fill("#id_max_qps", "1")
    page.fill("#id_max_attempts", "1")
    j.look("campaign-add")
    page.locator("input[name=_continue]").click()
    page.wait_for_url("**/campaign/*/change/")
    assert page.locator(".errornote").count() == 0, page.locator(".errornote").inner_text()
    campaign = Campaign.objects.get(name="十一月满意度回访" + suffix)
    j.look("campaign-draft")
    page.locator("a.transition-start").click()
    j.look("campaign-start-confirm")
    page.locator(".transition-confirm input[type=submit]").click()
    page.wait_for_url(f"**/campaign/{campaign.pk}/change/")

    def running() -> bool:  # a worker enrols the contacts; the page reloads when it is done
        campaign.refresh_from_db()
        return campaign.state == Campaign.State.RUNNING

    wait_until(running, 40, message="enrolment in the background")

    # Progress moves on the page by itself.
    dialled = page.locator(f'dd[data-campaign="{campaign.pk}"][data-figure="dialled"]')
    wait_until(lambda: int(dialled.inner_text() or 0) >= 6, 40, step=0.5, message="progress on the change page")
    j.look("campaign-running")

    # Pause: nothing more is dialled. Resume: it carries on. The page reloads itself when
    # enrolment ends; CI once saw it not do so within 15 s (zh-hans), so give it one reload.
    pause = page.locator("a.transition-pause")
    try:
        pause.wait_for(timeout=8_000)
    except PlaywrightTimeoutError:
        page.reload()
    pause.click()
    page.locator(".transition-confirm input[type=submit]").click()
    page.wait_for_url(f"**/campaign/{campaign.pk}/change/")
    campaign.refresh_from_db()
    assert campaign.state == Campaign.State.PAUSED
    j.look("campaign-paused")
    time.sleep(2)  # calls in flight at the pause settle
    sent = campaign.calls.filter(sent_at__isnull=False).count()
    time.sleep(3)
    assert campaign.calls.filter(sent_at__isnull=False).count() == sent, "dialling went on while paused"
    assert sent < GOOD, "the campaign finished before it could be paused; lower max_qps"
    page.locator("a.transition-resume").click()
    page.locator(".transition-confirm input[type=submit]").click()
    page.wait_for_url(f"**/campaign/{campaign.pk}/change/")
    # Pausing needed the slow rate; the rest of the list need not wait for it (the dial job
    # reads the rate again with every batch it claims).
    Campaign.objects.filter(pk=campaign.pk).update(max_qps=30)

    # The list page follows it to the end.
    j.go("/admin/campaigns/campaign/")

    def completed() -> bool:
        campaign.refresh_from_db()
        return campaign.state == Campaign.State.COMPLETED

    wait_until(completed, 90, step=0.5, message=f"campaign completion: {progress(campaign, fresh=True)}")
    page.wait_for_timeout(3000)  # one more refresh of the list's figures
    j.look("campaign-list-completed")
    final = progress(campaign, fresh=True)
    assert final["contacts"] == GOOD and final["dialled"] == GOOD and final["pending"] == 0

    # The dashboard: charts drawn, figures as in the database.
    j.go(f"/admin/campaigns/campaign/{campaign.pk}/change/")
    j.look("campaign-completed")
    page.locator(".object-tools a", has_text=j.t("Results dashboard", "结果看板")).click()
    page.wait_for_selector("#results-dashboard")
    page.wait_for_function("() => window.Chart && document.querySelectorAll('.results-chart canvas').length")

    def figures_match() -> bool:
        shown = {f: page.inner_text(f'#results-dashboard dd[data-field="{f}"]') for f in ("contacts", "dialled")}
        shown["answered"] = page.inner_text('#results-dashboard dd[data-field="answered"]')
        if shown != {k: str(final[k]) for k in ("contacts", "dialled", "answered")}:
            page.reload()
            return False
        return True

    wait_until(figures_match, 30, step=2, message="dashboard figures vs database")
    assert page.inner_text('#results-dashboard dd[data-field="pending"]') == "0"
    painted = page.evaluate(
        """() => Array.from(document.querySelectorAll(".results-chart"))
          .filter(section => !section.querySelector(".chart-box").hidden)
          .map(section => {
            const canvas = section.querySelector("canvas");
            const pixels = canvas.getContext("2d").getImageData(0, 0, canvas.width, canvas.height).data;
            let inked = 0;
            for (let i = 3; i < pixels.length; i += 4) { if (pixels[i]) inked++; }
            return [section.dataset.chart, !!Chart.getChart(canvas), canvas.width, inked];
          })"""
    )
    assert len(painted) >= 4, painted
    assert all(has_chart and width > 0 and inked > 500 for _key, has_chart, width, inked in painted), painted
    answers_table = page.locator('[data-chart="answers"] table tbody tr').evaluate_all(
        "rows => rows.map(row => Array.from(row.cells).map(cell => cell.textContent.trim()))"
    )
    for label, count in final["answers"].items():
        assert any(row[0].endswith(label) and row[1] == str(count) for row in answers_table), (
            label,
            count,
            answers_table,
        )
    j.look("dashboard")

    # Export the results from the dashboard and check the file against the calls.
    with page.expect_download() as download_info:
        page.locator(".results-exports a", has_text="CSV").click()
    exported = Path(download_info.value.path()).read_bytes().decode("utf-8-sig")
    (results_dir / "results.csv").write_text(exported, encoding="utf-8")
    rows = list(csv.reader(io.StringIO(exported)))
    header, body = rows[0], rows[1:]
    assert len(body) == GOOD, header
    calls = {c.phone: c for c in Call.objects.filter(campaign=campaign, is_latest=True)}
    phone_column = next(i for i, cell in enumerate(body[0]) if cell.lstrip("'") in calls)
    assert {row[phone_column].lstrip("'") for row in body} == set(calls)
    answered = [c for c in calls.values() if c.answer_label]
    for call in answered:
        row = next(r for r in body if r[phone_column].lstrip("'") == call.phone)
        assert call.answer_label in row, (call.phone, call.answer_label, row)

    assert console_errors == [], console_errors  # CSP violations included
    assert pages_without_csp == []
    assert j.too_wide == [], f"pages wider than the window: {j.too_wide}"
    assert j.untranslated == {}, f"English strings of ours on Chinese pages: {j.untranslated}"
    context.close()
