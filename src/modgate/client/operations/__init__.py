"""Every API operation once: the request it makes (a ``Call``: method, path, query, body) and
how its answer is read. ``Client`` and ``AsyncClient`` only send these; a new route is one
builder in its domain's module here, marked with ``@route``, and one short method in each
client. The package gathers the builders (``operations.get_moderation`` …).

``ROUTES`` maps each ``METHOD /path`` the builders cover to its builder's name: the tests
compare it with the server's routes, so a ``/v1`` route without a client method is noticed.
Importing this package imports every module, so ``ROUTES`` is complete.
"""

from modgate.client.operations.audit import (
    AuditFilters,
    get_audit_consistency_proof,
    get_audit_inclusion_proof,
    get_latest_audit_checkpoint,
    list_audit_entries,
)
from modgate.client.operations.banks import (
    BankSettings,
    add_bank_content,
    create_bank,
    delete_bank,
    delete_bank_content,
    export_bank,
    get_bank,
    get_bank_content,
    import_bank_entries,
    list_bank_contents,
    list_banks,
    update_bank,
    update_bank_content,
)
from modgate.client.operations.call import ROUTES, Call, Files, MediaInput, route
from modgate.client.operations.decisions import (
    ViewerContext,
    decide_for_viewer,
    get_viewer_decision,
)
from modgate.client.operations.labels import (
    CustomLabelExamples,
    get_custom_label_job,
    train_custom_label,
)
from modgate.client.operations.media import erase_media, get_media, get_media_preview, upload_media
from modgate.client.operations.moderations import (
    LabelOptions,
    ModerationFields,
    ModerationFilters,
    create_appeal,
    create_moderation,
    get_moderation,
    get_moderation_labels,
    get_moderation_thumbnail,
    list_moderations,
    moderation_label_page,
)
from modgate.client.operations.service import (
    MetricsFilters,
    TuningFilters,
    get_health,
    get_metrics_summary,
    get_metrics_tuning,
    list_review_queues,
)
from modgate.client.operations.streams import (
    create_stream,
    get_stream,
    get_stream_thumbnail,
    list_streams,
    stop_stream,
)
from modgate.client.operations.webhooks import (
    create_webhook,
    delete_webhook,
    list_webhook_deliveries,
    list_webhooks,
)

__all__ = [
    "AuditFilters",
    "BankSettings",
    "Call",
    "CustomLabelExamples",
    "Files",
    "LabelOptions",
    "MediaInput",
    "MetricsFilters",
    "ModerationFields",
    "ModerationFilters",
    "ROUTES",
    "TuningFilters",
    "ViewerContext",
    "add_bank_content",
    "create_appeal",
    "create_bank",
    "create_moderation",
    "create_stream",
    "create_webhook",
    "decide_for_viewer",
    "delete_bank",
    "delete_bank_content",
    "delete_webhook",
    "erase_media",
    "export_bank",
    "get_audit_consistency_proof",
    "get_audit_inclusion_proof",
    "get_bank",
    "get_bank_content",
    "get_custom_label_job",
    "get_health",
    "get_latest_audit_checkpoint",
    "get_media",
    "get_media_preview",
    "get_metrics_summary",
    "get_metrics_tuning",
    "get_moderation",
    "get_moderation_labels",
    "get_moderation_thumbnail",
    "get_stream",
    "get_stream_thumbnail",
    "get_viewer_decision",
    "import_bank_entries",
    "list_audit_entries",
    "list_bank_contents",
    "list_banks",
    "list_moderations",
    "list_review_queues",
    "list_streams",
    "list_webhook_deliveries",
    "list_webhooks",
    "moderation_label_page",
    "route",
    "stop_stream",
    "train_custom_label",
    "update_bank",
    "update_bank_content",
    "upload_media",
]
