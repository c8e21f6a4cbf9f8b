"""The Django admin for organisers.

Every write goes through the services, exactly as the API's do: the admin is
one more client of the domain, not a back door around it. Forms pre-check
the common refusals (a full event, a capacity below the seats taken, a
company name that is already taken) so that the organiser keeps what they
typed; the service still decides, under its locks, and a refusal it raises
after the form was valid (a race) is shown as an error message with nothing
saved.

Status changes are admin actions derived from lifecycle.TRANSITIONS; the
history (StatusChange) is read-only here for everyone.
"""

from django.contrib import admin

# Importing the modules registers their model admins.
from . import companies, events, history, registrants

__all__ = ["companies", "events", "history", "registrants"]

admin.site.site_header = "Registrant Dashboard"
admin.site.site_title = "Registrant Dashboard admin"
admin.site.index_title = "Organiser administration"
