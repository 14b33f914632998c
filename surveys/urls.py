from django.urls import path

from surveys import views

app_name = "surveys"

urlpatterns = [
    path("<int:survey_id>/", views.survey_tree, name="tree"),
]
