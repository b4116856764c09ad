"""Reading YAML safely while remembering where every value came from.

Policy errors must point at ``file:line:column``. PyYAML's composer keeps a ``start_mark`` on every
node; this module walks the composed node tree once, building plain Python data and a map from each
value's path (``("categories", "Explicit", "block")``) to its 1-based line and column.

Policies and their test cases can come from people other than the operator, so reading one must
cost time and memory in proportion to its size. ``parse_yaml`` is the only place modgate reads
YAML, and it refuses, before anything is expanded:

- anchors (``&name``), aliases (``*name``) and merge keys (``<<``): a 180-byte document of nested
  aliases expands to over a hundred thousand values, and an alias inside its own anchor recurses
  forever;
- documents over ``MAX_DOCUMENT_BYTES`` and nesting deeper than ``MAX_DEPTH`` (the composer
  recurses once per level);
- numbers longer than ``MAX_NUMBER_CHARACTERS`` (a long base-60 integer such as ``1:2:3:…`` takes
  time quadratic in its length to read, and Python refuses to print integers of over 4300 digits).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path as FilePath
from typing import Any, Protocol

import yaml

from modgate.errors import PolicyValidationError, UnsafePolicyYamlError

Path = tuple[str | int, ...]

MAX_DOCUMENT_BYTES = 1024 * 1024
MAX_DEPTH = 32
MAX_NUMBER_CHARACTERS = 64

_MERGE_TAG = "tag:yaml.org,2002:merge"
_NUMBER_TAGS = frozenset({"tag:yaml.org,2002:int", "tag:yaml.org,2002:float"})


@dataclass
class SourceDocument:
    """Parsed YAML plus the position of every mapping key and value."""

    data: Any
    filename: str
    positions: dict[Path, tuple[int, int]] = field(default_factory=dict)
    key_positions: dict[Path, tuple[int, int]] = field(default_factory=dict)

    def where(self, path: Path, *, key: bool = False) -> str:
        """``file:line:column`` of ``path``, or of its closest enclosing value."""
        table = self.key_positions if key else self.positions
        probe = tuple(path)
        while probe:
            if probe in table:
                line, column = table[probe]
                return f"{self.filename}:{line}:{column}"
            if probe in self.positions:
                line, column = self.positions[probe]
                return f"{self.filename}:{line}:{column}"
            probe = probe[:-1]
        line, column = self.positions.get((), (1, 1))
        return f"{self.filename}:{line}:{column}"

    def problem(self, path: Path, message: str, *, key: bool = False) -> str:
        return f"{self.where(path, key=key)}: {message}"


class _Position(Protocol):
    """A PyYAML mark (the pure-Python and the C one): 0-based line and column."""

    line: int
    column: int


class _PlainLoader(yaml.SafeLoader):
    """``SafeLoader`` whose composer refuses anchors, aliases, merge keys and deep nesting.

    The checks run on each event before its node is composed, so nothing is ever shared or
    expanded and the composer's recursion stops at ``MAX_DEPTH``.
    """

    def __init__(self, text: str, filename: str) -> None:
        super().__init__(text)
        self.filename = filename
        self.depth = 0

    def refuse(self, mark: _Position | None, message: str) -> UnsafePolicyYamlError:
        where = f"{mark.line + 1}:{mark.column + 1}" if mark else "1:1"
        return UnsafePolicyYamlError([f"{self.filename}:{where}: {message}"])

    def compose_node(self, parent: yaml.Node | None, index: int) -> yaml.Node | None:
        event: yaml.Event = self.peek_event()  # type: ignore[no-untyped-call]
        if isinstance(event, yaml.AliasEvent):
            raise self.refuse(
                event.start_mark,
                f"YAML aliases (*{event.anchor}) are not allowed: write the value out in full",
            )
        if isinstance(event, yaml.NodeEvent) and event.anchor is not None:
            raise self.refuse(
                event.start_mark,
                f"YAML anchors (&{event.anchor}) are not allowed: "
                f"write the value out in full where it is used",
            )
        nests = isinstance(event, yaml.CollectionStartEvent)
        if nests and self.depth >= MAX_DEPTH:
            raise self.refuse(
                event.start_mark, f"nested more than {MAX_DEPTH} levels deep; flatten the document"
            )
        self.depth += nests
        try:
            node = super().compose_node(parent, index)
        finally:
            self.depth -= nests
        if isinstance(node, yaml.MappingNode):
            for key_node, _value in node.value:
                if key_node.tag == _MERGE_TAG:
                    raise self.refuse(
                        key_node.start_mark,
                        "YAML merge keys (<<) are not allowed: write the keys out in full",
                    )
        elif (
            isinstance(node, yaml.ScalarNode)
            and node.tag in _NUMBER_TAGS
            and len(node.value) > MAX_NUMBER_CHARACTERS
        ):
            raise self.refuse(
                node.start_mark,
                f"a number of {len(node.value)} characters; at most "
                f"{MAX_NUMBER_CHARACTERS} are allowed",
            )
        return node


def _scalar(loader: yaml.SafeLoader, node: yaml.ScalarNode, doc: SourceDocument) -> Any:
    try:
        return loader.construct_object(node, deep=True)
    except (ValueError, OverflowError) as exc:  # 2026-13-45 reads as a date, !!int abc …
        line, column = node.start_mark.line + 1, node.start_mark.column + 1
        raise PolicyValidationError(
            [f"{doc.filename}:{line}:{column}: invalid value: {exc}"]
        ) from exc


def _walk(loader: yaml.SafeLoader, node: yaml.Node, path: Path, doc: SourceDocument) -> Any:
    doc.positions[path] = (node.start_mark.line + 1, node.start_mark.column + 1)
    if isinstance(node, yaml.MappingNode):
        result: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            key = _scalar(loader, key_node, doc) if isinstance(key_node, yaml.ScalarNode) else None
            if not isinstance(key, str | int | float | bool) or key is None:
                raise PolicyValidationError(
                    [doc.problem(path, "mapping keys must be plain scalars")]
                )
            key = str(key) if not isinstance(key, str) else key
            child = (*path, key)
            if key in result:
                line = key_node.start_mark.line + 1
                column = key_node.start_mark.column + 1
                raise PolicyValidationError(
                    [f"{doc.filename}:{line}:{column}: duplicate key {key!r}"]
                )
            doc.key_positions[child] = (
                key_node.start_mark.line + 1,
                key_node.start_mark.column + 1,
            )
            result[key] = _walk(loader, value_node, child, doc)
        return result
    if isinstance(node, yaml.SequenceNode):
        return [_walk(loader, item, (*path, index), doc) for index, item in enumerate(node.value)]
    return _scalar(loader, node, doc)  # type: ignore[arg-type]


def parse_yaml(text: str, filename: str = "<policy>") -> SourceDocument:
    """Parse one YAML document; syntax errors become ``PolicyValidationError`` with a position.

    Anchors, aliases, merge keys, documents over ``MAX_DOCUMENT_BYTES``, nesting deeper than
    ``MAX_DEPTH`` and overlong numbers raise ``UnsafePolicyYamlError`` instead.
    """
    if len(text.encode("utf-8", "surrogatepass")) > MAX_DOCUMENT_BYTES:
        raise UnsafePolicyYamlError(
            [f"{filename}:1:1: the document is larger than {MAX_DOCUMENT_BYTES} bytes (1 MiB)"]
        )
    doc = SourceDocument(data=None, filename=filename)
    loader = _PlainLoader(text, filename)
    try:
        node = loader.get_single_node()
        if node is None:
            raise PolicyValidationError([f"{filename}:1:1: the file is empty"])
        doc.data = _walk(loader, node, (), doc)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = f"{filename}:{mark.line + 1}:{mark.column + 1}" if mark else f"{filename}:1:1"
        raise PolicyValidationError([f"{where}: invalid YAML: {exc.problem or exc}"]) from exc
    except yaml.YAMLError as exc:
        raise PolicyValidationError([f"{filename}:1:1: invalid YAML: {exc}"]) from exc
    finally:
        loader.dispose()
    return doc


def read_document(path: FilePath) -> str:
    """The text of ``path``, reading no more than one character past ``MAX_DOCUMENT_BYTES``.

    A longer file is cut there, which ``parse_yaml`` then refuses as too large: a policy path that
    names a huge file (or a device that never ends) costs at most that much memory.
    """
    with path.open(encoding="utf-8") as stream:
        return stream.read(MAX_DOCUMENT_BYTES + 1)


def json_depth(text: str) -> int:
    """How deeply the arrays and objects of a JSON text nest, found in one pass.

    Python's ``json`` recurses once per level; A2I conditions may be given as a JSON string, so
    their depth is checked against ``MAX_DEPTH`` before they are decoded.
    """
    depth = deepest = 0
    in_string = escaped = False
    for char in text:
        if in_string:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                in_string = False
        elif char == '"':
            in_string = True
        elif char in "[{":
            depth += 1
            deepest = max(deepest, depth)
        elif char in "]}":
            depth -= 1
    return deepest
