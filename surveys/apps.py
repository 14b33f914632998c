from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SurveysConfig(AppConfig):
    name = "surveys"
    verbose_name = _("Surveys")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from campaigns import enrolment
        from surveys.scheduling import hold_branch_calls

        # A question asked after an answer has every call held back at enrolment, until its
        # contact's answer releases it (surveys.scheduling).
        if hold_branch_calls not in enrolment.BEFORE_RUNNING:
            enrolment.BEFORE_RUNNING.append(hold_branch_calls)
