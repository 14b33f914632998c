from django.urls import path

from results import views

app_name = "results"

urlpatterns = [
    path("wallboard/", views.wallboard, name="wallboard"),
    path("wallboard/data/", views.wallboard_data, name="wallboard-data"),
    path("campaigns/<int:campaign_id>/dashboard/", views.dashboard, name="dashboard"),
    path("campaigns/<int:campaign_id>/dashboard/data/", views.dashboard_data, name="dashboard-data"),
    path("campaigns/<int:campaign_id>/export/<str:fmt>/", views.export_results, name="export"),
    path("campaigns/<int:campaign_id>/segments/", views.segment_action, name="segment-action"),
    path("campaigns/<int:campaign_id>/segments/export/<str:fmt>/", views.export_segment, name="segment-export"),
    path("campaigns/<int:campaign_id>/chain/export/<str:fmt>/", views.export_chain, name="chain-export"),
    path("campaigns/<int:campaign_id>/crosstab/export/", views.export_crosstab, name="crosstab-export"),
]
