"""Reading model files with line numbers kept, and writing them back.

:func:`read_yaml` returns plain data plus a map from field path (a tuple of keys and list
indices) to its 1-based line, so that every later error can point at the user's line.
Only PyYAML's safe constructors are used: a model file can hold data, never code.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Any

import yaml

from mnsim.errors import SpecError

Lines = dict[tuple[Any, ...], int]


def read_yaml(text: str, file: str) -> tuple[Any, Lines]:
    """Parse YAML ``text`` (from ``file``) into plain data and a path -> line map.

    Raises
    ------
    SpecError
        Malformed YAML, or a key given twice in one mapping.
    """
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        problem = getattr(exc, "problem", None) or str(exc)
        raise SpecError(f"malformed YAML: {problem}", file=file,
                        line=mark.line + 1 if mark else None) from exc
    lines: Lines = {}
    if node is None:
        return None, lines
    return _convert(node, (), lines, file, yaml.SafeLoader("")), lines


def _convert(node: yaml.Node, path: tuple[Any, ...], lines: Lines, file: str,
             scalars: yaml.SafeLoader) -> Any:
    lines[path] = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        result: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            if not isinstance(key_node, yaml.ScalarNode) or key_node.tag.endswith(":merge"):
                raise SpecError("keys must be plain names (YAML merge keys and complex keys "
                                "are not supported)", file=file, field=".".join(map(str, path)),
                                line=key_node.start_mark.line + 1)
            key = scalars.construct_object(key_node)
            if key in result:
                raise SpecError(f"key '{key}' is given twice", file=file,
                                field=".".join(map(str, path + (key,))),
                                line=key_node.start_mark.line + 1)
            result[key] = _convert(value_node, path + (key,), lines, file, scalars)
            lines[path + (key,)] = key_node.start_mark.line + 1  # the key's line, not the value's
        return result
    if isinstance(node, yaml.SequenceNode):
        return [_convert(child, path + (i,), lines, file, scalars)
                for i, child in enumerate(node.value)]
    try:
        return scalars.construct_object(node)
    except yaml.YAMLError as exc:
        raise SpecError(f"cannot read value '{node.value}': {exc}", file=file,
                        field=".".join(map(str, path)), line=node.start_mark.line + 1) from exc


def parse_scalar(text: str) -> Any:
    """Read an override's value as YAML would (``[1 nA, 2 nA]`` becomes a list)."""
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError:
        return text


class _Dumper(yaml.SafeDumper):
    pass


def _str_presenter(dumper: yaml.SafeDumper, data: str) -> yaml.ScalarNode:
    style = "|" if "\n" in data else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", data, style=style)


_Dumper.add_representer(str, _str_presenter)


def dump_yaml(data: Any) -> str:
    """YAML text of plain data, keys in their given order."""
    return yaml.dump(data, Dumper=_Dumper, sort_keys=False, allow_unicode=True,
                     default_flow_style=None, width=100)


def default_mode() -> int:
    """The mode a newly created file gets under the current umask."""
    mask = os.umask(0)
    os.umask(mask)
    return 0o666 & ~mask


def write_atomic(path: Path, text: str) -> Path:
    """Write ``text`` to ``path`` via a temporary file, so a failure leaves no half file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        os.chmod(tmp, default_mode())  # mkstemp makes 0600; a saved file gets the usual mode
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path
