"""`make bench`: run every benchmark module in turn; `python -m bench api auth`: only those."""

from __future__ import annotations

import importlib
import sys

MODULES = [
    "bench.auth",
    "bench.apple_health",
    "bench.fit",
    "bench.gateway",
    "bench.api",
    "bench.summary",
    "bench.push",
    "bench.healthconnect",
    "bench.reminders",
    "bench.inbox",
    "bench.connections",
    "bench.exports",
    "bench.erase",
]

wanted = sys.argv[1:]
unknown = [w for w in wanted if f"bench.{w}" not in MODULES]
if unknown:
    raise SystemExit(f"no such benchmark: {', '.join(unknown)} (have: {', '.join(MODULES)})")
for name in MODULES:
    if wanted and name.removeprefix("bench.") not in wanted:
        continue
    print(f"== {name}", flush=True)
    importlib.import_module(name).main()
