import django_rq.urls
from django.contrib import admin
from django.urls import URLPattern, include, path
from django.utils.translation import gettext_lazy
from django.views.generic import RedirectView

from campaigns.person_views import find_person_view
from ivrsite.admin_rq import superusers_only
from ivrsite.view_on_site import view_on_site
from results.views import best_hours_page

# django-rq lets any staff member see (and empty) the job queues: superusers only here.
rq_patterns = [
    URLPattern(p.pattern, superusers_only(p.callback), p.default_args, p.name) for p in django_rq.urls.urlpatterns
]

admin.site.site_header = "ivrsite"
admin.site.site_title = "ivrsite"
admin.site.index_title = gettext_lazy("IVR survey campaigns")
admin.site.site_url = None  # the site is the admin: no "View site" link back to itself

urlpatterns = [
    path("", RedirectView.as_view(pattern_name="admin:index", permanent=False)),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/rq/", include((rq_patterns, "django_rq"))),
    # Ahead of the admin's own route of the same path (and name, so its links land here).
    path("admin/r/<int:content_type_id>/<path:object_id>/", view_on_site, name="view_on_site"),
    path("admin/person/", find_person_view, name="admin-find-person"),
    path("admin/best-hours/", admin.site.admin_view(best_hours_page), name="admin-best-hours"),
    path("admin/", admin.site.urls),
    path("receipts/", include("receipts.urls")),
    path("receipts/", include("results.urls")),
    path("healthz/", include("campaigns.urls")),
    path("api/v1/", include("api.urls")),
    path("surveys/", include("surveys.urls")),
]
