from django.contrib import admin
from django.urls import include, path
from django.views.generic import RedirectView

urlpatterns = [
    path("", RedirectView.as_view(pattern_name="admin:index", permanent=False)),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/rq/", include("django_rq.urls")),
    path("admin/", admin.site.urls),
    path("receipts/", include("receipts.urls")),
    path("healthz/", include("campaigns.urls")),
]
