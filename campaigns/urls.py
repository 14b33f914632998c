from django.urls import path

from campaigns import views

urlpatterns = [path("", views.healthz, name="healthz")]
