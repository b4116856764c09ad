"""Amazon Comprehend's shapes for what the text detectors found, produced and parsed here only.

A text's findings travel and are stored as one object, named as Comprehend's
``DetectToxicContent`` (``Labels`` with ``Name`` and ``Score``, the overall ``Toxicity``) and
``DetectPiiEntities`` (``Entities`` with ``Type``, ``Score``, ``BeginOffset``, ``EndOffset``)
name things. Two differences: scores are 0–100, as modgate's image confidences, and each label
has the ``Offsets`` of the words it rests on. Offsets count characters of ``Text``, the text as
it was sent::

    {"Source": "text", "Text": "…", "LanguageCode": "en", "Toxicity": 93.1,
     "Labels": [{"Name": "PROFANITY", "Score": 90.0,
                 "Offsets": [{"BeginOffset": 4, "EndOffset": 8}]}],
     "Entities": [{"Type": "EMAIL", "Score": 99.0, "BeginOffset": 12, "EndOffset": 27}],
     "NormalisedText": "…", "MixedScript": false, "TimestampMillis": 2000}

(``NormalisedText`` when normalisation changed the text, ``MixedScript`` when a word mixed
scripts, ``TimestampMillis`` for text read in a video sample.)
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from modgate.taxonomy.detections import PiiEntity, TextFindings, TextLabel, TextSpan

JsonObject = dict[str, Any]


def findings_to_json(findings: TextFindings) -> JsonObject:
    out: JsonObject = {
        "Source": findings.source,
        "Text": findings.text,
        "LanguageCode": findings.language,
        "Toxicity": findings.score("TOXICITY"),
        "Labels": [
            {
                "Name": label.name,
                "Score": label.score,
                "Offsets": [
                    {"BeginOffset": span.begin, "EndOffset": span.end} for span in label.spans
                ],
            }
            for label in findings.labels
        ],
        "Entities": [
            {
                "Type": entity.type,
                "Score": entity.score,
                "BeginOffset": entity.begin,
                "EndOffset": entity.end,
            }
            for entity in findings.entities
        ],
    }
    if findings.normalised:
        out["NormalisedText"] = findings.normalised
    if findings.mixed_script:
        out["MixedScript"] = True
    if findings.timestamp_ms is not None:
        out["TimestampMillis"] = findings.timestamp_ms
    return out


def findings_from_json(item: Mapping[str, Any]) -> TextFindings:
    timestamp = item.get("TimestampMillis")
    return TextFindings(
        text=str(item.get("Text") or ""),
        source=str(item.get("Source") or "text"),
        labels=tuple(
            TextLabel(
                str(label["Name"]),
                float(label["Score"]),
                tuple(
                    TextSpan(int(span["BeginOffset"]), int(span["EndOffset"]))
                    for span in label.get("Offsets") or ()
                ),
            )
            for label in item.get("Labels") or ()
        ),
        entities=tuple(
            PiiEntity(
                str(entity["Type"]),
                float(entity["Score"]),
                int(entity["BeginOffset"]),
                int(entity["EndOffset"]),
            )
            for entity in item.get("Entities") or ()
        ),
        normalised=str(item.get("NormalisedText") or ""),
        language=item.get("LanguageCode"),
        mixed_script=bool(item.get("MixedScript", False)),
        timestamp_ms=int(timestamp) if timestamp is not None else None,
    )


def findings_list_to_json(findings: Iterable[TextFindings]) -> list[JsonObject]:
    return [findings_to_json(item) for item in findings]


def findings_list_from_json(items: Iterable[Mapping[str, Any]] | None) -> tuple[TextFindings, ...]:
    return tuple(findings_from_json(item) for item in items or ())
