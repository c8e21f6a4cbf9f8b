"""The roles of the README's "Who uses it", as groups of model permissions.

This table is the one place that says what each role may do; the API's
RolePermission, the admin and the pages all check these permissions.
"""

from __future__ import annotations

ORGANISER = "organiser"
CHECKIN_STAFF = "checkin_staff"
VIEWER = "viewer"
ROLES = (ORGANISER, CHECKIN_STAFF, VIEWER)

_READ = [
    "view_event",
    "view_company",
    "view_registrant",
    "view_statuschange",
]

ROLE_PERMISSIONS: dict[str, list[str]] = {
    ORGANISER: [
        *_READ,
        "add_event",
        "change_event",
        "delete_event",
        "add_company",
        "change_company",
        "delete_company",
        "add_registrant",
        "change_registrant",
        "delete_registrant",
        "move_forward",
        "change_any_status",
        "scan_code",
        "view_check_in_code",
        "export_registrants",
        "add_walk_in",
    ],
    # A walk-in at the desk is the staff's daily job: they may register and
    # check in someone new there, nothing more (decision record 0100).
    CHECKIN_STAFF: [*_READ, "move_forward", "scan_code", "view_check_in_code", "add_walk_in"],
    VIEWER: list(_READ),
}


def sync_role_groups(apps=None) -> None:
    """Create the role groups and set exactly their permissions (idempotent)."""
    from django.apps import apps as global_apps
    from django.contrib.auth.management import create_permissions

    # A migration passes its historical apps: permissions added by a later
    # migration do not exist yet there, and that later migration calls this
    # again (0014 for add_walk_in). Called with the real apps, all must exist.
    strict = apps is None or apps is global_apps
    apps = apps or global_apps
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    # Permissions are normally created after all migrations (post_migrate);
    # a data migration runs before that, so create them now.
    for app_config in apps.get_app_configs():
        had_models = getattr(app_config, "models_module", None)
        app_config.models_module = had_models or True
        create_permissions(app_config, verbosity=0, apps=apps)
        app_config.models_module = had_models
    for role, codenames in ROLE_PERMISSIONS.items():
        group, _ = Group.objects.get_or_create(name=role)
        perms = list(
            Permission.objects.filter(content_type__app_label="registrants", codename__in=codenames)
        )
        missing = set(codenames) - {p.codename for p in perms}
        if missing and strict:
            raise RuntimeError(f"role {role}: unknown permissions {sorted(missing)}")
        group.permissions.set(perms)
