from django.apps import AppConfig


class WorkdaysConfig(AppConfig):
    """The working-day calendar: public holidays and make-up working days as data, for legal time limits."""

    name = "zhongfu.workdays"
    label = "workdays"
