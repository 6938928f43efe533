"""The public side of the notice: an objection lodged by anyone on /casework/notices/ (no login).

It is stored for the worker, who records it on the case (case_services.case_record_objection), which sends the
case back to re-investigation. Lodging it does not change the case's version: the public cannot make a
worker's form stale.
"""

from django.db import transaction
from django.utils.translation import gettext_lazy as _

from zhongfu.audit.services import audit_record
from zhongfu.common.errors import InvalidInput

from .case_services import REASONS_MIN, _text, notice_running
from .models import Case, CaseEvent, Objection, Step

OBJECTIONS_PER_ROUND = 50


@transaction.atomic
def notice_objection_lodge(*, case: Case, name: str, contact: str, text: str) -> Objection:
    """An objection from the public notice page (anonymous): stored for the worker, who records it on the
    case. Bounded in length, and in number per notice, so the page cannot be used to flood the case."""
    case = Case.objects.select_for_update(of=("self",)).select_related("household").get(pk=case.pk)
    if not notice_running(case):
        raise InvalidInput(_("This notice is not running; objections are no longer taken here."))
    name = (name or "").strip()
    if len(name) > 40:
        raise InvalidInput(_("At most %(n)s characters."), field="name", n=40)
    contact = _text(contact, field="contact", label=_("a phone number or address where we can reach you"), minimum=5)
    if len(contact) > 60:
        raise InvalidInput(_("At most %(n)s characters."), field="contact", n=60)
    text = _text(text, field="text", label=_("your objection"), minimum=REASONS_MIN)
    if len(text) > 1000:
        raise InvalidInput(_("At most %(n)s characters."), field="text", n=1000)
    if case.objections.filter(notice_round=case.notice_round).count() >= OBJECTIONS_PER_ROUND:
        raise InvalidInput(_("This notice has received many objections; please call the community office."))
    objection = Objection.objects.create(
        case=case, notice_round=case.notice_round, name=name, contact=contact, text=text
    )
    CaseEvent.objects.create(
        case=case, step=Step.PUBLIC_NOTICE, action="objection_received", data={"objection": objection.pk}
    )
    audit_record(
        actor=None,
        action="create",
        object_type="case",
        object_id=case.pk,
        household_id=case.household_id,
        region_code=case.household.region_id,
        after={"number": case.number, "event": "objection_received", "objection": objection.pk},
    )
    return objection
