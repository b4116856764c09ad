"""Reading YAML while remembering where every value came from.

Policy errors must point at ``file:line:column``. PyYAML's composer keeps a ``start_mark`` on every
node; this module walks the composed node tree once, building plain Python data and a map from each
value's path (``("categories", "Explicit", "block")``) to its 1-based line and column.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import yaml

from modgate.errors import PolicyValidationError

Path = tuple[str | int, ...]


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


def _scalar(loader: yaml.SafeLoader, node: yaml.ScalarNode) -> Any:
    return loader.construct_object(node, deep=True)


def _walk(loader: yaml.SafeLoader, node: yaml.Node, path: Path, doc: SourceDocument) -> Any:
    doc.positions[path] = (node.start_mark.line + 1, node.start_mark.column + 1)
    if isinstance(node, yaml.MappingNode):
        loader.flatten_mapping(node)
        result: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            key = _scalar(loader, key_node) if isinstance(key_node, yaml.ScalarNode) else None
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
    return _scalar(loader, node)  # type: ignore[arg-type]


def parse_yaml(text: str, filename: str = "<policy>") -> SourceDocument:
    """Parse one YAML document; syntax errors become ``PolicyValidationError`` with a position."""
    doc = SourceDocument(data=None, filename=filename)
    loader = yaml.SafeLoader(text)
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
