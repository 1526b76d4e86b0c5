"""The init signatures a curve config's `data:` and `readers.<kind>` sections are checked against, read from source.

`DecompDataModule` and the reader classes import torch, lightning and transformers (about ten CPU-seconds),
too slow for a config check that should fail in a second. So their modules are parsed with `ast`, not imported:
a class's `__init__` parameters with their annotations and literal defaults, and, as jsonargparse does for
`decomp fit`, `**kwargs` passed on to `super().__init__` followed into the base class. Reader kinds are found as
the registry finds them: `@register_reader("<kind>")` in the package's modules and in the `decomp.readers`
entry-point modules. Nothing is generated, so a new reader, or a new argument, is seen as soon as it is written.

A signature the source cannot state (a default that is no literal, an annotation beyond builtins and typing, a
base class outside the project) is `None`: the config check then imports the class through the registry.
"""

from __future__ import annotations

import ast
import builtins
import functools
import importlib.util
import json
import pkgutil
import typing
from dataclasses import dataclass, field, make_dataclass
from importlib.metadata import entry_points
from pathlib import Path

import decomp.readers

# What annotations may name besides builtins (`typing.X` is written as `X`).
NAMES = {"__builtins__": builtins, **{name: getattr(typing, name) for name in typing.__all__}}
DATA_CLASS = ("decomp.data.module", "DecompDataModule")
REGISTER = "register_reader"


class Unreadable(Exception):
    """The source does not state the signature; the class itself must be asked."""


@dataclass(frozen=True)
class Param:
    name: str
    annotation: str | None  # None: untyped, checked as Any
    default: object = None
    required: bool = False


# --- finding and parsing source, without importing it ---------------------------------------------------
def module_file(module: str) -> Path | None:
    """The source file of a module; its parent packages are imported (decomp's are torch-free), it is not."""
    try:
        spec = importlib.util.find_spec(module)
    except (ImportError, ValueError):
        return None
    origin = spec.origin if spec else None
    return Path(origin) if origin and origin.endswith(".py") else None


@functools.cache
def _parsed(path: str, mtime_ns: int, size: int) -> ast.Module:
    return ast.parse(Path(path).read_text(encoding="utf-8"), filename=path)


def _tree(module: str) -> ast.Module:
    path = module_file(module)
    if path is None:
        raise Unreadable(f"no source for {module}")
    stat = path.stat()  # an edited file is parsed again
    return _parsed(str(path), stat.st_mtime_ns, stat.st_size)


def _registrations(tree: ast.Module) -> dict[str, str]:
    """kind -> class name, for each class decorated with `@register_reader("<kind>")`."""
    out = {}
    for node in tree.body:
        for deco in node.decorator_list if isinstance(node, ast.ClassDef) else ():
            func = deco.func if isinstance(deco, ast.Call) else None
            name = func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else None
            if name == REGISTER and deco.args and isinstance(deco.args[0], ast.Constant):
                out[str(deco.args[0].value)] = node.name
    return out


def reader_sources() -> dict[str, tuple[str, str]]:
    """kind -> (module, class) of every reader the registry would discover, from source: the package's modules
    (sorted, as the registry imports them), then the entry-point plug-ins (a module, or `module:Class`).
    Raises Unreadable when a plug-in's module has no source to read (only importing it tells its kinds)."""
    out: dict[str, tuple[str, str]] = {}
    modules = [f"{decomp.readers.__name__}.{info.name}"
               for info in sorted(pkgutil.iter_modules(decomp.readers.__path__), key=lambda m: m.name)]
    for module in modules:
        for kind, cls in _registrations(_tree(module)).items():
            out.setdefault(kind, (module, cls))
    for point in entry_points(group=decomp.readers.REGISTRY.group):
        module, _, attr = point.value.partition(":")
        found = _registrations(_tree(module))
        if attr and attr not in found.values():
            found[point.name] = attr  # a class named by the entry point is registered under the entry's name
        for kind, cls in found.items():
            out.setdefault(kind, (module, cls))
    return out


# --- reading one class's signature ------------------------------------------------------------------------
def _followable(module: str, start: str) -> bool:
    """Source to follow a base class into: this project's, or the starting module's own package (importing
    the parents of anything else's module, e.g. `lightning.pytorch`, would import torch)."""
    top = module.partition(".")[0]
    return top in (decomp.__name__, start.partition(".")[0])


def _find_class(module: str, name: str, start: str) -> tuple[str, ast.ClassDef]:
    """A class by name as `module` sees it: defined there, or imported there with `from X import name`."""
    if not _followable(module, start):
        raise Unreadable(f"{module}.{name} is outside the project")
    tree = _tree(module)
    for node in tree.body:
        if isinstance(node, ast.ClassDef) and node.name == name:
            return module, node
    for node in tree.body:
        if isinstance(node, ast.ImportFrom) and node.module and not node.level:
            for alias in node.names:
                if (alias.asname or alias.name) == name:
                    return _find_class(node.module, alias.name, start)
    raise Unreadable(f"no class {name} in {module}")


def _base(module: str, cls: ast.ClassDef, start: str) -> tuple[str, ast.ClassDef]:
    if not cls.bases or not isinstance(cls.bases[0], ast.Name):
        raise Unreadable(f"{module}.{cls.name}: base class not named in the module")
    return _find_class(module, cls.bases[0].id, start)


def _passes_kwargs_up(init: ast.FunctionDef) -> bool:
    """Whether `__init__` calls `super().__init__(..., **<its kwargs>)`."""
    kwargs = init.args.kwarg.arg
    for node in ast.walk(init):
        if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "__init__"
                and isinstance(node.func.value, ast.Call) and isinstance(node.func.value.func, ast.Name)
                and node.func.value.func.id == "super"):
            return any(k.arg is None and isinstance(k.value, ast.Name) and k.value.id == kwargs for k in node.keywords)
    return False


def _param(arg: ast.arg, default: ast.expr | None, where: str) -> Param:
    annotation = ast.unparse(arg.annotation) if arg.annotation is not None else None
    if annotation is not None:
        try:
            eval(annotation, dict(NAMES))
        except Exception:  # a name of its own (a class, an alias): only the imported class can say what it is
            raise Unreadable(f"{where}.{arg.arg}: annotation {annotation!r} is not builtins or typing") from None
    if default is None:
        return Param(arg.arg, annotation, required=True)
    try:
        value = ast.literal_eval(default)
        json.dumps(value)
    except (ValueError, TypeError, SyntaxError):
        raise Unreadable(f"{where}.{arg.arg}: default {ast.unparse(default)} is not a literal") from None
    return Param(arg.arg, annotation, value)


def _signature(module: str, cls: ast.ClassDef, start: str) -> list[Param]:
    init = next((n for n in cls.body if isinstance(n, ast.FunctionDef) and n.name == "__init__"), None)
    if init is None:  # inherited
        return _signature(*_base(module, cls, start), start)
    args = init.args
    positional = [*args.posonlyargs, *args.args][1:]  # without self
    defaults = [None] * (len(positional) - len(args.defaults)) + list(args.defaults)
    where = f"{module}.{cls.name}"
    params = [_param(a, d, where) for a, d in zip(positional, defaults, strict=True)]
    params += [_param(a, d, where) for a, d in zip(args.kwonlyargs, args.kw_defaults, strict=True)]
    if args.kwarg is not None and _passes_kwargs_up(init):
        seen = {p.name for p in params}
        params += [p for p in _signature(*_base(module, cls, start), start) if p.name not in seen]
    return params


def signature(module: str, name: str) -> list[Param] | None:
    """The init parameters of class `name` of `module` as jsonargparse reads them, or None when the source
    does not state them."""
    try:
        return _signature(*_find_class(module, name, module), module)
    except (Unreadable, SyntaxError, OSError):
        return None


# --- as dataclasses jsonargparse checks --------------------------------------------------------------------
def _dataclass(name: str, params: list[Param]) -> type:
    fields = []
    for param in params:
        kind = typing.Any if param.annotation is None else eval(param.annotation, dict(NAMES))
        if param.required:
            fields.append((param.name, kind))
        elif isinstance(param.default, list | dict):
            copy = functools.partial(json.loads, json.dumps(param.default))
            fields.append((param.name, kind, field(default_factory=copy)))
        else:
            fields.append((param.name, kind, field(default=param.default)))
    return make_dataclass(name, fields)


def data_arguments() -> type | None:
    """`DecompDataModule`'s init arguments as a dataclass (None: ask the class)."""
    params = signature(*DATA_CLASS)
    return None if params is None else _dataclass("DecompDataModuleArguments", params)


def reader_arguments(kind: str) -> type | None:
    """A reader kind's init arguments as a dataclass; None when no source states them (ask the class)."""
    try:
        source = reader_sources().get(kind)
    except (Unreadable, SyntaxError, OSError):
        return None
    params = None if source is None else signature(*source)
    return None if params is None else _dataclass(f"ReaderArguments_{kind.replace('-', '_')}", params)


def reader_kinds() -> list[str] | None:
    """Every reader kind, sorted: those in source, and any registered in this process (a class defined at run
    time). None: a plug-in's source cannot be read, so only the registry knows."""
    try:
        return sorted({*reader_sources(), *decomp.readers.REGISTRY.registered()})
    except (Unreadable, SyntaxError, OSError):
        return None
