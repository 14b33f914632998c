"""The survey designer's POST, written the way its page sends it, and the survey it describes as
a file (the same survey, for `survey load`)."""

from __future__ import annotations

from campaigns.models import MenuOption, MenuTemplate

URL = "/admin/surveys/survey/add/"


def menu_named(name: str, labels: list[str]) -> MenuTemplate:
    template = MenuTemplate.objects.create(name=name, start_code="TTS_300001")
    for n, label in enumerate(labels, start=1):
        MenuOption.objects.create(template=template, key=str(n), label=label, code=f"TTS_30000{n}", position=n)
    return template


def three_menus() -> None:
    menu_named("满意度", ["满意", "一般", "不满意"])
    menu_named("不满意原因", ["价格", "服务"])
    menu_named("推荐意愿", ["会推荐", "不会推荐"])


# Q1 (满意度): 不满意 (key 3) → Q2a after 30 min, 满意 (key 1) → Q2b after 45 min, no answer:
# again after 24 h, 3 attempts. Q2a, Q2b: the end.
QUESTIONS = [
    {"code": "Q1", "menu": "满意度", "retry_after_hours": "24", "max_attempts": "3",
     "next_3": "Q2a", "delay_3": "30", "next_1": "Q2b", "delay_1": "45"},
    {"code": "Q2a", "menu": "不满意原因", "retry_after_hours": "2", "max_attempts": "1"},
    {"code": "Q2b", "menu": "推荐意愿", "retry_after_hours": "24", "max_attempts": "2"},
]  # fmt: skip


def post_data(name: str, questions: list[dict], lists=("客户名单",), callers=("057112345678",), initial=0) -> dict:
    data: dict = {
        "name": name,
        "lists": list(lists),
        "callers": list(callers),
        "timezone": "Asia/Shanghai",
        "window": "09:00-20:00",
        "questions-TOTAL_FORMS": str(len(questions) + 1),  # the page's blank extra question
        "questions-INITIAL_FORMS": str(initial),
        "questions-MIN_NUM_FORMS": "0",
        "questions-MAX_NUM_FORMS": "1000",
        f"questions-{len(questions)}-retry_after_hours": "24",
        f"questions-{len(questions)}-max_attempts": "3",
    }
    for n, question in enumerate(questions):
        for key, value in question.items():
            data[f"questions-{n}-{key}"] = value
    return data


def equivalent_file(name: str) -> dict:
    return {
        "name": name,
        "lists": ["客户名单"],
        "callers": ["057112345678"],
        "timezone": "Asia/Shanghai",
        "window": "09:00-20:00",
        "questions": [
            {
                "id": "Q1",
                "menu": "满意度",
                "no_answer": {"retry_after_hours": 24, "max_attempts": 3},
                "branches": [
                    {"answer": "满意", "ask": "Q2b", "delay_minutes": 45},
                    {"answer": "不满意", "ask": "Q2a", "delay_minutes": 30},
                ],
            },
            {"id": "Q2a", "menu": "不满意原因", "no_answer": {"retry_after_hours": 2, "max_attempts": 1}},
            {"id": "Q2b", "menu": "推荐意愿", "no_answer": {"retry_after_hours": 24, "max_attempts": 2}},
        ],
    }
