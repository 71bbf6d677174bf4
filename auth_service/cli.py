"""Operator commands; admins are made here, never through the API.

`python -m auth_service.cli create-admin --email E --display-name N` (or
`flask --app auth_service.wsgi create-admin ...`) reads the password from
`WLT_ADMIN_PASSWORD`, else prompts for it.
"""

from __future__ import annotations

import argparse
import getpass
import os
import sys
import uuid

import click
from flask import Flask
from marshmallow import ValidationError

from servicekit.errors import DomainError

from . import services
from .models import ROLE_ADMIN
from .schemas import SignupIn

PASSWORD_ENV = "WLT_ADMIN_PASSWORD"


class CommandError(Exception):
    """A command failed for a reason the operator can fix."""


def read_password() -> str:
    """The admin password from the environment, else typed twice at a prompt."""
    password = os.environ.get(PASSWORD_ENV)
    if password:
        return password
    if not sys.stdin.isatty():
        raise CommandError(f"Set {PASSWORD_ENV} or run the command in a terminal.")
    password = getpass.getpass("Admin password: ")
    if getpass.getpass("Repeat the password: ") != password:
        raise CommandError("The passwords differ.")
    return password


def create_admin(*, email: str, display_name: str, password: str) -> uuid.UUID:
    """Create an ADMIN account and its profile, checked like a sign-up; returns its id."""
    try:
        body = SignupIn().load({"email": email, "password": password, "displayName": display_name})
    except ValidationError as exc:
        raise CommandError(f"Invalid input: {exc.messages}") from None
    try:
        created = services.sign_up(
            email=body["email"],
            password=body["password"],
            display_name=body["displayName"],
            role=ROLE_ADMIN,
        )
    except DomainError as exc:
        raise CommandError(exc.detail) from None
    return created.account.id


def register_cli(app: Flask) -> None:
    """Add `create-admin` to the app's `flask` command line."""

    @app.cli.command("create-admin")
    @click.option("--email", required=True)
    @click.option("--display-name", required=True)
    def create_admin_command(email: str, display_name: str) -> None:
        """Create an administrator account."""
        try:
            user_id = create_admin(email=email, display_name=display_name, password=read_password())
        except CommandError as exc:
            raise click.ClickException(str(exc)) from None
        click.echo(f"created admin {user_id}")


def main(argv: list[str] | None = None, app: Flask | None = None) -> int:
    """Command line entry point; returns the exit status."""
    parser = argparse.ArgumentParser(prog="python -m auth_service.cli")
    commands = parser.add_subparsers(dest="command", required=True)
    admin = commands.add_parser("create-admin", help="create an administrator account")
    admin.add_argument("--email", required=True)
    admin.add_argument("--display-name", required=True)
    args = parser.parse_args(argv)
    if app is None:
        from . import create_app

        app = create_app()
    try:
        with app.app_context():
            user_id = create_admin(
                email=args.email, display_name=args.display_name, password=read_password()
            )
    except CommandError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(f"created admin {user_id}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
