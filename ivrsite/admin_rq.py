"""The job-queue pages of django-rq, for superusers only (they can empty queues)."""

from django.contrib import admin
from django.contrib.admin.views.decorators import staff_member_required
from django.contrib.auth.decorators import user_passes_test
from django.urls import URLPattern
from django_rq import models as rq_models
from django_rq.admin import QueueAdmin


def superusers_only(view):
    return staff_member_required(user_passes_test(lambda user: user.is_superuser)(view))


class SuperuserQueueAdmin(QueueAdmin):
    def has_module_permission(self, request) -> bool:
        return request.user.is_active and request.user.is_superuser

    def has_view_permission(self, request, obj=None) -> bool:
        return self.has_module_permission(request)

    def has_change_permission(self, request, obj=None) -> bool:
        return self.has_module_permission(request)

    def get_urls(self):
        # django-rq's own views check is_staff only, so every one of them gets the check.
        return [
            URLPattern(p.pattern, superusers_only(p.callback), p.default_args, p.name)
            if isinstance(p, URLPattern)
            else p
            for p in super().get_urls()
        ]


if admin.site.is_registered(rq_models.Dashboard):
    admin.site.unregister(rq_models.Dashboard)
admin.site.register(rq_models.Dashboard, SuperuserQueueAdmin)
