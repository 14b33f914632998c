from django.urls import path
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView

from api.views import campaigns, chain, donotcall, lists, results, webhooks

app_name = "api"

urlpatterns = [
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path("docs/", SpectacularRedocView.as_view(url_name="api:schema", template_name="api/redoc.html"), name="docs"),
    path("lists/", lists.ContactListsView.as_view(), name="lists"),
    path("lists/<int:pk>/", lists.ContactListView.as_view(), name="list"),
    path("lists/<int:pk>/contacts/", lists.UpsertContactsView.as_view(), name="upsert"),
    path("campaigns/", campaigns.CampaignsView.as_view(), name="campaigns"),
    path("campaigns/<int:pk>/", campaigns.CampaignView.as_view(), name="campaign"),
    *(
        path(f"campaigns/<int:pk>/{action}/", campaigns.CampaignActionView.as_view(action_name=action), name=action)
        for action in campaigns.ACTIONS
    ),
    path("campaigns/<int:pk>/followups/", campaigns.FollowupView.as_view(), name="followups"),
    path("campaigns/<int:pk>/results/", results.ResultsView.as_view(), name="results"),
    path("campaigns/<int:pk>/chain/", chain.ChainView.as_view(), name="chain"),
    path("campaigns/<int:pk>/aggregates/", results.AggregatesView.as_view(), name="aggregates"),
    path("do-not-call/", donotcall.DoNotCallBulkView.as_view(), name="donotcall-bulk"),
    path("do-not-call/<str:phone>/", donotcall.DoNotCallNumberView.as_view(), name="donotcall"),
    path("webhooks/", webhooks.WebhookEndpointsView.as_view(), name="webhooks"),
    path("webhooks/<int:pk>/", webhooks.WebhookEndpointView.as_view(), name="webhook"),
    path("webhooks/<int:pk>/rotate-secret/", webhooks.RotateSecretView.as_view(), name="webhook-rotate"),
]
