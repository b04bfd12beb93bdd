"""The router's table: source name -> provider webhook module (and its hydrator).

Modules are imported on first use, so a cold start pays only for the provider it serves.
"""

from __future__ import annotations

import importlib
from types import ModuleType

from ..sources import PROVIDERS, THIN_PROVIDERS

SOURCES = PROVIDERS
THIN_SOURCES = THIN_PROVIDERS


def provider(source: str) -> ModuleType | None:
    """`ledgerlake.sources.<source>.webhook`, or None for a source we do not serve."""
    if source not in SOURCES:
        return None
    return importlib.import_module(f"ledgerlake.sources.{source}.webhook")


def hydrator(source: str) -> ModuleType:
    if source not in THIN_SOURCES:
        raise KeyError(f"no hydrator for {source!r}")
    return importlib.import_module(f"ledgerlake.sources.{source}.hydrate")
