"""Reading the user's YAML files (designs, spaces, workloads) strictly, with errors that point at the spot.

PyYAML alone lets a key written twice win silently, reports syntax errors without
telling the CLI where, and raises `UnicodeDecodeError` on a non-UTF-8 file; here
each of those is a `ConfigError` naming the file, line and column.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from .errors import ConfigError, InputError
from .preflight import check_input_file

__all__ = ["read_yaml", "parse_yaml"]


class _StrictLoader(yaml.SafeLoader):
    """`yaml.SafeLoader` that refuses a mapping key written twice."""


def _mapping_without_duplicates(loader: _StrictLoader, node: yaml.MappingNode, deep: bool = False) -> dict:
    seen: dict[Any, yaml.Mark] = {}
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=deep)
        try:
            hash(key)
        except TypeError:
            continue  # SafeLoader itself rejects unhashable keys with a marked error
        if key in seen:
            mark = key_node.start_mark
            raise ConfigError(f"line {mark.line + 1}, column {mark.column + 1}: key {key!r} is written twice "
                              f"(first on line {seen[key].line + 1})")
        seen[key] = key_node.start_mark
    return loader.construct_mapping(node, deep=deep)


_StrictLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _mapping_without_duplicates)


def parse_yaml(text: str) -> Any:
    """Parse YAML text; a syntax error or a repeated key is a `ConfigError` with its line and column."""
    try:
        return yaml.load(text, Loader=_StrictLoader)  # noqa: S506 - a SafeLoader subclass
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark is not None else ""
        raise ConfigError(f"not valid YAML: {where}{exc.problem or exc.context}") from None
    except yaml.YAMLError as exc:
        raise ConfigError(f"not valid YAML: {str(exc).splitlines()[0] if str(exc) else type(exc).__name__}") from None


def read_yaml(path: str | Path, what: str) -> Any:
    """Read and parse a user's YAML file (``what`` names it in errors, e.g. "design file")."""
    try:
        path = check_input_file(path, what)
    except InputError as exc:  # a design, space or workload file is configuration
        raise ConfigError(str(exc)) from None
    data = path.read_bytes()
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise ConfigError(f"{path}: not a UTF-8 text file (byte 0x{data[exc.start]:02x} on line {line})") from None
    if "\x00" in text:
        raise ConfigError(f"{path}: not a text file (it holds NUL bytes)")
    try:
        return parse_yaml(text)
    except ConfigError as exc:
        raise ConfigError(f"{path}: {exc}") from None
