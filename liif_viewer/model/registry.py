"""Name → builder registry for the networks a LIIF checkpoint may name in its spec."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from torch import nn

__all__ = ["register", "build", "known", "UnknownModelError"]

_BUILDERS: dict[str, Callable[..., nn.Module]] = {}


class UnknownModelError(ValueError):
    """A spec names a network this package does not implement."""


def register(name: str) -> Callable[[Callable[..., nn.Module]], Callable[..., nn.Module]]:
    """Decorator: make ``builder`` reachable as ``name`` in checkpoint specs."""

    def wrap(builder: Callable[..., nn.Module]) -> Callable[..., nn.Module]:
        _BUILDERS[name] = builder
        return builder

    return wrap


def known() -> list[str]:
    """Sorted names that ``build`` accepts."""
    return sorted(_BUILDERS)


def build(spec: dict[str, Any], **extra: Any) -> nn.Module:
    """Build ``{"name": ..., "args": {...}}``; unknown names raise with the supported list."""
    name = spec.get("name")
    if name not in _BUILDERS:
        raise UnknownModelError(f"unknown network {name!r}; supported: {', '.join(known())}")
    return _BUILDERS[name](**{**dict(spec.get("args") or {}), **extra})
