"""Registry pages. Thin: parse the request, call one selector or service, render."""

import csv

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.utils.html import escape
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from zhongfu.audit.selectors import audit_entries_for_household
from zhongfu.common.errors import DomainError, NotFound, PermissionDenied
from zhongfu.common.personal_data import mask_name
from zhongfu.common.web import form_add_domain_error, get_or_404, is_htmx, paginate
from zhongfu.regions.selectors import region_path

from . import selectors, services
from .forms import (
    AssetForm,
    ExpenseForm,
    HouseholdForm,
    IncomeForm,
    MemberForm,
    MemberFormSet,
    MoveForm,
    PersonEditForm,
    UnmaskForm,
)
from .models import AssistanceClass

CATEGORY_CHOICES = [
    (selectors.Category.DIBAO, AssistanceClass.DIBAO.label),
    (selectors.Category.MARGINAL, AssistanceClass.MARGINAL.label),
    (selectors.Category.EXTREME_POVERTY, AssistanceClass.EXTREME_POVERTY.label),
    (selectors.Category.EXPENDITURE_POVERTY, AssistanceClass.EXPENDITURE_POVERTY.label),
    (selectors.Category.DISABILITY, gettext_lazy("with a disabled member")),
    (selectors.Category.SERIOUS_ILLNESS, gettext_lazy("with a seriously ill member")),
    (selectors.Category.ELDERLY_ALONE, gettext_lazy("elderly living alone")),
    (selectors.Category.CHILD_IN_DIFFICULTY, gettext_lazy("child in difficulty")),
    (selectors.Category.VEHICLE, gettext_lazy("owns a vehicle")),
    (selectors.Category.COMPANY_ROLE, gettext_lazy("has a company role")),
]


CHANGE = "registry.change_household"


def _require(request, perm: str) -> None:
    """Checked after the record is fetched: out of scope is 404 for everyone, in scope without the right is 403."""
    if not request.user.has_perm(perm):
        raise DjangoPermissionDenied


def _search_params(request) -> dict:
    return {
        "q": request.GET.get("q", "")[:64],
        "region": request.GET.get("region", "")[:12],
        "category": request.GET.get("category", "")[:32],
    }


@login_required
@permission_required("registry.view_household", raise_exception=True)
def household_list(request):
    params = _search_params(request)
    page = paginate(request, selectors.household_search(user=request.user, **params))
    page.object_list = (
        selectors.household_list_rows(
            selectors.households_visible_to(request.user).filter(pk__in=[h.pk for h in page.object_list])
        )
        .select_related("region")
        .order_by("number")
    )
    context = {"page": page, "params": params, "categories": CATEGORY_CHOICES}
    template = "registry/_household_table.html" if is_htmx(request) else "registry/household_list.html"
    return render(request, template, context)


class _Echo:
    def write(self, value):
        return value


@login_required
@permission_required("registry.view_household", raise_exception=True)
def household_export(request):
    """CSV of the search result: scope applied by the selector, identifiers masked."""
    qs = selectors.household_list_rows(selectors.household_search(user=request.user, **_search_params(request)))
    writer = csv.writer(_Echo())

    def rows():
        yield "\ufeff"  # so that Excel opens the file as UTF-8
        yield writer.writerow(
            [
                _("Household number"),
                _("Community"),
                _("Address"),
                _("Head"),
                _("Head's ID number"),
                _("Members"),
                _("Assistance class"),
            ]
        )
        for h in qs.iterator(chunk_size=2000):
            head = h.head_memberships[0].person if h.head_memberships else None
            yield writer.writerow(
                [
                    h.number,
                    h.region.full_name,
                    h.address,
                    mask_name(head.name) if head else "",
                    head.id_number_masked if head else "",
                    h.size,
                    h.get_assistance_class_display(),
                ]
            )

    response = StreamingHttpResponse(rows(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="households.csv"'
    return response


@login_required
def household_detail(request, pk: int):
    household = get_or_404(selectors.household_get_for_user, user=request.user, household_id=pk)
    context = {
        "household": household,
        "members": selectors.household_members(household=household),
        "past_members": selectors.household_members(household=household, include_past=True).filter(
            end_date__isnull=False
        ),
        "income": selectors.household_income_summary(household=household),
        "assets": household.assets.select_related("person").all(),
        "expenses": household.expenses.select_related("person").order_by("-year"),
        "history": audit_entries_for_household(household=household)[:100],
        "path": region_path(household.region),
        "income_form": IncomeForm(),
        "asset_form": AssetForm(),
        "expense_form": ExpenseForm(),
        "unmask_form": UnmaskForm(),
    }
    return render(request, "registry/household_detail.html", context)


def _members_from(formset) -> list:
    return [f.to_member() for f in formset.forms if f.has_changed() and not f.cleaned_data.get("DELETE")]


@login_required
@permission_required("registry.change_household", raise_exception=True)
def household_create(request):
    form = HouseholdForm(request.POST or None, initial={"region": request.GET.get("region", "")})
    formset = MemberFormSet(request.POST or None, prefix="members", initial=[{"relation": "head"}])
    if request.method == "POST" and form.is_valid() and formset.is_valid():
        try:
            household = services.household_register(
                actor=request.user,
                region_code=form.cleaned_data["region"],
                address=form.cleaned_data["address"],
                area_type=form.cleaned_data["area_type"],
                hukou_type=form.cleaned_data["hukou_type"],
                members=_members_from(formset),
            )
        except DomainError as e:
            field = e.field or ""
            if field.startswith("members["):
                index = int(field[len("members[") : field.index("]")])
                sub = field[field.index("]") + 2 :]
                target = formset.forms[index] if index < len(formset.forms) else None
                if target is not None and sub in target.fields:
                    target.add_error(sub, str(e))
                else:
                    form.add_error(None, str(e))
            else:
                form_add_domain_error(form, e)
        else:
            messages.success(request, _("Household %(number)s registered.") % {"number": household.number})
            return redirect("registry:household_detail", pk=household.pk)
    return render(request, "registry/household_form.html", {"form": form, "formset": formset, "creating": True})


@login_required
def household_edit(request, pk: int):
    household = get_or_404(selectors.household_get_for_user, user=request.user, household_id=pk)
    _require(request, CHANGE)
    initial = {
        "region": household.region_id,
        "address": household.address,
        "area_type": household.area_type,
        "hukou_type": household.hukou_type,
    }
    form = HouseholdForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.household_update(actor=request.user, household_id=household.pk, **form.cleaned_data)
        except DomainError as e:
            form_add_domain_error(form, e)
        else:
            messages.success(request, _("Changes saved."))
            return redirect("registry:household_detail", pk=household.pk)
    return render(request, "registry/household_form.html", {"form": form, "household": household, "creating": False})


@login_required
def member_add(request, pk: int):
    household = get_or_404(selectors.household_get_for_user, user=request.user, household_id=pk)
    _require(request, CHANGE)
    form = MemberForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.member_add(actor=request.user, household_id=household.pk, member=form.to_member())
        except DomainError as e:
            form_add_domain_error(form, e)
        else:
            messages.success(request, _("Member added."))
            return redirect("registry:household_detail", pk=household.pk)
    return render(request, "registry/member_form.html", {"form": form, "household": household})


@login_required
def person_edit(request, pk: int):
    person, household = get_or_404(selectors.person_get_for_user, user=request.user, person_id=pk)
    _require(request, CHANGE)
    initial = {f: getattr(person, f) for f in PersonEditForm.base_fields if f != "phone"}
    form = PersonEditForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        changes = dict(form.cleaned_data)
        if not changes.get("phone"):
            changes.pop("phone", None)
        try:
            services.person_update(actor=request.user, person_id=person.pk, **changes)
        except DomainError as e:
            form_add_domain_error(form, e)
        else:
            messages.success(request, _("Changes saved."))
            return redirect("registry:household_detail", pk=household.pk)
    return render(request, "registry/person_form.html", {"form": form, "person": person, "household": household})


@login_required
def person_move(request, pk: int):
    person, household = get_or_404(selectors.person_get_for_user, user=request.user, person_id=pk)
    _require(request, CHANGE)
    form = MoveForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            target_id = None
            if d["to_household"]:
                target_id = get_or_404(
                    selectors.household_get_by_number_for_user, user=request.user, number=d["to_household"].strip()
                ).pk
            target = services.member_move(
                actor=request.user,
                person_id=person.pk,
                relation=d["relation"],
                to_household_id=target_id,
                new_household={"address": d["address"]} if d["address"] else None,
                on_date=d["on_date"],
            )
        except DomainError as e:
            form_add_domain_error(form, e)
        else:
            messages.success(request, _("Member moved to household %(number)s.") % {"number": target.number})
            return redirect("registry:household_detail", pk=target.pk)
    return render(request, "registry/move_form.html", {"form": form, "person": person, "household": household})


@login_required
@require_POST
def person_unmask(request, pk: int):
    form = UnmaskForm(request.POST)
    if not form.is_valid():
        return HttpResponse(
            f'<span class="text-danger small">{escape(_("Give the reason for viewing this personal data."))}</span>',
            status=400,
        )
    try:
        value = services.person_unmask(
            actor=request.user, person_id=pk, field_name=form.cleaned_data["field"], reason=form.cleaned_data["reason"]
        )
    except PermissionDenied:
        return HttpResponse(status=403)
    except NotFound:
        raise Http404() from None
    except DomainError as e:
        return HttpResponse(f'<span class="text-danger small">{escape(str(e))}</span>', status=400)
    return render(request, "registry/_unmasked.html", {"value": value})


@login_required
@require_POST
def household_add_record(request, pk: int, kind: str):
    """Add an income, an asset or an expense from the forms on the household page."""
    household = get_or_404(selectors.household_get_for_user, user=request.user, household_id=pk)
    _require(request, CHANGE)
    form_class = {"income": IncomeForm, "asset": AssetForm, "expense": ExpenseForm}.get(kind)
    if form_class is None:
        raise Http404()
    form = form_class(request.POST)
    person_id = request.POST.get("person") or None
    try:
        if not form.is_valid():
            raise DomainError(
                "; ".join(
                    f"{form.fields[f].label}: {' '.join(errs)}" if f in form.fields else " ".join(errs)
                    for f, errs in form.errors.items()
                )
            )
        d = form.cleaned_data
        if kind == "income":
            if person_id is None:
                raise DomainError(_("Choose the member whose income this is."))
            services.income_set(
                actor=request.user,
                person_id=int(person_id),
                kind=d["kind"],
                monthly_fen=d["monthly"],
                household_id=household.pk,
            )
        elif kind == "asset":
            services.asset_add(
                actor=request.user,
                household_id=household.pk,
                kind=d["kind"],
                value_fen=d["value"],
                description=d["description"],
                person_id=int(person_id) if person_id else None,
                floor_area_m2=d["floor_area_m2"],
                acquired_on=d["acquired_on"],
                is_exempt_vehicle=d["is_exempt_vehicle"],
                company_uscc=d["company_uscc"],
                company_role=d["company_role"],
            )
        else:
            services.expense_add(
                actor=request.user,
                household_id=household.pk,
                kind=d["kind"],
                year=d["year"],
                annual_fen=d["annual"],
                person_id=int(person_id) if person_id else None,
            )
    except DomainError as e:
        messages.error(request, str(e))
    else:
        messages.success(request, _("Saved."))
    return redirect("registry:household_detail", pk=household.pk)


@login_required
@require_POST
def asset_remove(request, pk: int, asset_id: int):
    get_or_404(selectors.household_get_for_user, user=request.user, household_id=pk)
    _require(request, CHANGE)
    try:
        services.asset_remove(actor=request.user, household_id=pk, asset_id=asset_id)
    except DomainError as e:
        messages.error(request, str(e))
    return redirect("registry:household_detail", pk=pk)
