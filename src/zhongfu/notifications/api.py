"""JSON API of the notifications app: one's own notifications only (another user's id answers 404)."""

import datetime as dt

from ninja import Router, Schema

from zhongfu.registry.api import READ_ERRORS
from zhongfu.registry.api import ErrorOut as E

from . import selectors, services

router = Router(tags=["notifications"])

LIMIT = 100


class NotificationOut(Schema):
    id: int
    kind: str
    title: str
    body: str
    link: str
    object_type: str
    object_id: str
    created_at: dt.datetime
    read_at: dt.datetime | None
    emailed_at: dt.datetime | None


class ListOut(Schema):
    unread: int
    items: list[NotificationOut]


class CountOut(Schema):
    marked: int


def _out(n) -> dict:
    return {
        "id": n.pk,
        "kind": n.kind,
        "title": n.title_text,
        "body": n.body_text,
        "link": n.link,
        "object_type": n.object_type,
        "object_id": n.object_id,
        "created_at": n.created_at,
        "read_at": n.read_at,
        "emailed_at": n.emailed_at,
    }


@router.get("/notifications", response={200: ListOut, frozenset({401, 422}): E})
def notification_list(request, unread: bool | None = None):
    """The caller's notifications, unread first, newest first (at most 100); `unread=true` for unread only.
    Titles and texts are in the request's language."""
    rows = selectors.notifications_for(request.auth, unread=unread)[:LIMIT]
    return {"unread": selectors.unread_count(request.auth), "items": [_out(n) for n in rows]}


@router.post("/notifications/read-all", response={200: CountOut, 401: E})
def notification_read_all(request):
    return {"marked": services.notifications_mark_all_read(user=request.auth)}


@router.post("/notifications/{notification_id}/read", response={200: NotificationOut, READ_ERRORS: E})
def notification_read(request, notification_id: int):
    return _out(services.notification_mark_read(user=request.auth, notification_id=notification_id))
