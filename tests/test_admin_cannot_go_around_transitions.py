"""The admin cannot go around the state machine: no ModelAdmin offers a writable form field
that a transition owns; calls and receipts are read-only (operator actions only)."""

from __future__ import annotations

import pytest
from django.contrib import admin
from django.test import RequestFactory
from django.urls import reverse

from campaigns.models import Call, CallerNumber, Campaign, DoNotCall, FollowupBuild, ImportJob
from receipts.models import PendingPush, Receipt, RejectedPush

pytestmark = pytest.mark.django_db

# Fields written by campaigns.transitions (or the import, enrolment and follow-up jobs, or
# the refusal handling), never by a person through a form.
TRANSITION_OWNED = {
    Call: {
        "status", "is_latest", "out_id", "claim_token", "claimed_at", "call_id", "attempt", "due_at",
        "caller_number", "sent_at", "settled_at", "answered_at", "ended_at", "status_code", "dtmf",
        "answer_key", "answer_label", "duration", "error_code", "error_message", "note", "campaign", "contact",
        "phone",
    },
    Campaign: {
        "state", "state_reason", "started_at", "finished_at", "menu_snapshot", "contacts_to_enrol",
        "contacts_enrolled", "followup_of", "followup_segments",
    },
    CallerNumber: {"inactive_reason", "lowered_concurrency", "lowered_until"},
    ImportJob: {f.name for f in ImportJob._meta.fields},
    FollowupBuild: {f.name for f in FollowupBuild._meta.fields},
    DoNotCall: {"reason", "campaign"},
    Receipt: {f.name for f in Receipt._meta.fields},
    RejectedPush: {f.name for f in RejectedPush._meta.fields},
    PendingPush: {f.name for f in PendingPush._meta.fields},
}  # fmt: skip
EVIDENCE = [Call, Receipt, RejectedPush, PendingPush]


@pytest.fixture
def superuser_request(staff_user):
    request = RequestFactory().get("/admin/")
    request.user = staff_user
    return request


def writable_fields(model_admin: admin.ModelAdmin, request, obj) -> set[str]:
    """The fields a POST to the add (obj None) or change form could set."""
    if obj is None and not model_admin.has_add_permission(request):
        return set()
    if obj is not None and not model_admin.has_change_permission(request, obj):
        return set()
    form = model_admin.get_form(request, obj)
    fields = set(form.base_fields) - set(model_admin.get_readonly_fields(request, obj))
    for inline in model_admin.get_inline_instances(request, obj):
        fields |= {f"{inline.model.__name__}.{name}" for name in inline.get_formset(request, obj).form.base_fields}
    return fields


def test_no_admin_form_writes_a_field_a_transition_owns(superuser_request, placed_calls):
    Campaign.objects.filter(pk=placed_calls[0].campaign_id).update(state=Campaign.State.PAUSED)
    Receipt.objects.create(kind=Receipt.Kind.MALFORMED, raw={}, dedupe_key="x")
    checked = []
    for model, model_admin in admin.site._registry.items():
        if model._meta.abstract or not model._meta.managed:
            continue
        owned = TRANSITION_OWNED.get(model, set())
        for obj in [None, model.objects.first()]:
            if obj is None and checked and checked[-1][0] is model:
                continue
            writable = writable_fields(model_admin, superuser_request, obj)
            assert not (writable & owned), f"{type(model_admin).__name__} lets staff write {writable & owned}"
            checked.append((model, obj))
    assert {Call, Campaign, CallerNumber, DoNotCall} <= {model for model, _obj in checked}


@pytest.mark.parametrize("model", EVIDENCE, ids=lambda m: m.__name__)
def test_evidence_cannot_be_added_changed_or_deleted(superuser_request, model):
    model_admin = admin.site._registry[model]
    assert not model_admin.has_add_permission(superuser_request)
    assert not model_admin.has_change_permission(superuser_request)
    assert not model_admin.has_delete_permission(superuser_request)
    assert "delete_selected" not in model_admin.get_actions(superuser_request)


@pytest.fixture
def change_call_client(staff_with):
    return staff_with("change_call")


def test_posting_the_call_change_form_changes_no_transition_owned_field(change_call_client, placed_calls):
    call = placed_calls[0]
    Call.objects.filter(pk=call.pk).update(status=Call.Status.ANSWERED, answer_key="1")
    before = Call.objects.values().get(pk=call.pk)
    response = change_call_client.post(
        reverse("admin:campaigns_call_change", args=[call.pk]),
        {
            "status": "queued", "is_latest": "on", "out_id": "evil", "claim_token": "t", "call_id": "",
            "attempt": "1", "phone": call.phone, "campaign": call.campaign_id, "contact": call.contact_id,
            "due_at_0": "2026-11-02", "due_at_1": "00:00:00", "_save": "Save",
        },
    )  # fmt: skip
    assert response.status_code == 403
    assert Call.objects.values().get(pk=call.pk) == before


def test_change_call_still_settles_unknown_calls_by_the_operator_action(change_call_client, placed_calls):
    call = placed_calls[0]
    Call.objects.filter(pk=call.pk).update(status=Call.Status.UNKNOWN)
    page = change_call_client.get(reverse("admin:campaigns_call_changelist")).content.decode()
    assert "fail_unknown" in page
    change_call_client.post(
        reverse("admin:campaigns_call_changelist"), {"action": "fail_unknown", "_selected_action": [call.pk]}
    )
    assert Call.objects.get(pk=call.pk).status == Call.Status.FAILED
