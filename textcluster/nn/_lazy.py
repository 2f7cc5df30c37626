"""Import torch on first use, so that ``import textcluster`` (and the CLI) stay fast when no deep model runs."""
from __future__ import annotations

import importlib
from typing import Any

__all__ = ["torch", "F"]


class _LazyModule:
    def __init__(self, name: str):
        self._name = name

    def __getattr__(self, attr: str) -> Any:
        return getattr(importlib.import_module(self._name), attr)


torch: Any = _LazyModule("torch")
F: Any = _LazyModule("torch.nn.functional")
