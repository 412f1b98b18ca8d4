"""tests/api/synth.py (the API tests' fleet generator) for the benchmarks, loaded by its path.

Not imported by name: with PYTHONPATH at another tree (A/B runs), `api` is that tree's web
app package, and tests/api is no package anyway. Registered as `synth` in sys.modules so
its dataclasses pickle and compare as one module.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

PATH = Path(__file__).resolve().parent.parent / "tests/api/synth.py"


def load() -> ModuleType:
    if "synth" in sys.modules:
        return sys.modules["synth"]
    spec = importlib.util.spec_from_file_location("synth", PATH)
    assert spec is not None and spec.loader is not None
    module = sys.modules["synth"] = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module
