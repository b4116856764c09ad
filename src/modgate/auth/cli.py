"""``modgate users add/list/passwd/role/disable/enable`` and ``modgate keys create/list/revoke``."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable
from typing import Annotated

import typer

from modgate.auth.models import ROLES, SCOPES, User
from modgate.auth.service import AuthService
from modgate.cli_context import command_services
from modgate.errors import ModgateError
from modgate.tenants import DEFAULT_TENANT

users_app = typer.Typer(help="Console accounts and roles.", no_args_is_help=True)
keys_app = typer.Typer(help="API keys for services.", no_args_is_help=True)


def register(app: typer.Typer) -> None:
    app.add_typer(users_app, name="users")
    app.add_typer(keys_app, name="keys")


def _auth(ctx: typer.Context) -> AuthService:
    return command_services(ctx).services().auth


def _fail(error: ModgateError) -> None:
    typer.echo(f"{error.code}: {error.message}", err=True)
    raise typer.Exit(code=2)


def _print_user(change: Callable[[], User]) -> None:
    """Run an account change and print the account as it now is (``CODE: message`` on error)."""
    try:
        user = change()
    except ModgateError as error:
        _fail(error)
    typer.echo(json.dumps(user.to_public()))


@users_app.command("add")
def users_add(
    ctx: typer.Context,
    username: Annotated[str, typer.Argument(help="Sign-in name (lowercase).")],
    role: Annotated[str, typer.Option(help=f"One of: {', '.join(ROLES)}.")] = "reviewer",
    queue: Annotated[
        list[str] | None, typer.Option(help="A queue the user reviews (repeat; '*' = every queue).")
    ] = None,
    password_env: Annotated[
        str,
        typer.Option(help="Read the password from this environment variable instead of a prompt."),
    ] = "",
) -> None:
    """Create an account. The password is prompted for (or read from --password-env)."""
    if password_env:
        password = os.environ.get(password_env, "")
        if not password:
            typer.echo(f"InvalidParameterException: ${password_env} is empty or unset.", err=True)
            raise typer.Exit(code=2)
    else:
        password = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    _print_user(lambda: _auth(ctx).add_user(username, password, role, queue or ()))


@users_app.command("list")
def users_list(ctx: typer.Context) -> None:
    """One JSON line per account."""
    for user in _auth(ctx).list_users():
        typer.echo(json.dumps(user.to_public()))


@users_app.command("passwd")
def users_passwd(
    ctx: typer.Context,
    username: Annotated[str, typer.Argument(help="The account whose password changes.")],
    password_stdin: Annotated[
        bool, typer.Option(help="Read the new password from one line of stdin (for scripts).")
    ] = False,
) -> None:
    """Set a new password (prompted twice, hidden) and end every session of the account."""
    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = typer.prompt("New password", hide_input=True, confirmation_prompt=True)
    _print_user(lambda: _auth(ctx).set_password(username, password))


@users_app.command("role")
def users_role(
    ctx: typer.Context,
    username: Annotated[str, typer.Argument(help="The account whose role changes.")],
    role: Annotated[str, typer.Argument(help=f"One of: {', '.join(ROLES)}.")],
) -> None:
    """Change an account's role; its sessions end so the new role applies at once."""
    _print_user(lambda: _auth(ctx).set_role(username, role))


@users_app.command("disable")
def users_disable(ctx: typer.Context, username: str) -> None:
    """Disable an account and end its sessions."""
    _print_user(lambda: _auth(ctx).set_disabled(username, True))


@users_app.command("enable")
def users_enable(ctx: typer.Context, username: str) -> None:
    """Enable a disabled account again."""
    _print_user(lambda: _auth(ctx).set_disabled(username, False))


@keys_app.command("create")
def keys_create(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="What the key is for, e.g. 'upload-service'.")],
    scope: Annotated[list[str], typer.Option(help=f"Repeat; from: {', '.join(SCOPES)}.")],
    tenant: Annotated[
        str, typer.Option(help="The tenant whose moderations, media and webhooks the key sees.")
    ] = DEFAULT_TENANT,
    aws: Annotated[
        bool,
        typer.Option(
            "--aws",
            help="Make AWS credentials (access_key_id, secret_access_key) for the "
            "Rekognition-compatible endpoint, used by AWS SDKs with SigV4.",
        ),
    ] = False,
) -> None:
    """Create an API key. The key is printed once; only its hash is stored (with --aws, the
    secret access key is stored sealed, since SigV4 needs it)."""
    try:
        if aws:
            credentials, key = _auth(ctx).create_aws_key(name, scope, tenant)
            shown = {
                "access_key_id": credentials.access_key_id,
                "secret_access_key": credentials.secret_access_key,
            }
        else:
            plaintext, key = _auth(ctx).create_key(name, scope, tenant)
            shown = {"key": plaintext}
    except ModgateError as error:
        _fail(error)
    typer.echo(json.dumps(key.to_public() | shown))


@keys_app.command("list")
def keys_list(ctx: typer.Context) -> None:
    """One JSON line per key (never the secret)."""
    for key in _auth(ctx).list_keys():
        typer.echo(json.dumps(key.to_public()))


@keys_app.command("revoke")
def keys_revoke(
    ctx: typer.Context,
    key_id: Annotated[str, typer.Argument(help="The key's id (or the whole key).")],
) -> None:
    """Revoke a key; it stops working on its next request."""
    try:
        key = _auth(ctx).revoke_key(key_id)
    except ModgateError as error:
        _fail(error)
    typer.echo(json.dumps(key.to_public()))
