"""Pages of the workflow: a supplier's matches and interest, a buyer's interested suppliers."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, F, Min, Q
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from accounts.selectors import user_from_request, user_is_operator
from config.pages import paginate
from matching.models import Match
from procurement.models import ProcurementItem

from . import services
from .exceptions import TransitionNotAllowed
from .forms import DealForm, DeclineForm, InterestForm
from .models import Interest
from .selectors import contact_disclosed_list_ids, match_visible_to, member_org_ids


def _error_text(exc: Exception) -> str:
    if isinstance(exc, TransitionNotAllowed):
        return exc.message
    if isinstance(exc, ValidationError):
        return " ".join(exc.messages)
    return str(exc) or _("You cannot do this.")


@login_required
def interest_attachment(request: HttpRequest, pk: int) -> FileResponse:
    """An interest's attachment, for the two parties and operators only (never a public URL)."""
    user = user_from_request(request)
    interest = get_object_or_404(Interest, pk=pk)
    orgs = set(member_org_ids(user))
    allowed = interest.supplier_id in orgs or interest.buyer_id in orgs
    if not (allowed or user_is_operator(user=user)) or not interest.attachment:
        raise Http404
    return FileResponse(
        interest.attachment.open("rb"),
        as_attachment=True,
        filename=(interest.attachment.name or "").rsplit("/", 1)[-1],
    )


@login_required
def my_matches(request: HttpRequest) -> HttpResponse:
    """The matches of the caller's products, best first, with where each interest stands."""
    user = user_from_request(request)
    orgs = member_org_ids(user)
    qs = match_visible_to(user=user).filter(supplier_id__in=orgs)
    status = request.GET.get("status", "")
    if status == "none":
        qs = qs.filter(interest__isnull=True, status=Match.Status.ACTIVE)
    elif status in Interest.Status.values:
        qs = qs.filter(interest__status=status)
    sort = request.GET.get("sort", "score")
    order = MATCH_ORDER.get(sort)
    if order is None:
        sort, order = "score", MATCH_ORDER["score"]
    page = paginate(request, qs.order_by(*order), 25)
    return render(
        request,
        "deals/my_matches.html",
        {
            "page": page,
            "status": status,
            "sort": sort,
            "sorts": [
                ("score", _("Score")),
                ("budget", _("Budget")),
                ("deadline", _("Deadline")),
            ],
            "statuses": Interest.Status.choices,
            "has_orgs": bool(orgs),
        },
    )


# How a supplier may sort its matches: best first, biggest budget first, soonest deadline first.
MATCH_ORDER = {
    "score": ("-score", "pk"),
    "budget": (F("need_item__budget").desc(nulls_last=True), "-score", "pk"),
    "deadline": (F("need_item__plist__deadline").asc(nulls_last=True), "-score", "pk"),
}


def _match_for(request: HttpRequest, pk: int) -> Match:
    return get_object_or_404(match_visible_to(user=user_from_request(request)), pk=pk)


@login_required
@require_http_methods(["GET", "POST"])
def match_detail(request: HttpRequest, pk: int) -> HttpResponse:
    user = user_from_request(request)
    match = _match_for(request, pk)
    orgs = set(member_org_ids(user))
    is_supplier = match.supplier_id in orgs
    is_buyer = match.buyer_id in orgs
    interest = getattr(match, "interest", None)
    form = InterestForm()
    status = 200
    if request.method == "POST":
        if not is_supplier:
            raise PermissionDenied
        form = InterestForm(request.POST, request.FILES)
        if form.is_valid():
            try:
                if interest is not None and interest.status in (
                    Interest.Status.INTERESTED,
                    Interest.Status.SHORTLISTED,
                ):
                    data = dict(form.cleaned_data)
                    attachment = data.pop("attachment", None)
                    services.interest_quote(
                        interest=interest, by=user, attachment=attachment, **data
                    )
                    messages.success(request, _("Your quote was updated."))
                else:
                    services.interest_express(match=match, by=user, **form.cleaned_data)
                    messages.success(request, _("The buyer was told of your interest."))
                return redirect("deals:match-detail", pk=match.pk)
            except (TransitionNotAllowed, ValidationError) as exc:
                form.add_error(None, _error_text(exc))
                status = 409 if isinstance(exc, TransitionNotAllowed) else 400
        else:
            status = 400
    elif is_supplier:
        services.match_mark_viewed(match=match, by=user)
        if interest is not None:
            form = InterestForm(
                initial={
                    "message": interest.message,
                    "unit_price": interest.unit_price,
                    "total_price": interest.total_price,
                    "lead_time_days": interest.lead_time_days,
                    "valid_until": interest.valid_until,
                }
            )
    contact_visible = is_buyer or (
        match.need_item is not None
        and match.need_item.plist_id in contact_disclosed_list_ids(user=user)
    )
    return render(
        request,
        "deals/match_detail.html",
        {
            "match": match,
            "interest": interest,
            "is_supplier": is_supplier,
            "is_buyer": is_buyer,
            "form": form,
            "contact_visible": contact_visible,
            "can_express": interest is None or interest.status == Interest.Status.WITHDRAWN,
        },
        status=status,
    )


@login_required
@require_POST
def match_withdraw(request: HttpRequest, pk: int) -> HttpResponse:
    match = _match_for(request, pk)
    interest = getattr(match, "interest", None)
    if interest is None:
        raise Http404
    try:
        services.interest_withdraw(interest=interest, by=user_from_request(request))
        messages.success(request, _("Your interest was withdrawn."))
    except TransitionNotAllowed as exc:
        messages.error(request, exc.message)
    return redirect("deals:match-detail", pk=match.pk)


@login_required
def interests_received(request: HttpRequest) -> HttpResponse:
    """A buyer's lines that suppliers answered: open interests, shortlisted, lowest total."""
    orgs = member_org_ids(user_from_request(request))
    open_statuses = [Interest.Status.INTERESTED, Interest.Status.SHORTLISTED]
    lines = (
        ProcurementItem.objects.filter(plist__buyer_id__in=orgs, interests__isnull=False)
        .select_related("plist")
        .annotate(
            open_count=Count("interests", filter=Q(interests__status__in=open_statuses)),
            shortlisted_count=Count(
                "interests", filter=Q(interests__status=Interest.Status.SHORTLISTED)
            ),
            lowest_total=Min(
                "interests__total_price", filter=Q(interests__status__in=open_statuses)
            ),
        )
        .order_by("plist__deadline", "plist_id", "line_no", "pk")
    )
    page = paginate(request, lines, 25)
    return render(request, "deals/interests_received.html", {"page": page})


def _own_line(request: HttpRequest, pk: int) -> ProcurementItem:
    orgs = member_org_ids(user_from_request(request))
    return get_object_or_404(
        ProcurementItem.objects.select_related("plist", "plist__buyer", "category"),
        pk=pk,
        plist__buyer_id__in=orgs,
    )


def _line_page(
    request: HttpRequest,
    item: ProcurementItem,
    deal_form: DealForm | None = None,
    status: int = 200,
) -> HttpResponse:
    interests = list(
        Interest.objects.filter(item=item)
        .select_related("supplier", "match", "match__offer_product")
        .order_by("match__rank", "pk")
    )
    open_interests = [
        i
        for i in interests
        if i.status in (Interest.Status.INTERESTED, Interest.Status.SHORTLISTED)
    ]
    suppliers = list({i.supplier_id: i.supplier for i in open_interests}.values())
    by_match = {i.match_id: i for i in interests}
    ranked = [
        (match, by_match.get(match.pk))
        for match in Match.objects.filter(need_item=item, status=Match.Status.ACTIVE)
        .select_related("supplier", "offer_product")
        .order_by("rank", "pk")
    ]
    lines = list(item.plist.items.filter(status=ProcurementItem.Status.OPEN))
    if deal_form is None and suppliers and item.status == ProcurementItem.Status.OPEN:
        deal_form = DealForm(suppliers=suppliers, lines=lines, initial={"items": [item.pk]})
    return render(
        request,
        "deals/line_interests.html",
        {
            "item": item,
            "ranked": ranked,
            "interests": interests,
            "deal_form": deal_form,
            "decline_form": DeclineForm(),
            "deals": item.deals.select_related("supplier"),
        },
        status=status,
    )


@login_required
def line_interests(request: HttpRequest, pk: int) -> HttpResponse:
    """The buyer's view of a line: interested suppliers ranked, their quotes side by side."""
    return _line_page(request, _own_line(request, pk))


def _interest_on_own_line(request: HttpRequest, pk: int) -> Interest:
    orgs = member_org_ids(user_from_request(request))
    return get_object_or_404(
        Interest.objects.select_related("match", "item"), pk=pk, buyer_id__in=orgs
    )


def _back_to_line(interest: Interest) -> HttpResponseRedirect:
    if interest.item_id is None:
        return redirect("deals:match-detail", pk=interest.match_id)
    return redirect("deals:line-interests", pk=interest.item_id)


@login_required
@require_POST
def interest_shortlist(request: HttpRequest, pk: int) -> HttpResponse:
    interest = _interest_on_own_line(request, pk)
    try:
        services.interest_shortlist(interest=interest, by=user_from_request(request))
        messages.success(
            request, _("%(supplier)s was shortlisted.") % {"supplier": interest.supplier}
        )
    except TransitionNotAllowed as exc:
        messages.error(request, exc.message)
    return _back_to_line(interest)


@login_required
@require_POST
def interest_decline(request: HttpRequest, pk: int) -> HttpResponse:
    interest = _interest_on_own_line(request, pk)
    form = DeclineForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Say why the supplier is declined."))
        return _back_to_line(interest)
    try:
        services.interest_decline(
            interest=interest, by=user_from_request(request), reason=form.cleaned_data["reason"]
        )
        messages.success(request, _("%(supplier)s was declined.") % {"supplier": interest.supplier})
    except TransitionNotAllowed as exc:
        messages.error(request, exc.message)
    return _back_to_line(interest)


@login_required
@require_POST
def line_deal(request: HttpRequest, pk: int) -> HttpResponse:
    item = _own_line(request, pk)
    interests = Interest.objects.filter(
        item=item, status__in=[Interest.Status.INTERESTED, Interest.Status.SHORTLISTED]
    ).select_related("supplier")
    suppliers = list({i.supplier_id: i.supplier for i in interests}.values())
    lines = list(item.plist.items.filter(status=ProcurementItem.Status.OPEN))
    form = DealForm(request.POST, suppliers=suppliers, lines=lines)
    if not form.is_valid():
        return _line_page(request, item, form, status=400)
    data = form.cleaned_data
    try:
        services.deal_record(
            by=user_from_request(request),
            supplier=form.suppliers[data["supplier"]],
            items=[form.lines[i] for i in data["items"]],
            amount=data["amount"],
            signed_on=data["signed_on"],
            contract_number=data["contract_number"],
        )
    except (TransitionNotAllowed, ValidationError) as exc:
        form.add_error(None, _error_text(exc))
        return _line_page(
            request, item, form, status=409 if isinstance(exc, TransitionNotAllowed) else 400
        )
    messages.success(request, _("The deal was recorded; the lines are awarded."))
    return HttpResponseRedirect(reverse("deals:line-interests", args=[item.pk]))
