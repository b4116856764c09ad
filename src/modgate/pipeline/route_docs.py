"""What the OpenAPI document says of the moderation routes beyond their signatures: the links a
client follows from a moderation it made, and the request bodies (multipart upload, JSON with
base64 or a stored media id, text) with their examples. Data only; ``pipeline.routes`` uses it.
"""

from __future__ import annotations

from modgate.openapi.responses import link
from modgate.pipeline.service import CONTEXT_KEYS

# What a client can do next with a moderation it made (OpenAPI links; the conformance run
# follows them).
MODERATION_LINKS = {
    "GetModeration": link("getModeration", moderation_id="$response.body#/id"),
    "GetModerationLabels": link("getModerationLabels", moderation_id="$response.body#/id"),
    "GetViewerDecision": link("getViewerDecision", moderation_id="$response.body#/id"),
    "AppealModeration": link("createAppeal", moderation_id="$response.body#/id"),
    "GetMedia": link("getMedia", media_id="$response.body#/media/id"),
}

TEXT_DOC = {
    "type": "string",
    "minLength": 1,
    "description": "A text to moderate (a comment, a message, a username) when no media is "
    "given; beside media, the media's caption. At most 64 KiB of UTF-8 "
    "(`MODGATE_MAX_TEXT_BYTES`); not empty once white space and invisible characters are "
    "removed; no NUL character.",
}
LANGUAGE_DOC = {
    "type": "string",
    "pattern": "^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$",
    "description": "The text's language (ISO 639, e.g. `en`, `pt-BR`); detectors that do not "
    "read it are skipped. Unset: every detector reads the text.",
}
WAIT_DOC = {
    "type": "boolean",
    "description": "Answer once decided (images and texts; a video is always queued).",
}
JSON_FIELDS = {
    "context": {"type": "object"},
    "external_id": {"type": "string"},
    "metadata": {"type": "object"},
    "client_request_token": {"type": "string"},
    "wait": WAIT_DOC,
}
# A whole (1 × 1 pixel) PNG, for the document's example.
_PNG_1X1 = (
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAIAAACQd1PeAAAADElEQVR4nGP4z8AAAAMBAQDJ/pLvAAAAAElFTkSuQmCC"
)
BODY_DOC = {
    "requestBody": {
        "description": "Media (a multipart `file`, or in JSON `media`), a `text`, or media with "
        "a `text` as its caption.",
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "properties": {
                        "file": {"type": "string", "format": "binary"},
                        "text": TEXT_DOC,
                        "language": LANGUAGE_DOC,
                        "context": {"type": "string", "description": "JSON object"},
                        **{key: {"type": "string"} for key in CONTEXT_KEYS},
                        "external_id": {"type": "string"},
                        "metadata": {"type": "string"},
                        "client_request_token": {"type": "string"},
                        "wait": WAIT_DOC,
                    },
                    "anyOf": [{"required": ["file"]}, {"required": ["text"]}],
                }
            },
            "application/json": {
                "schema": {
                    "type": "object",
                    "properties": {
                        "media": {
                            "type": "object",
                            "properties": {
                                "base64": {"type": "string"},
                                "blob_key": {"type": "string"},
                                "media_id": {"type": "string"},
                            },
                        },
                        "text": TEXT_DOC,
                        "language": LANGUAGE_DOC,
                        **JSON_FIELDS,
                    },
                    "anyOf": [{"required": ["media"]}, {"required": ["text"]}],
                },
                "examples": {
                    "image": {
                        "summary": "An image as base64",
                        "value": {"media": {"base64": _PNG_1X1}, "wait": True},
                    },
                    "comment": {
                        "summary": "A comment",
                        "value": {
                            "text": "great stream, add me on snapchat",
                            "language": "en",
                            "context": {"surface": "comments"},
                            "wait": True,
                        },
                    },
                    "caption": {
                        "summary": "An image with its caption",
                        "value": {
                            "media": {"media_id": "med_0231a0d42641483ebc79e5351d00097e"},
                            "text": "my new bike",
                        },
                    },
                },
            },
        },
        "required": True,
    }
}
