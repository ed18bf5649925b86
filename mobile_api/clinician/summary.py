"""What a GP sees of a citizen's shared data: the summary (JSON, FHIR, HTML), the daily
series of a shared metric, and the citizen's flag thresholds."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, Literal

import msgspec
from litestar import Controller, Request, Response, get, post, put
from litestar.params import FromPath, JSONBody, QueryParameter

from adapters.fhir import summary_bundle
from app.domain.flags import Thresholds
from app.domain.summary import Summary
from app.domain.time import DEFAULT_TIMEZONE
from app.services import summary as summaries
from app.services.inbox import refresh_measurements
from app.services.summary_links import create_link, open_link
from app.services.wearables import DailySeries, parse_metric, series_of
from mobile_api.security import principal_of, runtime_of
from mobile_api.web import render_summary_html

__all__ = ["SummaryController", "load_summary", "open_summary_link", "summary_page"]

#: the page needs nothing but its own inline styles
PAGE_CSP = "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'"


class NewSummaryLink(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    lang: Literal["da", "en"] = "da"
    from_: date | None = msgspec.field(default=None, name="from")
    to: date | None = None


class SummaryLinkView(msgspec.Struct, frozen=True, kw_only=True):
    #: relative to the API's base URL; opens once
    url: str
    expires_at: datetime


def summary_page(found: Summary, language: Literal["da", "en"]) -> Response[str]:
    """The one-page HTML with its headers: nothing cached, nothing loaded, no referrer."""
    return Response(
        render_summary_html(found, language=language),
        media_type="text/html; charset=utf-8",
        headers={
            "Cache-Control": "private, no-store",
            "Content-Security-Policy": PAGE_CSP,
            "X-Content-Type-Options": "nosniff",
            "Referrer-Policy": "no-referrer",
            "X-Robots-Tag": "noindex",
        },
    )


def _accepted(request: Request[Any, Any, Any]) -> Literal["da", "en"]:
    accept = request.headers.get("accept-language", "").strip().lower()
    return "en" if accept.startswith("en") else "da"


@get(
    "/v1/summary-links/{token:str}",
    operation_id="openSummaryLink",
    media_type="text/html",
    tags=["clinician"],
)
async def open_summary_link(request: Request[Any, Any, Any], token: FromPath[str]) -> Response[str]:
    """Open a one-time link from `POST …/summary/links` (no token needed: the link is
    the credential). Used, expired or unknown links get 404."""
    runtime = runtime_of(request)
    async with runtime.store.transaction() as uow:
        clinician, link = await open_link(uow, runtime.clock, token)
        found = await summaries.build_summary(
            uow,
            runtime.clock,
            runtime.vault,
            clinician,
            link.citizen_id,
            first=link.first_day,
            last=link.last_day,
            rendering="html",
        )
    return summary_page(found, link.language)


FromDate = Annotated[
    date | None, QueryParameter(name="from", description="first local date (default: 90 days back)")
]
ToDate = Annotated[date | None, QueryParameter(description="last local date (default: today)")]


async def load_summary(
    request: Request[Any, Any, Any],
    citizen_id: str,
    first: date | None,
    last: date | None,
    rendering: str,
) -> Summary:
    runtime = runtime_of(request)
    async with runtime.store.transaction() as uow:
        return await summaries.build_summary(
            uow,
            runtime.clock,
            runtime.vault,
            principal_of(request),
            citizen_id,
            first=first,
            last=last,
            rendering=rendering,
        )


class SummaryController(Controller):
    path = "/citizens/{citizen_id:str}"

    @get("/summary", operation_id="getSummary")
    async def summary(
        self,
        request: Request[Any, Any, Any],
        citizen_id: FromPath[str],
        from_: FromDate = None,
        to: ToDate = None,
    ) -> Summary:
        """Flags first, then per shared metric its daily series, mean, trend, completeness
        and sources. 404 without an active share."""
        found = await load_summary(request, citizen_id, from_, to, "json")
        # the CPR number is for the FHIR identifier only; JSON does not need to carry it
        return msgspec.structs.replace(
            found, patient=msgspec.structs.replace(found.patient, cpr=None)
        )

    @get("/summary.fhir", operation_id="getSummaryFhir", media_type="application/fhir+json")
    async def summary_fhir(
        self,
        request: Request[Any, Any, Any],
        citizen_id: FromPath[str],
        from_: FromDate = None,
        to: ToDate = None,
    ) -> Response[bytes]:
        """The same summary as a FHIR R4 Bundle (collection): Patient with CPR identifier,
        Observations with LOINC codes and UCUM units, a Device per source, a Provenance."""
        found = await load_summary(request, citizen_id, from_, to, "fhir")
        return Response(
            msgspec.json.encode(summary_bundle(found)),
            media_type="application/fhir+json",
            headers={"Cache-Control": "private, no-store"},
        )

    @get("/summary.html", operation_id="getSummaryHtml", media_type="text/html")
    async def summary_html(
        self,
        request: Request[Any, Any, Any],
        citizen_id: FromPath[str],
        from_: FromDate = None,
        to: ToDate = None,
        lang: Annotated[
            Literal["da", "en"] | None,
            QueryParameter(description="da (default) or en; else from Accept-Language"),
        ] = None,
    ) -> Response[str]:
        """One printable page in Danish (or English): flags first, then a small chart per
        shared metric, drawn on the server as inline SVG; no JavaScript."""
        found = await load_summary(request, citizen_id, from_, to, "html")
        return summary_page(found, lang or _accepted(request))

    @post("/summary/links", operation_id="createSummaryLink", status_code=201)
    async def summary_link(
        self,
        request: Request[Any, Any, Any],
        citizen_id: FromPath[str],
        data: JSONBody[NewSummaryLink],
    ) -> SummaryLinkView:
        """A link that opens this page once in a browser without a token, within 10
        minutes, as you: for a clinic system to hand to the GP's browser."""
        runtime = runtime_of(request)
        async with runtime.store.transaction() as uow:
            token, link = await create_link(
                uow,
                runtime.clock,
                principal_of(request),
                citizen_id,
                language=data.lang,
                first=data.from_,
                last=data.to,
            )
        return SummaryLinkView(url=f"/v1/summary-links/{token}", expires_at=link.expires_at)

    @get("/daily", operation_id="getSharedDaily")
    async def daily(
        self,
        request: Request[Any, Any, Any],
        citizen_id: FromPath[str],
        metric: Annotated[str, QueryParameter(description="a shared metric")],
        from_: Annotated[date, QueryParameter(name="from", description="first local date")],
        to: Annotated[date, QueryParameter(description="last local date, inclusive")],
    ) -> DailySeries:
        """The daily series of one shared metric (contracts §4 shape), from the first day
        the share opens; 404 when the metric is not shared."""
        runtime = runtime_of(request)
        name = parse_metric(metric)
        async with runtime.store.transaction() as uow:
            _, rows = await summaries.shared_daily(
                uow, runtime.clock, principal_of(request), citizen_id, name, from_, to
            )
            citizen = await uow.citizens.get(citizen_id)
        return series_of(name, rows, citizen.timezone if citizen else DEFAULT_TIMEZONE)

    @get("/thresholds", operation_id="getThresholds")
    async def thresholds(
        self, request: Request[Any, Any, Any], citizen_id: FromPath[str]
    ) -> Thresholds:
        async with runtime_of(request).store.read() as uow:
            return await summaries.clinic_thresholds(uow, principal_of(request), citizen_id)

    @put("/thresholds", operation_id="setThresholds")
    async def set_thresholds(
        self,
        request: Request[Any, Any, Any],
        citizen_id: FromPath[str],
        data: JSONBody[Thresholds],
    ) -> Thresholds:
        """This citizen's own flag thresholds (leave out a field to keep its default)."""
        runtime = runtime_of(request)
        async with runtime.store.transaction() as uow:
            changed = await summaries.set_thresholds(
                uow, runtime.clock, principal_of(request), citizen_id, data
            )
            # the inbox follows the new limits at once
            await refresh_measurements(uow, runtime.clock, citizen_id)
            return changed
