"""Loading a policy file: YAML → JSON Schema check → semantic checks → ``Policy``.

Every problem is collected (not just the first) and reported as ``file:line:column: message``:
unknown labels with a did-you-mean, bands that overlap or can never be reached, bad regions,
text patterns RE2 cannot run, malformed A2I conditions, duplicate rule ids.
"""

from __future__ import annotations

import difflib
import hashlib
import json
from functools import cache
from importlib import resources
from pathlib import Path as FilePath
from typing import Any

import jsonschema

from modgate.errors import PolicyValidationError, UnknownLabelException
from modgate.policy import regions as region_codes
from modgate.policy.conditions import ConditionFormatError, label_names, parse_conditions
from modgate.policy.model import (
    ANY_LABEL,
    A2IRule,
    BandRule,
    BankRule,
    DefaultRule,
    Layer,
    Policy,
    Route,
    TextRule,
    VideoRule,
    When,
)
from modgate.policy.source import (
    MAX_DEPTH,
    Path,
    SourceDocument,
    json_depth,
    parse_yaml,
    read_document,
)
from modgate.policy.validate import SemanticChecker
from modgate.taxonomy import taxonomy_v7


@cache
def policy_schema() -> dict[str, Any]:
    """The published JSON Schema of the policy format."""
    text = resources.files("modgate.policy").joinpath("policy.schema.json").read_text("utf-8")
    schema: dict[str, Any] = json.loads(text)
    return schema


def load_policy(source: str | FilePath, *, text: str | None = None) -> Policy:
    """Load and validate a policy from a path, or from ``text`` named ``source`` in messages."""
    if text is None:
        path = FilePath(source)
        try:
            text = read_document(path)
        except OSError as exc:
            raise PolicyValidationError(
                [f"{path}:1:1: cannot read the file: {exc.strerror}"]
            ) from exc
        except UnicodeDecodeError as exc:
            raise PolicyValidationError([f"{path}:1:1: the file is not UTF-8 text"]) from exc
    return policy_from_text(text, str(source))


def policy_from_text(text: str, filename: str = "<policy>") -> Policy:
    doc = parse_yaml(text, filename)
    _normalise_times(doc.data)
    problems = schema_problems(doc)
    if problems:
        raise PolicyValidationError(problems)
    checker = SemanticChecker(doc)
    policy = _build(doc, checker, text)
    if checker.problems:
        raise PolicyValidationError(checker.problems)
    policy.warnings = tuple(checker.warnings)
    return policy


def version_of(document: Any) -> str:
    """sha256 of the canonical JSON of a document: formatting and comments do not count."""
    canonical = json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def _normalise_times(data: Any) -> None:
    # YAML 1.1 reads an unquoted 21:00 as the base-60 integer 1260; take it as minutes of the day.
    if not isinstance(data, dict):
        return
    layers = [data, *[o for o in data.get("overlays") or [] if isinstance(o, dict)]]
    for layer in layers:
        when = layer.get("when")
        windows = when.get("time") if isinstance(when, dict) else None
        for window in windows if isinstance(windows, list) else []:
            for key in ("from", "to"):
                value = window.get(key) if isinstance(window, dict) else None
                if isinstance(value, int) and not isinstance(value, bool) and 0 <= value < 1440:
                    window[key] = f"{value // 60:02d}:{value % 60:02d}"


def schema_problems(doc: SourceDocument) -> list[str]:
    validator = jsonschema.Draft202012Validator(policy_schema())
    problems = []
    for error in sorted(validator.iter_errors(doc.data), key=lambda e: list(map(str, e.path))):
        problems.append(_describe_schema_error(doc, error))
    return problems


def _describe_schema_error(doc: SourceDocument, error: jsonschema.ValidationError) -> str:
    path: Path = tuple(error.absolute_path)
    if error.validator == "additionalProperties" and isinstance(error.instance, dict):
        allowed = list(error.schema.get("properties", {}))
        extras = [key for key in error.instance if key not in allowed]
        if extras:
            key = extras[0]
            close = difflib.get_close_matches(str(key), allowed, n=1)
            hint = f" Did you mean {close[0]!r}?" if close else f" Allowed: {', '.join(allowed)}."
            return doc.problem((*path, key), f"unknown field {key!r}.{hint}", key=True)
    if error.validator == "oneOf" and error.context:
        deepest = max(error.context, key=lambda e: len(e.absolute_path))
        if len(deepest.absolute_path) > len(error.absolute_path):
            return _describe_schema_error(doc, deepest)
        relevant = [e for e in error.context if e.validator not in ("const", "type")]
        if relevant:
            return _describe_schema_error(doc, relevant[0])
        if isinstance(error.instance, str):
            return doc.problem(
                path, f"{error.instance!r} is not allowed here (use 'ignore' or a mapping)"
            )
    where = "/".join(map(str, path)) or "top level"
    return doc.problem(path, f"{error.message} (at {where})")


def _route(raw: dict[str, Any], fallback: Route) -> Route:
    return Route(
        queue=raw.get("queue", fallback.queue),
        priority=raw.get("priority", fallback.priority),
        reviewers=raw.get("reviewers", fallback.reviewers),
    )


def _build(doc: SourceDocument, checker: SemanticChecker, text: str) -> Policy:
    data: dict[str, Any] = doc.data
    groups = dict(region_codes.BUILTIN_GROUPS)
    for name, members in (data.get("regions") or {}).items():
        groups[name] = tuple(region_codes.expand(members, region_codes.BUILTIN_GROUPS))
    checker.groups = groups
    for name, members in (data.get("regions") or {}).items():
        for position, code in enumerate(members):
            checker.region(("regions", name, position), code)
    root_route = _route(data.get("review") or {}, Route())
    base = _layer(doc, checker, data, (), "base", None, root_route)
    overlays = []
    for index, raw in enumerate(data.get("overlays") or []):
        path: Path = ("overlays", index)
        route = _route(raw.get("review") or {}, root_route)
        when = checker.when((*path, "when"), raw["when"])
        overlays.append(_layer(doc, checker, raw, path, raw["id"], when, route))
    checker.finish(base, overlays)
    return Policy(
        name=data["policy"],
        version=version_of(data),
        base=base,
        overlays=tuple(overlays),
        document=data,
        source=text,
        filename=doc.filename,
        description=data.get("description", ""),
        surfaces=tuple(data.get("surfaces") or ()),
    )


def _order(doc: SourceDocument, path: Path) -> int:
    line, column = doc.positions.get(path, (0, 0))
    return line * 1000 + column


def _layer(
    doc: SourceDocument,
    checker: SemanticChecker,
    raw: dict[str, Any],
    path: Path,
    layer_id: str,
    when: When | None,
    route: Route,
) -> Layer:
    prefix = "" if when is None else f"{layer_id}/"
    categories: dict[str, BandRule] = {}
    for label, band in (raw.get("categories") or {}).items():
        band_path = (*path, "categories", label)
        name = checker.label(band_path, label)
        if name is None:
            continue
        band = {"ignore": True} if band == "ignore" else band
        rule = BandRule(
            id=band.get("id", f"{prefix}{label}"),
            label=name,
            block=band.get("block"),
            review=band.get("review"),
            annotate=band.get("annotate"),
            ignore=bool(band.get("ignore", False)),
            note=band.get("note", ""),
            route=_route(band, route),
            order=_order(doc, band_path),
        )
        checker.band(band_path, rule, band)
        categories[name] = rule
    default = None
    if "default" in raw:
        spec = raw["default"]
        default = DefaultRule(
            id=spec.get("id", f"{prefix}default"),
            action=spec.get("action", "allow"),
            route=_route(spec, route),
            order=_order(doc, (*path, "default")),
        )
        checker.rule_id((*path, "default"), default.id)
    elif when is None:
        default = DefaultRule(route=route)
    a2i = None
    if "a2i" in raw:
        spec = raw["a2i"]
        a2i_path = (*path, "a2i", "conditions")
        try:
            condition = parse_conditions(_within_depth(spec["conditions"]))
        except ConditionFormatError as exc:
            checker.problem((*a2i_path, *exc.path), f"A2I conditions: {exc}")
        else:
            original = spec["conditions"]
            original = json.loads(original) if isinstance(original, str) else original
            for label, _check in label_names(condition):
                if label != ANY_LABEL:
                    checker.a2i_label(a2i_path, label)
            a2i = A2IRule(
                id=spec.get("id", f"{prefix}a2i"),
                condition=condition,
                original=original,
                note=spec.get("note", ""),
                route=_route(spec, route),
                order=_order(doc, (*path, "a2i")),
            )
            checker.rule_id((*path, "a2i"), a2i.id)
    text_rules = tuple(
        _text_rule(doc, checker, spec, (*path, "text", i), route)
        for i, spec in enumerate(raw.get("text") or [])
    )
    video_rules = tuple(
        video
        for i, spec in enumerate(raw.get("video") or [])
        if (video := _video_rule(doc, checker, spec, (*path, "video", i), route)) is not None
    )
    banks = {
        name: _bank_rule(doc, checker, name, spec, (*path, "banks", name), prefix, route)
        for name, spec in (raw.get("banks") or {}).items()
    }
    return Layer(
        id=layer_id,
        when=when,
        categories=categories,
        default=default,
        a2i=a2i,
        text=text_rules,
        video=video_rules,
        description=raw.get("description", ""),
        banks=banks,
    )


def _bank_rule(
    doc: SourceDocument,
    checker: SemanticChecker,
    name: str,
    spec: dict[str, Any],
    path: Path,
    prefix: str,
    route: Route,
) -> BankRule:
    suppress = spec.get("suppress", False)
    if suppress is True:
        labels: tuple[str, ...] = (ANY_LABEL,)
    elif suppress is False:
        labels = ()
    else:
        labels = tuple(
            found
            for i, label in enumerate(suppress)
            if (found := checker.label((*path, "suppress", i), label)) is not None
        )
    rule = BankRule(
        id=spec.get("id", f"{prefix}banks/{name}"),
        bank=name,
        action=spec.get("action", "allow" if labels else "block"),
        max_distance=spec.get("max_distance"),
        suppress=labels,
        note=spec.get("note", ""),
        route=_route(spec, route),
        order=_order(doc, path),
    )
    checker.rule_id(path, rule.id)
    return rule


def _text_rule(
    doc: SourceDocument, checker: SemanticChecker, spec: dict[str, Any], path: Path, route: Route
) -> TextRule:
    for index, pattern in enumerate(spec.get("patterns") or []):
        checker.pattern((*path, "patterns", index), pattern, spec["id"])
    for name in spec.get("labels") or {}:
        checker.text_label((*path, "labels", name), name)
    checker.rule_id((*path, "id"), spec["id"])
    return TextRule(
        id=spec["id"],
        action=spec["action"],
        words=tuple(spec.get("words") or ()),
        patterns=tuple(spec.get("patterns") or ()),
        labels=tuple((name, float(score)) for name, score in (spec.get("labels") or {}).items()),
        pii=tuple(spec.get("pii") or ()),
        min_confidence=float(spec.get("min_confidence", 0.0)),
        note=spec.get("note", ""),
        route=_route(spec, route),
        order=_order(doc, path),
    )


def _video_rule(
    doc: SourceDocument, checker: SemanticChecker, spec: dict[str, Any], path: Path, route: Route
) -> VideoRule | None:
    label = checker.label((*path, "label"), spec["label"])
    excluded = []
    for index, name in enumerate(spec.get("exclude") or []):
        canonical = checker.label((*path, "exclude", index), name)
        if canonical and label and not taxonomy_v7().is_within(canonical, label):
            checker.problem((*path, "exclude", index), f"{name!r} is not inside {label!r}")
        if canonical:
            excluded.append(canonical)
    checker.rule_id((*path, "id"), spec["id"])
    if label is None:
        return None
    return VideoRule(
        id=spec["id"],
        label=label,
        min_confidence=float(spec["min_confidence"]),
        action=spec["action"],
        min_duration_ms=duration_ms(spec.get("min_duration", 0)),
        point_duration_ms=duration_ms(spec.get("point_duration", 0)),
        exclude=tuple(excluded),
        note=spec.get("note", ""),
        route=_route(spec, route),
        order=_order(doc, path),
    )


def _within_depth(conditions: Any) -> Any:
    # A JSON string is not covered by the YAML nesting limit; Python's json recurses per level.
    if isinstance(conditions, str) and json_depth(conditions) > MAX_DEPTH:
        raise ConditionFormatError((), f"nested more than {MAX_DEPTH} levels deep")
    return conditions


def duration_ms(value: int | float | str) -> int:
    """``1s`` → 1000, ``250ms`` → 250, a bare number is seconds."""
    if isinstance(value, str):
        if value.endswith("ms"):
            return round(float(value[:-2]))
        return round(float(value[:-1]) * 1000)
    return round(float(value) * 1000)


def unknown_label_message(name: str) -> str:
    try:
        taxonomy_v7().get(name)
    except UnknownLabelException as exc:
        return exc.message
    return ""
