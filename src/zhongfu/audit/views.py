from django.contrib.auth.decorators import login_required, permission_required
from django.shortcuts import render
from django.views.decorators.http import require_POST

from zhongfu.common.web import paginate

from .models import AuditEntry
from .selectors import audit_entries_for_user
from .services import audit_verify


@login_required
@permission_required("audit.view_auditentry", raise_exception=True)
def log(request):
    action = request.GET.get("action", "")
    page = paginate(request, audit_entries_for_user(user=request.user, action=action), per_page=50)
    return render(request, "audit/log.html", {"page": page, "action": action, "actions": AuditEntry.Action.choices})


@login_required
@permission_required("audit.view_auditentry", raise_exception=True)
@require_POST
def verify(request):
    return render(request, "audit/_verify.html", {"result": audit_verify()})
