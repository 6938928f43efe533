from django.apps import AppConfig


class EnrolmentConfig(AppConfig):
    """Enrolment after approval: periodic review, suspension, gradual exit, termination, recoveries."""

    name = "zhongfu.enrolment"
    label = "enrolment"
