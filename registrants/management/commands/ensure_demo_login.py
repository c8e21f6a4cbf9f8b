"""ensure_demo_login [--port 8000]

`make run` calls this after seeding: it makes sure someone can log in and
says where. If no organiser exists yet, it creates "organiser" through the
create_user command (the one code path for users) with a random password,
kept in `.demo-login` at the repository root (git-ignored, mode 0600), so
that the login printed at every start is the one that works.
"""

from __future__ import annotations

import os
import secrets
from io import StringIO
from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from registrants.roles import ORGANISER

DEMO_USERNAME = "organiser"
LOGIN_FILE_NAME = ".demo-login"


def login_file() -> Path:
    # DEMO_LOGIN_DIR: in the container image the code is read-only to the
    # app user, so the file lives in its writable var/ (Dockerfile).
    return Path(settings.DEMO_LOGIN_DIR or settings.BASE_DIR) / LOGIN_FILE_NAME


def write_login_file(path: Path, username: str, password: str) -> None:
    """Write the login readable by its owner only (0600, also if it existed)."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write(f"username={username}\npassword={password}\n")
    path.chmod(0o600)


def read_login_file(path: Path) -> dict[str, str]:
    values = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        key, sep, value = line.partition("=")
        if sep:
            values[key.strip()] = value.strip()
    return values


class Command(BaseCommand):
    help = (
        "Create the demo organiser login once (password kept in .demo-login, "
        "git-ignored) and print the URL and the login."
    )

    def add_arguments(self, parser):
        parser.add_argument("--port", type=int, default=8000)

    def handle(self, *args, port: int, **options):
        User = get_user_model()
        path = login_file()
        if not User.objects.filter(groups__name=ORGANISER).exists():
            self._create_organiser(path)
        base = f"http://127.0.0.1:{port}/"
        self.stdout.write(f"Registrant Dashboard: {base}")
        self.stdout.write(f"  admin:    {base}admin/")
        self.stdout.write(f"  API docs: {base}api/docs/")
        if not path.exists():
            self.stdout.write(
                "An organiser already exists (its password is not kept here). "
                "To create another: python manage.py create_user NAME --role organiser"
            )
            return
        login = read_login_file(path)
        username, password = login.get("username", ""), login.get("password", "")
        user = User.objects.filter(username=username).first()
        if user is None or not user.check_password(password):
            self.stdout.write(
                f"{LOGIN_FILE_NAME} does not match a user any more; delete it or create a "
                "user: python manage.py create_user NAME --role organiser"
            )
            return
        self.stdout.write(f"  login:    {username} / {password}  (kept in {path})")

    def _create_organiser(self, path: Path) -> None:
        User = get_user_model()
        if User.objects.filter(username=DEMO_USERNAME).exists():
            raise CommandError(
                f'No organiser exists, and the user "{DEMO_USERNAME}" is not one. Create an '
                "organiser with: python manage.py create_user NAME --role organiser"
            )
        password = secrets.token_urlsafe(16)
        # The user and the file go together: if the file cannot be written,
        # the user is rolled back and the next run tries again.
        with transaction.atomic():
            call_command(
                "create_user",
                DEMO_USERNAME,
                role=ORGANISER,
                password=password,
                stdout=StringIO(),
            )
            write_login_file(path, DEMO_USERNAME, password)
        self.stdout.write(f'Created the demo organiser "{DEMO_USERNAME}".')
