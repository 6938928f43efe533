"""Casework pages. Thin: scope through selectors, one service, render.

The worker's list (/casework/cases/), a case with its history and the form of its current step, the
manager's overdue view, and the public notice with its objection form (anonymous)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.cache import cache
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from zhongfu.accounts.roles import APPLY_FOR_HOUSEHOLD
from zhongfu.common.errors import DomainError, NotFound, PermissionDenied
from zhongfu.common.web import form_add_domain_error, form_errors_text, get_or_404, paginate
from zhongfu.policies import selectors as policy_selectors
from zhongfu.registry.selectors import household_get_for_user

from . import appeals, case_services, forms, selectors, services
from .models import CaseStatus, Step


def _declared_relations(request):
    """[(user, relation)] from the optional declaration on the apply page; (None, errors) if it is wrong.
    The screening page's one-click button posts no declaration at all."""
    if "rel-TOTAL_FORMS" not in request.POST:
        return [], None
    formset = forms.DeclaredRelationFormSet(request.POST, prefix="rel")
    if not formset.is_valid():
        return None, formset
    wanted = [
        (f.cleaned_data["username"], f.cleaned_data["relation"]) for f in formset if f.cleaned_data.get("username")
    ]
    staff = selectors.staff_by_username([name for name, _relation in wanted])
    missing = [name for name, _relation in wanted if name not in staff]
    if missing:
        formset._non_form_errors = formset.error_class(
            [_("No staff member has the login %(name)s.") % {"name": ", ".join(missing)}]
        )
        return None, formset
    return [(staff[name], relation) for name, relation in wanted], None


@login_required
def apply_form(request, household_id: int):
    """The application with the household's declaration of relationships to staff, before it is made."""
    household = get_or_404(household_get_for_user, user=request.user, household_id=household_id)
    if not request.user.has_perm(APPLY_FOR_HOUSEHOLD):
        raise DjangoPermissionDenied
    context = {
        "household": household,
        "formset": forms.DeclaredRelationFormSet(prefix="rel"),
        "consent_form": forms.ConsentForm(prefix="consent"),
    }
    return render(request, "casework/apply.html", context)


@login_required
@require_POST
def apply_all(request, household_id: int):
    """一件事: one application for every policy the household is eligible for today."""
    household = get_or_404(household_get_for_user, user=request.user, household_id=household_id)
    if not request.user.has_perm(APPLY_FOR_HOUSEHOLD):
        raise DjangoPermissionDenied
    relations, bad = _declared_relations(request)
    # The apply page asks for consent; the screening page's one-click button predates it (consent_by None:
    # the financial check then waits until consent is recorded on the application).
    consent_by, consent_form = None, None
    if "rel-TOTAL_FORMS" in request.POST:
        consent_form = forms.ConsentForm(request.POST, prefix="consent")
        consent_by = consent_form.cleaned_data["consent_by"] if consent_form.is_valid() else ""
    if bad is not None or (consent_form is not None and not consent_form.is_valid()):
        context = {
            "household": household,
            "formset": bad or forms.DeclaredRelationFormSet(request.POST, prefix="rel"),
            "consent_form": consent_form,
        }
        return render(request, "casework/apply.html", context, status=400)
    try:
        application = services.application_submit_all_eligible(
            actor=request.user, household=household, declared_relations=relations, consent_by=consent_by
        )
    except DomainError as e:
        messages.error(request, str(e))
        return redirect("screening:household", household.pk)
    return redirect("casework:application_detail", application.pk)


@login_required
@permission_required("registry.view_household", raise_exception=True)
def application_list(request):
    page = paginate(request, selectors.applications_visible_to(request.user))
    return render(request, "casework/application_list.html", {"page": page})


@login_required
@permission_required("registry.view_household", raise_exception=True)
def application_detail(request, application_id: int):
    application = get_or_404(selectors.application_get_for_user, user=request.user, application_id=application_id)
    names = policy_selectors.policy_names()
    lines = [
        {"line": line, "name": names.get(line.policy_code, line.policy_code)} for line in application.policies.all()
    ]
    cases = {c.policy_code: c for c in selectors.cases_of_application(application)}
    for row in lines:
        row["case"] = cases.get(row["line"].policy_code)
    context = {
        "application": application,
        "lines": lines,
        "consent_form": forms.ConsentForm(prefix="consent") if application.consent_at is None else None,
    }
    return render(request, "casework/application_detail.html", context)


@login_required
@require_POST
def application_consent(request, application_id: int):
    """Record the consent to the financial check on an application made without it."""
    application = get_or_404(selectors.application_get_for_user, user=request.user, application_id=application_id)
    form = forms.ConsentForm(request.POST, prefix="consent")
    if form.is_valid():
        try:
            services.application_record_consent(
                actor=request.user, application=application, consent_by=form.cleaned_data["consent_by"]
            )
        except PermissionDenied:
            raise DjangoPermissionDenied from None
        except DomainError as e:
            messages.error(request, str(e))
        else:
            messages.success(request, _("Saved."))
    else:
        messages.error(request, form_errors_text(form))
    return redirect("casework:application_detail", application.pk)


# --- cases ---------------------------------------------------------------------------------------------

TABS = [
    ("today", gettext_lazy("Due today")),
    ("overdue", gettext_lazy("Overdue")),
    ("week", gettext_lazy("Due this week")),
    ("open", gettext_lazy("All open")),
]
# Decided and closed cases, by status, and those with an appeal waiting: where appeals are found.
STATUS_TABS = [
    ("refused", gettext_lazy("Refused")),
    ("withdrawn", gettext_lazy("Withdrawn")),
    ("approved", gettext_lazy("Approved")),
]


@login_required
@permission_required("registry.view_household", raise_exception=True)
def case_list(request):
    status = request.GET.get("status", "")
    appeal = request.GET.get("appeal", "")
    due = request.GET.get("due", "today")
    if status in selectors.STATUS_FILTERS or appeal == "pending":
        status = status if status in selectors.STATUS_FILTERS else ""
        appeal = "pending" if appeal == "pending" else ""
        due = ""
        qs = selectors.case_search(user=request.user, status=status or None, appeal=appeal or None)
    else:
        status = appeal = ""
        if due not in selectors.DUE_FILTERS:
            due = "today"
        qs = selectors.case_worklist(user=request.user, due=due)
    page = paginate(request, qs)
    page.object_list = selectors.with_heads(page.object_list)
    tabs = [(f"due={key}", str(label), key == due) for key, label in TABS]
    tabs += [(f"status={key}", str(label), key == status and not appeal) for key, label in STATUS_TABS]
    tabs.append(("appeal=pending", str(_("Appeals waiting")), appeal == "pending"))
    context = {"page": page, "due": due, "status": status, "appeal": appeal, "tabs": tabs}
    return render(request, "casework/case_list.html", context)


def _forms_for(case, user, bound=None) -> dict:
    """The forms the user may use on this case now; `bound` (action, form) keeps what the user typed."""
    version = {"expected_version": case.version}
    out = {}
    if case.status == CaseStatus.WITHDRAWN or not services.can_act(user, case):
        return out
    by_step = {
        Step.ACCEPTANCE: ["accept"],
        Step.FINANCIAL_CHECK: ["financial_check"],
        Step.HOME_SURVEY: ["home_survey"],
        Step.COMMUNITY_REVIEW: ["review"],
        Step.NOTIFICATION: ["notify"],
    }
    actions = list(by_step.get(case.step, []))
    if case.step == Step.PUBLIC_NOTICE:
        if case.notice_starts_on is None:
            actions.append("publish_notice")
        elif case_services.notice_running(case) or selectors.case_pending_objections(case).exists():
            actions.append("objection")
    ready = case.step == Step.DECISION or case_services.notice_ended(case)
    if case.status == CaseStatus.OPEN and ready and services.can_decide(user, case):
        actions.append("decide")
    if case.status == CaseStatus.OPEN:
        if case.due_on and not case.extended_to:
            actions.append("extend")
        actions.append("withdraw")
    actions += _appeal_actions(case, user)
    for action in actions:
        if bound and bound[0] == action:
            out[action] = bound[1]
        else:
            out[action] = _step_form(action, case, initial=version)
    return out


def _appeal_actions(case, user) -> list[str]:
    """Record an appeal (any worker, within the limit), decide it or reopen the case (another decider)."""
    window = appeals.appeal_window(case)
    if window is None:
        return []
    decided_by = window["decision_event"].actor_id
    pending = appeals.case_pending_appeal(case)
    if pending is not None:
        return ["appeal_decide"] if services.can_decide_appeal(user, case, decided_by) else []
    out = []
    appealed = case.appeals.filter(decision_event=window["decision_event"]).exists()
    if not appealed and timezone.localdate() <= window["ends_on"]:
        out.append("appeal_lodge")
    if services.can_decide_appeal(user, case, decided_by):
        out.append("reopen")
    return out


def _step_form(action, case, data=None, **kwargs):
    if action in forms.REOPEN_FORMS:
        kwargs["steps"] = appeals.reopen_steps(case)
    return forms.ACTIONS[action](data, **kwargs)


def _case_page(request, case, *, bound=None, error: str = "", status: int = 200):
    step_forms = _forms_for(case, request.user, bound)
    if bound and bound[0] not in step_forms and not error:
        # A form the user may not use here (posted anyway, or the case moved on): its errors go on top.
        error = form_errors_text(bound[1])
    context = {
        "case": selectors.with_heads([case])[0],
        "history": selectors.case_history(case),
        "explanation": selectors.case_explanation(case),
        "objections": selectors.case_pending_objections(case),
        "forms": step_forms,
        "declared": case_services.declared_figures(case),
        "can_decide": services.can_decide(request.user, case),
        "appeals": selectors.case_appeals(case),
        "appeal_window": appeals.appeal_window(case),
        "error": error,
        "today": timezone.localdate(),
    }
    return render(request, "casework/case_detail.html", context, status=status)


@login_required
@permission_required("registry.view_household", raise_exception=True)
def case_detail(request, case_id: int):
    case = get_or_404(selectors.case_get_for_user, user=request.user, case_id=case_id)
    return _case_page(request, case)


@login_required
@require_POST
def case_act(request, case_id: int, action: str):
    """One step form posted: on success back to the case; on any refusal the page again with the input kept."""
    case = get_or_404(selectors.case_get_for_user, user=request.user, case_id=case_id)
    form_class = forms.ACTIONS.get(action)
    if form_class is None:
        raise Http404()
    if not services.can_act(request.user, case):
        raise DjangoPermissionDenied
    form = _step_form(action, case, request.POST)
    if not form.is_valid():
        return _case_page(request, case, bound=(action, form), status=400)
    fields = dict(form.cleaned_data)
    if action == "financial_check":
        fields["department"] = form.department()
    try:
        services.case_step(
            actor=request.user,
            case=case,
            action=action,
            expected_version=form.cleaned_data["expected_version"],
            fields=fields,
            files=request.FILES.getlist("attachments"),
        )
    except services.CaseChanged as e:
        # The user's input stays in the form; the page shows the case as it is now.
        case = selectors.case_get_for_user(user=request.user, case_id=case_id)
        return _case_page(request, case, bound=(action, form), error=str(e), status=409)
    except DomainError as e:
        form_add_domain_error(form, e)
        return _case_page(request, case, bound=(action, form), status=400)
    messages.success(request, _("Saved."))
    return redirect("casework:case_detail", case.pk)


@login_required
@permission_required("registry.view_household", raise_exception=True)
def case_attachment(request, case_id: int, attachment_id: int):
    """A home-survey file, for users who see the case; always downloaded, never rendered in the page."""
    attachment = get_or_404(
        selectors.case_attachment_get_for_user, user=request.user, case_id=case_id, attachment_id=attachment_id
    )
    return FileResponse(
        attachment.file.open("rb"),
        as_attachment=True,
        filename=attachment.original_name,
        content_type=attachment.content_type,
    )


@login_required
@permission_required("registry.view_household", raise_exception=True)
def overdue_by_region(request):
    """For managers: overdue and due cases per street and community in their scope."""
    return render(request, "casework/overdue.html", {"streets": selectors.overdue_by_region(user=request.user)})


# --- the public notice -----------------------------------------------------------------------------------

# Objections from one address: a few an hour (the page is public).
OBJECTIONS_PER_HOUR = 5


def notice_list(request, *, form=None, form_case: int | None = None, status: int = 200):
    notices = selectors.notices_running()
    for notice in notices:
        bound = form if form is not None and form_case == notice["case_id"] else None
        notice["form"] = bound or forms.PublicObjectionForm(prefix=f"n{notice['case_id']}")
    return render(request, "casework/notices.html", {"notices": notices}, status=status)


@require_POST
def notice_objection(request, case_id: int):
    try:
        case = selectors.notice_case(case_id)
    except NotFound:
        raise Http404() from None
    form = forms.PublicObjectionForm(request.POST, prefix=f"n{case_id}")
    if not form.is_valid():
        return notice_list(request, form=form, form_case=case_id, status=400)
    key = f"casework:objections:{request.META.get('REMOTE_ADDR', '')}"
    sent = cache.get(key, 0)
    if sent >= OBJECTIONS_PER_HOUR:
        form.add_error(None, _("Too many objections from this address; please try again later or call the community."))
        return notice_list(request, form=form, form_case=case_id, status=429)
    try:
        services.notice_objection_lodge(case=case, **form.cleaned_data)
    except DomainError as e:
        form_add_domain_error(form, e)
        return notice_list(request, form=form, form_case=case_id, status=400)
    cache.set(key, sent + 1, 3600)
    messages.success(request, _("Your objection was received; the community will look into it."))
    return redirect("casework:notices")


# --- the household's own application (after verifying its household code) ----------------------------


@never_cache
def self_apply(request, token: str):
    """The household applies by itself for the policies it is eligible for, from its benefit list: only in a
    session verified for this household code (disclosure), with its consent and its declared relationships."""
    from zhongfu.disclosure import access as disclosure_access
    from zhongfu.disclosure import selectors as disclosure_selectors
    from zhongfu.screening.selectors import household_evaluate

    try:
        code = disclosure_selectors.household_code_for_token(token)
    except NotFound:
        raise Http404() from None
    if request.user.is_authenticated or not disclosure_access.has_access(request, code):
        return redirect("disclosure:scan", token=token)
    household = code.household
    staff = selectors.staff_for_household(household)
    # An empty POST is still a submission (and its missing consent an error), not a fresh page.
    form = forms.SelfApplyForm(request.POST if request.method == "POST" else None, staff=staff)
    if request.method == "POST" and form.is_valid():
        try:
            application = services.application_submit_all_eligible(
                actor=None,
                household=household,
                channel=services.Channel.SELF_SERVICE,
                declared_relations=form.relations(),
                consent_by=form.cleaned_data["consent_by"],
            )
        except DomainError as e:
            form_add_domain_error(form, e)
        else:
            return render(request, "casework/self_applied.html", {"application": application, "token": token})
    context = {
        "form": form,
        "token": token,
        "household": household,
        "head": disclosure_selectors.household_head(household=household),
        "eligible": household_evaluate(household).eligible,
        "open_application": selectors.application_open_for(household),
    }
    return render(request, "casework/self_apply.html", context, status=400 if form.errors else 200)


def _verified_household(request, token: str):
    """The household of a code this (anonymous) session verified, or a redirect to the verification page."""
    from zhongfu.disclosure import access as disclosure_access
    from zhongfu.disclosure import selectors as disclosure_selectors

    try:
        code = disclosure_selectors.household_code_for_token(token)
    except NotFound:
        raise Http404() from None
    if request.user.is_authenticated or not disclosure_access.has_access(request, code):
        return None, redirect("disclosure:scan", token=token)
    return code.household, None


@never_cache
def self_appeal(request, token: str):
    """The household appeals a refusal (or a termination) of one of its cases by itself, within the time limit,
    in a session verified for its household code."""
    household, gate = _verified_household(request, token)
    if gate is not None:
        return gate
    form, status = None, 200
    if request.method == "POST":
        form = forms.SelfAppealForm(request.POST)
        if form.is_valid():
            case = get_or_404(selectors.household_case, household=household, case_id=form.cleaned_data["case_id"])
            try:
                services.case_appeal_lodge(
                    actor=None,
                    case=case,
                    expected_version=form.cleaned_data["expected_version"],
                    grounds=form.cleaned_data["grounds"],
                )
            except services.CaseChanged:
                form.add_error(None, _("Your case was changed in the meantime; please read it again and resend."))
            except DomainError as e:
                form_add_domain_error(form, e)
            else:
                messages.success(request, _("Your appeal was received. You will be told the outcome in writing."))
                return redirect("casework:self_appeal", token=token)
        status = 400
    cases = selectors.household_decided_cases(household)
    for case in cases:
        posted = form is not None and form.data.get("case_id") == str(case.pk)
        initial = {"case_id": case.pk, "expected_version": case.version}
        case.form = form if posted else forms.SelfAppealForm(initial=initial)
    today = timezone.localdate()
    context = {"token": token, "cases": cases, "form": form, "today": today}
    return render(request, "casework/self_appeal.html", context, status=status)
