"""`manage.py menu load FILE.json`: create or update a menu template, with clear validation messages."""

import io
import json

import pytest
from django.core.management import CommandError, call_command

from campaigns.models import Contact, ContactList, MenuTemplate

MENU = {
    "name": "回访",
    "start_code": "TTS_100001",
    "start_tts_params": {"name": "${name}", "product": "${product}"},
    "play_times": 2,
    "timeout_ms": 5000,
    "bye_code": "TTS_100009",
    "bye_tts_params": "{}",
    "options": [
        {"key": "1", "label": "满意", "code": "TTS_200001", "tts_params": ""},
        {"key": "2", "label": "不满意", "code": "TTS_200002"},
    ],
}


def load(tmp_path, menu):
    path = tmp_path / "menu.json"
    path.write_text(menu if isinstance(menu, str) else json.dumps(menu, ensure_ascii=False), encoding="utf-8")
    out, err = io.StringIO(), io.StringIO()
    call_command("menu", "load", str(path), stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_creates_then_updates(contact_list, tmp_path):
    out, _ = load(tmp_path, MENU)
    assert "Created" in out
    menu = MenuTemplate.objects.get(name="回访")
    assert json.loads(menu.start_tts_params) == {"name": "${name}", "product": "${product}"}
    assert [(o.key, o.label) for o in menu.options.all()] == [("1", "满意"), ("2", "不满意")]

    changed = {**MENU, "play_times": 3, "options": [{"key": "#", "label": "转人工"}, {"key": "1", "label": "很满意"}]}
    out, _ = load(tmp_path, changed)
    assert "Updated" in out
    menu.refresh_from_db()
    assert menu.play_times == 3
    assert [(o.key, o.label) for o in menu.options.all()] == [("#", "转人工"), ("1", "很满意")]
    assert MenuTemplate.objects.count() == 1


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"play_times": 4}, "Play times must be between 1 and 3"),
        ({"timeout_ms": 5}, "milliseconds"),
        ({"bye_code": "123.wav"}, "same kind"),
        ({"start_tts_params": "{not json"}, "Not valid JSON"),
        ({"start_tts_params": "[1]"}, "JSON object"),
        ({"options": [{"key": "1", "label": "a"}, {"key": "1", "label": "b"}]}, "key 1 is used twice"),
        ({"options": [{"key": "A", "label": "a"}]}, "0–9, * or #"),
        ({"options": [{"key": "1"}]}, "label is required"),
        ({"options": []}, "options is required"),
        ({"playtimes": 2}, "unknown field “playtimes”"),
        ({"play_times": "2"}, "play_times has the wrong type"),
        ({"start_tts_params": {"x": "${nmae}"}}, "unknown placeholders: ${nmae}"),
    ],
)
def test_invalid_menus_are_refused_with_a_message(contact_list, tmp_path, change, message):
    with pytest.raises(CommandError) as exc:
        load(tmp_path, {**MENU, **change})
    assert message in str(exc.value)
    assert not MenuTemplate.objects.filter(name="回访").exists()


def test_several_problems_are_reported_together(contact_list, tmp_path):
    with pytest.raises(CommandError) as exc:
        load(tmp_path, {**MENU, "play_times": 9, "timeout_ms": 1})
    assert "Play times" in str(exc.value) and "milliseconds" in str(exc.value)


def test_broken_json_says_where(db, tmp_path):
    with pytest.raises(CommandError, match="line 1"):
        load(tmp_path, '{"name": "x",')


def test_placeholders_of_any_list_are_known(contact_list, tmp_path):
    other = ContactList.objects.create(name="其他")
    Contact.objects.create(contact_list=other, phone="13900139000", variables={"到期日": "2026-12-31"})
    load(tmp_path, {**MENU, "bye_tts_params": {"date": "${到期日}", "phone": "${phone}"}})
    assert MenuTemplate.objects.filter(name="回访").exists()


def test_without_contacts_placeholders_are_listed_not_refused(db, tmp_path):
    out, err = load(tmp_path, MENU)
    assert "Created" in out
    assert "${name}, ${product}" in err
