from django.contrib.auth.decorators import login_required, permission_required
from django.shortcuts import render
from django.views.decorators.http import require_POST
from django_tasks.exceptions import TaskResultDoesNotExist

from zhongfu.common.web import paginate

from .models import AuditEntry
from .selectors import audit_entries_for_user
from .tasks import audit_verify_task


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
    """Queue a verification; the fragment returned polls `verify_status` until the worker is done."""
    result = audit_verify_task.enqueue()
    return render(request, "audit/_verify.html", {"task_id": result.id, "finished": False})


@login_required
@permission_required("audit.view_auditentry", raise_exception=True)
def verify_status(request, task_id: str):
    try:
        result = audit_verify_task.get_result(task_id)
    except TaskResultDoesNotExist:
        return render(request, "audit/_verify.html", {"missing": True}, status=404)
    context = {"task_id": task_id, "finished": result.is_finished, "status": result.status}
    if result.is_finished and result.return_value is not None:
        context["result"] = result.return_value
    return render(request, "audit/_verify.html", context)
