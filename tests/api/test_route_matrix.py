"""The authorisation matrix over every route the app serves, found by walking the app:
each API refuses callers without a token (401) and callers of the other roles (403),
before any handler runs. New routes are covered the day they are added."""

from __future__ import annotations

import re

import pytest

from tests.conftest import Api

_PARAM = re.compile(r"\{[^}]+\}")
_API_ROLES = {"/v1/me": "anna", "/v1/clinician": "gp", "/v1/gateway": "gateway"}
_PUBLIC = {"/v1/gateway/pair", "/v1/gateway/token"}


def routes(api: Api) -> list[tuple[str, str, str]]:
    """(method, concrete path, owning role) for every role-guarded route."""
    app = api.client._transport.app  # type: ignore[attr-defined]
    out = []
    for route in app.routes:
        path = _PARAM.sub("00000000-0000-0000-0000-000000000000", route.path)
        owner = next((who for prefix, who in _API_ROLES.items() if path.startswith(prefix)), None)
        if owner is None or route.path in _PUBLIC:
            continue
        for method in sorted(getattr(route, "methods", set()) - {"OPTIONS", "HEAD"}):
            out.append((method, path, owner))
    return out


async def test_every_guarded_route_refuses_the_wrong_caller(api: Api) -> None:
    checked = 0
    for method, path, owner in routes(api):
        r = await api.client.request(method, path, json={})
        assert r.status_code == 401, (method, path, r.status_code)
        for who in ("anna", "gp", "gateway"):
            if who == owner:
                continue
            r = await api.client.request(method, path, headers=getattr(api, who), json={})
            assert r.status_code == 403, (who, method, path, r.status_code, r.text[:200])
        checked += 1
    assert checked > 60  # the walk found the APIs, not an empty list


@pytest.mark.parametrize("prefix", ["/v1/me/appointments", "/v1/clinician/appointments"])
async def test_the_walk_sees_the_booking_routes(api: Api, prefix: str) -> None:
    assert any(path.startswith(prefix) for _, path, _ in routes(api))
