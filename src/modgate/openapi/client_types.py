"""The typed client's answer types (``modgate/client/models.py``), written from the answer
schemas (the ``modgate.openapi.schemas`` package): one ``TypedDict`` per model, the same
fields, the same types, so the client and the OpenAPI document cannot disagree. The client
imports the written file and never pydantic. A test compares the file with ``render()``; after
changing a schema, run ``python -m modgate.openapi.client_types``.
"""

from __future__ import annotations

import importlib
import inspect
import json
import pkgutil
import sys
import types
from pathlib import Path
from typing import Any, Literal, Union, get_args, get_origin

from pydantic import BaseModel, RootModel

from modgate.openapi import schemas

TARGET = Path(__file__).parent.parent / "client" / "models.py"
HEADER = '''"""The API's answers as typed dictionaries, written from ``modgate.openapi.schemas``
(the OpenAPI document's schemas) by ``python -m modgate.openapi.client_types``: do not edit by
hand. A key not listed here may be present too (a newer server's); a ``NotRequired`` key is
absent from some answers."""

from __future__ import annotations

from typing import Any, Literal, NotRequired, TypeAlias, TypedDict
'''


def _exported() -> list[tuple[str, Any]]:
    """The schemas package's names, in the order of its ``__all__`` (the written file's). A
    model of one of its modules that ``__all__`` forgets is an error, not a missing type."""
    exported = set(schemas.__all__)
    for info in pkgutil.iter_modules(schemas.__path__):
        module = importlib.import_module(f"{schemas.__name__}.{info.name}")
        for name, value in vars(module).items():
            defined = isinstance(value, type) and value.__module__ == module.__name__
            if defined and issubclass(value, BaseModel) and name not in exported:
                raise LookupError(f"{module.__name__}.{name} is missing from schemas.__all__")
    return [(name, getattr(schemas, name)) for name in schemas.__all__]


def _aliases() -> dict[tuple[Any, ...], str]:
    """Literal aliases of the schemas package (``Action`` …), by their values."""
    return {
        get_args(value): name
        for name, value in _exported()
        if get_origin(value) is Literal and not name.startswith("_")
    }


def _values(args: tuple[Any, ...]) -> str:
    return ", ".join(json.dumps(arg) for arg in args)


def _type(annotation: Any, aliases: dict[tuple[Any, ...], str]) -> str:
    origin, args = get_origin(annotation), get_args(annotation)
    if annotation is Any:
        return "Any"
    if annotation is type(None):
        return "None"
    if origin is Literal:
        return aliases.get(args) or f"Literal[{_values(args)}]"
    if origin in (Union, types.UnionType):
        return " | ".join(_type(arg, aliases) for arg in args)
    if origin in (list, dict):
        return f"{origin.__name__}[{', '.join(_type(arg, aliases) for arg in args)}]"
    if isinstance(annotation, type):
        return annotation.__name__
    raise TypeError(f"no TypedDict type for {annotation!r}")


def _models() -> list[type[BaseModel]]:
    return [
        value
        for _, value in _exported()
        if isinstance(value, type)
        and issubclass(value, BaseModel)
        and value.__module__.startswith(f"{schemas.__name__}.")
        and value is not schemas.Open
    ]


def _alias(name: str, args: tuple[Any, ...]) -> str:
    """``Name: TypeAlias = Literal[...]``, one value a line when one line would be too long
    (as ruff formats it)."""
    line = f"{name}: TypeAlias = Literal[{_values(args)}]"
    if len(line) <= 100:
        return line
    values = "".join(f"    {json.dumps(value)},\n" for value in args)
    return f"{name}: TypeAlias = Literal[\n{values}]"


def render() -> str:
    aliases = _aliases()
    lines = [HEADER]
    lines += [_alias(name, args) for args, name in aliases.items()]
    for model in _models():
        if issubclass(model, RootModel):  # a bare list or mapping: its type, by name
            root = _type(model.model_fields["root"].annotation, aliases)
            lines += ["", "", f"{model.__name__}: TypeAlias = {root}"]
            continue
        base = model.__bases__[0]
        parent = "TypedDict" if base is schemas.Open else base.__name__
        lines += ["", "", f"class {model.__name__}({parent}):"]
        doc = inspect.cleandoc(model.__doc__ or "") if "__doc__" in vars(model) else ""
        if doc:
            body = doc.replace("\n", "\n    ")
            lines += [f'    """{body}"""', ""]
        own = {
            name: field
            for name, field in model.model_fields.items()
            if name not in getattr(base, "model_fields", {})
        }
        for name, field in own.items():
            written = _type(field.annotation, aliases)
            if not field.is_required():
                written = f"NotRequired[{written}]"
            lines.append(f"    {name}: {written}")
        if not own:
            lines.append("    pass")
    return "\n".join(lines) + "\n"


def main() -> None:
    TARGET.write_text(render())
    print(f"wrote {TARGET}", file=sys.stderr)


if __name__ == "__main__":
    main()
