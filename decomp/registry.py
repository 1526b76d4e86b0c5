"""Registries that discover their members, so a new strategy or reader is one new file.

On first use a registry imports every module of its package (`pkgutil`), whose decorators register
what they define, then loads the plug-ins named under its entry-point group, for code outside this
package, e.g. in the plug-in's pyproject.toml:

    [project.entry-points."decomp.strategies"]
    my-strategy = "my_package.my_strategy"    # a module whose `@register` runs on import

Two different classes under one name is an error naming both.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable, Iterator, Mapping
from importlib.metadata import entry_points
from typing import TypeVar

from decomp.errors import ConfigError

T = TypeVar("T", bound=type)


class UnknownNameError(ConfigError, KeyError):
    """A name no module registers (a KeyError too, so `Mapping.get` and `in` behave)."""

    __str__ = Exception.__str__


def where(cls: type) -> str:
    """The import path of a class: `module.qualname`."""
    return f"{cls.__module__}.{cls.__qualname__}"


class Registry(Mapping[str, type]):
    """A name -> class mapping filled by discovery on first read (never by a hand-kept list)."""

    def __init__(self, what: str, package: str, group: str, prefix: str = "") -> None:
        """`what` names members in messages; modules of `package` whose name starts with `prefix` are
        imported (all of them by default); `group` is the entry-point group of plug-ins."""
        self.what, self.package, self.group, self.prefix = what, package, group, prefix
        self._classes: dict[str, type] = {}
        self._discovered = self._discovering = False

    def add(self, name: str, cls: T) -> T:
        """Register `cls` under `name`; the same class (by import path) registering again is a no-op."""
        old = self._classes.get(name)
        if old is not None and where(old) != where(cls):
            raise ConfigError(f"duplicate {self.what} name {name!r}: {where(cls)} and {where(old)} both register it")
        self._classes[name] = cls
        return cls

    def decorator(self, name: str) -> Callable[[T], T]:
        return lambda cls: self.add(name, cls)

    def registered(self) -> tuple[str, ...]:
        """The names registered in this process so far, without discovering (importing) anything."""
        return tuple(self._classes)

    def discover(self) -> None:
        """Import the package's modules and load the entry-point plug-ins; again picks up new plug-ins.
        A module that fails to import raises here, and again on the next read (nothing is half-discovered)."""
        self._discovering = True
        try:
            package = importlib.import_module(self.package)
            for info in sorted(pkgutil.iter_modules(package.__path__), key=lambda m: m.name):
                if info.name.startswith(self.prefix):
                    importlib.import_module(f"{self.package}.{info.name}")
            for point in entry_points(group=self.group):
                loaded = point.load()  # a module registers on import; a class is registered under its entry name
                if isinstance(loaded, type) and loaded not in self._classes.values():
                    self.add(point.name, loaded)
            self._discovered = True
        finally:
            self._discovering = False

    def _all(self) -> dict[str, type]:
        if not self._discovered and not self._discovering:  # a module reading it while discovery runs
            self.discover()
        return self._classes

    def __getitem__(self, name: str) -> type:
        classes = self._all()
        if name not in classes:
            raise UnknownNameError(f"unknown {self.what} {name!r}; known: {', '.join(sorted(classes))}")
        return classes[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._all())

    def __len__(self) -> int:
        return len(self._all())

    def __contains__(self, name: object) -> bool:
        return name in self._all()

    def __repr__(self) -> str:
        return f"Registry({self.what}: {', '.join(self._all())})"
