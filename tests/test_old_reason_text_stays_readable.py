"""Why a caller number was deactivated and why an import failed were stored as worded text
before migration 0010 made them reasons: that text is kept and shown as it was."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.urls import reverse

from campaigns.models import CallerNumber, ImportJob

pytestmark = pytest.mark.django_db(transaction=True)  # migrates the schema back and forth

BEFORE = [("campaigns", "0009_i14_list_variable_columns")]
AFTER = [("campaigns", "0010_reasons_for_caller_numbers_and_imports")]
OLD_NUMBER_TEXT = "Aliyun says this display number is invalid (200117). Check it in the Aliyun console."
OLD_IMPORT_TEXT = "表头（姓名）中没有电话列。"


def migrate(targets) -> None:
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)


@pytest.fixture
def stored_before_0010():
    migrate(BEFORE)
    old = MigrationExecutor(connection).loader.project_state(BEFORE).apps
    number = old.get_model("campaigns", "CallerNumber").objects.create(
        number="057188880000", active=False, inactive_reason=OLD_NUMBER_TEXT
    )
    old.get_model("campaigns", "CallerNumber").objects.create(number="057188880001")
    contact_list = old.get_model("campaigns", "ContactList").objects.create(name="旧名单")
    job = old.get_model("campaigns", "ImportJob").objects.create(
        contact_list=contact_list, original_name="旧.csv", status="failed", error=OLD_IMPORT_TEXT
    )
    migrate(AFTER)
    yield number.pk, job.pk
    migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())  # later tests need every migration


def test_old_text_is_shown_as_it_was(stored_before_0010, staff_client):
    number_pk, job_pk = stored_before_0010
    assert CallerNumber.objects.get(pk=number_pk).inactive_reason == {"text": OLD_NUMBER_TEXT}
    assert CallerNumber.objects.get(number="057188880001").inactive_reason == {}
    assert ImportJob.objects.get(pk=job_pk).error == {"text": OLD_IMPORT_TEXT}

    staff_client.cookies[settings.LANGUAGE_COOKIE_NAME] = "zh-hans"
    numbers = staff_client.get(reverse("admin:campaigns_callernumber_changelist")).content.decode()
    job_page = staff_client.get(reverse("admin:campaigns_importjob_change", args=[job_pk])).content.decode()
    assert OLD_NUMBER_TEXT in numbers
    assert OLD_IMPORT_TEXT in job_page
