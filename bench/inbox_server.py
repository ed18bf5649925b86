"""`python -m bench.inbox_server [--no-inbox-refresh] serve --port N`: `minlaege serve`,
for bench/inbox.py's before-and-after of the gateway upload.

With `--no-inbox-refresh`, gateway uploads in this server process do not keep the
clinic inbox current (`app.services.gateways.refresh_measurements` becomes a no-op
before the app is built): the "before" of issue 11's 10 % target. Without it, the
server is exactly `minlaege serve`, started the same way so both sides pay the same.
Bench only: nothing outside this process changes.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable


async def _no_refresh(
    uow: object, clock: object, citizen_id: str, touched: Iterable[str] | None = None, **_: object
) -> int:
    return 0


def main(argv: list[str]) -> int:
    if argv and argv[0] == "--no-inbox-refresh":
        argv = argv[1:]
        import app.services.gateways as gateways

        gateways.refresh_measurements = _no_refresh  # type: ignore[assignment]
    from mobile_api.cli import main as cli

    return cli(argv)


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
