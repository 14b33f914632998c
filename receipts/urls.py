from django.urls import path

from receipts import views

app_name = "receipts"

urlpatterns = [
    path("aliyun/<str:token>/", views.aliyun_push, name="aliyun-push"),
    path("campaigns/<int:campaign_id>/dashboard/", views.dashboard, name="dashboard"),
    path("campaigns/<int:campaign_id>/dashboard/data/", views.dashboard_data, name="dashboard-data"),
    path("campaigns/<int:campaign_id>/export/<str:fmt>/", views.export_results, name="export"),
]
