"""The admin's "view on site" redirect, minus its 500 on models without a table."""

from django.contrib.admin.views.decorators import staff_member_required
from django.contrib.contenttypes import views as contenttype_views
from django.contrib.contenttypes.models import ContentType
from django.http import Http404, HttpRequest, HttpResponse


@staff_member_required
def view_on_site(request: HttpRequest, content_type_id: int, object_id: str) -> HttpResponse:
    """Django's own shortcut, after checking the model has a table to look the object up in
    (django-rq registers a table-less Dashboard model in the admin)."""
    content_type = ContentType.objects.filter(pk=content_type_id).first()
    model = content_type.model_class() if content_type else None
    if model is None or not model._meta.managed:
        raise Http404
    return contenttype_views.shortcut(request, content_type_id, object_id)
