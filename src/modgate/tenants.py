"""Tenants: the customers one modgate serves, each seeing only its own objects.

Every stored object a service client can name — moderations (and through them appeals), media
records, webhook endpoints — carries the tenant it belongs to, and every API read filters by the
calling key's tenant: another tenant's object answers exactly as a missing one (404), so ids
cannot be probed. Rows written before tenants existed belong to ``default``, which is also the
tenant of anonymous callers when API keys are not required. Tenant names are short lowercase
slugs so they are safe in logs, URLs and file names.
"""

from __future__ import annotations

import re

from modgate.errors import InvalidParameterException

DEFAULT_TENANT = "default"
TENANT_NAME = re.compile(r"[a-z0-9][a-z0-9_-]{0,62}")
# The column width every tenant column uses (the longest name TENANT_NAME accepts).
TENANT_LENGTH = 63


def checked_tenant(name: str) -> str:
    """``name`` if it is a valid tenant name; otherwise ``InvalidParameterException`` saying
    what a tenant name looks like."""
    if not TENANT_NAME.fullmatch(name):
        raise InvalidParameterException(
            f"Invalid tenant {name!r}: use 1-63 characters from a-z, 0-9, '_' and '-', "
            "starting with a letter or digit."
        )
    return name
