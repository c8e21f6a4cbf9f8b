"""The staff pages: organisers manage accounts, their roles and events,
passwords, API tokens and the scanners' device tokens.

Keys and generated passwords are shown once, in the answer to the POST that
made them (never stored in clear, never in a redirect's session).
"""

from __future__ import annotations

from functools import wraps

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, Prefetch
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from accounts import staff as staff_services
from accounts.models import ApiToken, EventAssignment
from accounts.tokens import token_create
from gateway import services as device_services
from gateway.models import DeviceToken
from registrants.errors import ApplicationError
from registrants.models import Event
from registrants.pages import no_store
from registrants.permissions import is_organiser

from ..staff_forms import DeviceForm, StaffAccessForm, StaffCreateForm

User = get_user_model()


def organisers_only(view):
    """login_required, then 403 for anyone but an organiser."""

    @wraps(view)
    def wrapped(request, *args, **kwargs):
        if not is_organiser(request.user):
            raise PermissionDenied("Only organisers manage staff and tokens.")
        return view(request, *args, **kwargs)

    return login_required(wrapped)


def _users():
    return (
        User.objects.filter(device_token__isnull=True)  # not the scanners' service users
        .order_by("username")
        .prefetch_related(
            "groups",
            Prefetch(
                "event_assignments",
                queryset=EventAssignment.objects.select_related("event").order_by("event__name"),
            ),
        )
        .annotate(token_count=Count("api_tokens", distinct=True))
    )


@organisers_only
def staff_list(request):
    """Every account with its role and events, and the form for a new one."""
    form = StaffCreateForm(request.POST or None, initial={"role": "checkin_staff"})
    created = None
    if request.method == "POST" and form.is_valid():
        try:
            user, password = staff_services.staff_create(
                username=form.cleaned_data["username"],
                first_name=form.cleaned_data["first_name"],
                last_name=form.cleaned_data["last_name"],
                email=form.cleaned_data["email"],
                role=form.cleaned_data["role"],
                event_ids=form.event_ids(),
            )
        except (staff_services.StaffError, ValidationError) as exc:
            form.add_error("username", "; ".join(getattr(exc, "messages", [str(exc)])))
        else:
            created = {"user": user, "password": password}
            form = StaffCreateForm(initial={"role": "checkin_staff"})
    status = 400 if request.method == "POST" and form.errors else 200
    context = {
        "users": _users(),
        "form": form,
        "created": created,
        "events": Event.objects.order_by("-date", "name"),
    }
    return no_store(render(request, "dashboard/staff.html", context, status=status))


@organisers_only
def staff_detail(request, user_id: int):
    """One account: role and events, password, active flag, API tokens."""
    member = get_object_or_404(User, pk=user_id)
    if member.is_superuser and not request.user.is_superuser:
        # A password reset or a token would hand an organiser the superuser's rights.
        raise PermissionDenied("Only organisers manage staff and tokens; this is an administrator.")
    shown = {}
    form = None
    if request.method == "POST":
        action = request.POST.get("action")
        if action == "access":
            form = StaffAccessForm(request.POST)
            if form.is_valid():
                staff_services.staff_update(
                    user=member, role=form.cleaned_data["role"], event_ids=form.event_ids()
                )
                messages.success(request, "Role and events saved.")
                return redirect("dashboard:staff_member", user_id=member.pk)
        elif action == "password":
            shown["password"] = staff_services.staff_reset_password(user=member)
        elif action == "token":
            _, shown["key"] = token_create(user=member)
        else:
            _other_action(request, member, action)
            return redirect("dashboard:staff_member", user_id=member.pk)
    if form is None:
        group = member.groups.first()
        form = StaffAccessForm(
            initial={
                "role": group.name if group else "checkin_staff",
                "events": list(member.event_assignments.values_list("event_id", flat=True)),
            }
        )
    context = {
        "member": member,
        "form": form,
        "tokens": ApiToken.objects.filter(user=member),
        "shown": shown,
    }
    status = 400 if form.is_bound else 200  # a bound form here did not validate
    return no_store(render(request, "dashboard/staff_member.html", context, status=status))


def _other_action(request, member, action: str | None) -> None:
    """Deactivate, reactivate or revoke a token (each answered by a redirect)."""
    if action in ("deactivate", "activate"):
        try:
            staff_services.staff_set_active(
                user=member, active=action == "activate", by=request.user
            )
        except staff_services.StaffError as exc:
            messages.error(request, str(exc))
    elif action == "revoke":
        raw = request.POST.get("token", "")
        if raw.isdigit() and staff_services.token_revoke(user=member, token_id=int(raw)):
            messages.success(request, "Token revoked.")
        else:
            messages.error(request, "No such token.")


@organisers_only
def device_list(request, event_id: int):
    """The scanners' device tokens of one event: create (key shown once), revoke."""
    event = get_object_or_404(Event, pk=event_id)
    form = DeviceForm(request.POST or None)
    key = None
    if request.method == "POST" and form.is_valid():
        _, key = device_services.device_create(
            event_id=event.pk, name=form.cleaned_data["name"], created_by=request.user
        )
        form = DeviceForm()
    context = {
        "event": event,
        "form": form,
        "key": key,
        "devices": DeviceToken.objects.filter(event=event).order_by("revoked_at", "name"),
    }
    return no_store(render(request, "dashboard/staff_devices.html", context))


@organisers_only
@require_POST
def device_revoke(request, event_id: int, device_id: int):
    try:
        device_services.device_revoke(device_id=device_id, event_id=event_id)
    except ApplicationError:
        messages.error(request, "No such device.")
    else:
        messages.success(request, "Device token revoked.")
    return redirect("dashboard:staff_devices", event_id=event_id)
