"""create_user USERNAME --role organiser|checkin_staff|viewer [--password P] [--token]"""

from __future__ import annotations

import secrets

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from accounts.tokens import token_create
from registrants.roles import ORGANISER, ROLES, sync_role_groups


class Command(BaseCommand):
    help = (
        "Create a user in one role. With --token, print the user's API token as the "
        "last line of output. Without --password, a random password is generated "
        "and printed."
    )

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--role", required=True, choices=ROLES)
        parser.add_argument("--password", help="Login password (generated if omitted).")
        parser.add_argument("--email", default="")
        parser.add_argument("--token", action="store_true", help="Also create an API token.")

    def handle(
        self,
        *args,
        username: str,
        role: str,
        password: str | None,
        email: str,
        token: bool,
        **options,
    ):
        User = get_user_model()
        if User.objects.filter(username=username).exists():
            raise CommandError(f'A user named "{username}" already exists.')
        generated = password is None
        password = password or secrets.token_urlsafe(12)
        with transaction.atomic():
            if not Group.objects.filter(name=role).exists():
                sync_role_groups()
            user = User.objects.create_user(
                username=username,
                email=email,
                password=password,
                # Organisers use the Django admin; other roles never need it.
                is_staff=(role == ORGANISER),
            )
            user.groups.add(Group.objects.get(name=role))
            key = token_create(user=user)[1] if token else None
        self.stdout.write(f'Created {role} "{username}".')
        if generated:
            self.stdout.write(f"Password: {password}")
        if key:
            # Shown once: only its hash is stored.
            self.stdout.write(key)
