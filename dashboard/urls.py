"""The pages' routes, mounted at the site root by config.urls."""

from django.urls import path

from registrants import pages  # noqa: F401  (registers the "id" converter)

from .views import (
    audit,
    auth,
    bulk,
    bulk_job,
    companies,
    desk,
    event_forms,
    events,
    live,
    registrants,
    registration_page,
    staff,
    waitlist,
    walkins,
)

app_name = "dashboard"

urlpatterns = [
    path("login/", auth.LoginView.as_view(), name="login"),
    path("logout/", auth.LogoutView.as_view(), name="logout"),
    path("", events.event_list, name="events"),
    path("audit/", audit.audit_log, name="audit"),
    path("events/new/", event_forms.event_new, name="event_new"),
    path("events/<id:event_id>/edit/", event_forms.event_edit, name="event_edit"),
    path(
        "events/<id:event_id>/registration/",
        registration_page.registration_settings,
        name="registration_page",
    ),
    path(
        "events/<id:event_id>/registration/questions/",
        registration_page.question_new,
        name="question_new",
    ),
    path(
        "events/<id:event_id>/registration/questions/<id:question_id>/",
        registration_page.question_edit,
        name="question_edit",
    ),
    path(
        "events/<id:event_id>/registration/questions/<id:question_id>/delete/",
        registration_page.question_delete,
        name="question_delete",
    ),
    path("events/<id:event_id>/dashboard/", events.event_dashboard, name="event_dashboard"),
    path("events/<id:event_id>/dashboard/numbers.json", events.event_numbers, name="event_numbers"),
    path("events/<id:event_id>/registrants/", registrants.registrant_list, name="registrants"),
    path("events/<id:event_id>/waitlist/", waitlist.event_waitlist, name="waitlist"),
    path("events/<id:event_id>/registrants/new/", walkins.registrant_new, name="registrant_new"),
    path(
        "events/<id:event_id>/registrants/bulk/",
        bulk.registrant_bulk,
        name="registrants_bulk",
    ),
    path(
        "events/<id:event_id>/registrants/bulk/jobs/<id:job_id>/",
        bulk_job.bulk_job_page,
        name="bulk_job",
    ),
    path(
        "events/<id:event_id>/registrants/bulk/jobs/<id:job_id>/progress.json",
        bulk_job.bulk_job_progress,
        name="bulk_job_progress",
    ),
    path(
        "events/<id:event_id>/registrants/counts.json",
        live.registrant_counts,
        name="registrant_counts",
    ),
    path("registrants/<id:pk>/", registrants.registrant_detail, name="registrant"),
    path("registrants/<id:pk>/row/", live.registrant_row, name="registrant_row"),
    path(
        "registrants/<id:pk>/transition/",
        registrants.registrant_transition,
        name="registrant_transition",
    ),
    path("registrants/<id:pk>/edit/", registrants.registrant_edit, name="registrant_edit"),
    path("registrants/<id:pk>/delete/", registrants.registrant_delete, name="registrant_delete"),
    path("events/<id:event_id>/desk/", desk.desk, name="desk"),
    path("events/<id:event_id>/desk/search/", desk.desk_search, name="desk_search"),
    path("events/<id:event_id>/desk/scan/", desk.desk_scan, name="desk_scan"),
    path("events/<id:event_id>/desk/walk-in/", walkins.desk_walk_in, name="desk_walk_in"),
    path("events/<id:event_id>/desk/recent/", live.desk_recent, name="desk_recent"),
    path("companies/", companies.company_list, name="companies"),
    path("companies/merge/", companies.company_merge, name="company_merge"),
    path("staff/", staff.staff_list, name="staff"),
    path("staff/<id:user_id>/", staff.staff_detail, name="staff_member"),
    path("staff/events/<id:event_id>/devices/", staff.device_list, name="staff_devices"),
    path(
        "staff/events/<id:event_id>/devices/<id:device_id>/revoke/",
        staff.device_revoke,
        name="staff_device_revoke",
    ),
]
