"""`make bench`: run every benchmark module in turn."""

from __future__ import annotations

import importlib

MODULES = ["bench.auth", "bench.apple_health", "bench.fit", "bench.gateway"]

for name in MODULES:
    print(f"== {name}", flush=True)
    importlib.import_module(name).main()
