"""Reads of casework. Applications are scoped through their household, like every registry read."""

from django.db.models import QuerySet

from zhongfu.common.errors import NotFound
from zhongfu.registry.selectors import households_visible_to

from .models import Application


def applications_visible_to(user) -> QuerySet[Application]:
    return Application.objects.filter(household__in=households_visible_to(user)).select_related(
        "household", "household__region", "submitted_by"
    )


def application_get_for_user(*, user, application_id: int) -> Application:
    application = applications_visible_to(user).filter(pk=application_id).first()
    if application is None:
        raise NotFound()
    return application
