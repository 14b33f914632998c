from django.urls import path

from receipts import views

app_name = "receipts"

urlpatterns = [
    path("aliyun/<str:token>/", views.aliyun_push, name="aliyun-push"),
]
