"""The one guard every outbound connection modgate makes goes through (webhook receivers now;
stream sources, URL sources and remote model backends as they come): a URL whose host is or
resolves to an internal address is refused unless ``MODGATE_OUTBOUND_ALLOW`` lists it, and the
connection goes to the address that was checked.

It is a package of its own, below every domain that connects out (events' webhooks, media,
detection backends), so none of them has to import another to reach it.
"""

from modgate.outbound.guard import (
    ERROR_CLASSES,
    GuardedTransport,
    OutboundAllowList,
    OutboundGuard,
    OutboundPolicy,
    Outcome,
    Resolver,
    Target,
    error_class,
    guarded_client,
    request_outcome,
    response_error_class,
)

__all__ = [
    "ERROR_CLASSES",
    "GuardedTransport",
    "OutboundAllowList",
    "OutboundGuard",
    "OutboundPolicy",
    "Outcome",
    "Resolver",
    "Target",
    "error_class",
    "guarded_client",
    "request_outcome",
    "response_error_class",
]
