"""Mail routes: the attendee's ticket page (no login: the signed link is the
key) and the organisers' e-mail pages, mounted at the site root."""

from django.urls import path

from registrants import pages  # noqa: F401  (registers the "id" converter)

from . import views

app_name = "mail"

urlpatterns = [
    path("ticket/", views.ticket, name="ticket"),
    path("ticket/ticket.pdf", views.ticket_pdf, name="ticket_pdf"),
    path("ticket/qr.png", views.ticket_qr, name="ticket_qr"),
    path("ticket/cancel/", views.ticket_cancel, name="ticket_cancel"),
    path("ticket/accept/", views.ticket_accept, name="ticket_accept"),
    path("events/<id:event_id>/mail/", views.event_mail, name="event_mail"),
    path("events/<id:event_id>/mail/reminder/", views.event_reminder, name="event_reminder"),
    path(
        "events/<id:event_id>/mail/reminder/jobs/<id:job_id>/",
        views.reminder_job_page,
        name="reminder_job",
    ),
]
