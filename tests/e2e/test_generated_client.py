"""A mobile developer's day one: generate a client from `/schema/openapi.json` with
openapi-python-client, without a single warning, and drive a citizen's journey through
the generated code alone, error answers included (parsed as `Problem`)."""

from __future__ import annotations

import asyncio
import importlib
import io
import os
import subprocess
import sys
import uuid
from pathlib import Path
from types import ModuleType
from typing import Any

import httpx
import pytest
from PIL import Image

from tests.conftest import Api

ROOT = Path(__file__).resolve().parents[2]
EXPORT = ROOT / "fixtures" / "apple_health" / "export-small.xml"
PACKAGE = "minlaege_client"
#: the generator reads JSON and octet-stream bodies; the file types we document map to
#: octet-stream (docs/api.md, "Generate a client")
CONFIG = """\
content_type_overrides:
  application/zip: application/octet-stream
  application/x-zip-compressed: application/octet-stream
  application/xml: application/octet-stream
  text/xml: application/octet-stream
  application/vnd.ant.fit: application/octet-stream
  image/jpeg: application/octet-stream
  image/png: application/octet-stream
  application/fhir+json: application/json
"""
_generated: dict[str, Path] = {}


def generate(schema: str, where: Path) -> Path:
    """Run openapi-python-client once per test session; the package's parent dir."""
    if "dir" in _generated:
        return _generated["dir"]
    where.mkdir(parents=True, exist_ok=True)
    (where / "openapi.json").write_text(schema)
    (where / "config.yaml").write_text(CONFIG)
    bin_dir = Path(sys.executable).parent
    run = subprocess.run(
        [
            str(bin_dir / "openapi-python-client"),
            "generate",
            "--path",
            str(where / "openapi.json"),
            "--config",
            str(where / "config.yaml"),
            "--meta",
            "none",
            "--output-path",
            str(where / PACKAGE),
        ],
        capture_output=True,
        text=True,
        timeout=180,
        env={**os.environ, "PATH": f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}"},
    )
    output = run.stdout + run.stderr
    assert run.returncode == 0, output
    assert "warning" not in output.lower(), output
    assert "unable" not in output.lower() and "cannot" not in output.lower(), output
    _generated["dir"] = where
    return where


def module(name: str) -> ModuleType:
    return importlib.import_module(f"{PACKAGE}.{name}")


def client_for(api: Api, headers: dict[str, str]) -> Any:
    """The generated AuthenticatedClient, talking to the app in this process."""
    token = headers["Authorization"].removeprefix("Bearer ")
    c = module("client").AuthenticatedClient(base_url="http://testserver.local", token=token)
    transport = httpx.ASGITransport(app=api.client._transport.app)  # type: ignore[attr-defined]
    c.set_async_httpx_client(
        httpx.AsyncClient(transport=transport, base_url="http://testserver.local", headers=headers)
    )
    return c


def problem(response: Any, status: int, kind: str) -> None:
    """An error answer, parsed by the generated code as the shared Problem model."""
    assert response.status_code == status, response.content
    parsed = response.parsed
    assert type(parsed).__name__ == "Problem", parsed
    assert parsed.status == status
    assert parsed.type_ == f"https://minlaege.dk/problems/{kind}", parsed.type_
    assert parsed.title


def jpeg() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (64, 48), (200, 80, 60)).save(out, "JPEG")
    return out.getvalue()


async def test_a_citizen_journey_through_a_generated_client(
    api: Api, tmp_path_factory: pytest.TempPathFactory
) -> None:
    schema = (await api.client.get("/schema/openapi.json")).text
    where = generate(schema, tmp_path_factory.mktemp("generated"))
    if str(where) not in sys.path:
        sys.path.insert(0, str(where))
    models = module("models")
    types = module("types")
    anna = client_for(api, api.anna)

    # booking: book, a second booking of the same slot, cancel, book again, reschedule
    slots_api = module("api.booking.list_free_slots")
    slots = (await slots_api.asyncio_detailed(client=anna)).parsed
    assert len(slots) >= 3, slots
    book = module("api.booking.book_appointment")
    booked = await book.asyncio_detailed(
        client=anna,
        body=models.NewAppointment(slot_id=slots[0].id, reason="Ondt i ryggen"),
        idempotency_key=str(uuid.uuid4()),
    )
    assert booked.status_code == 201 and booked.parsed.status == "booked"
    taken = await book.asyncio_detailed(
        client=anna, body=models.NewAppointment(slot_id=slots[0].id)
    )
    problem(taken, 409, "slot-taken")
    cancel = module("api.booking.cancel_appointment")
    cancelled = await cancel.asyncio_detailed(appointment_id=booked.parsed.id, client=anna)
    assert cancelled.status_code == 200 and cancelled.parsed.status == "cancelled"
    problem(
        await cancel.asyncio_detailed(appointment_id=booked.parsed.id, client=anna),
        409,
        "not-booked",
    )
    second = await book.asyncio_detailed(
        client=anna, body=models.NewAppointment(slot_id=slots[1].id)
    )
    moved = await module("api.booking.reschedule_appointment").asyncio_detailed(
        appointment_id=second.parsed.id, client=anna, body=models.Reschedule(slot_id=slots[2].id)
    )
    assert moved.status_code == 201 and moved.parsed.replaces == second.parsed.id
    problem(
        await module("api.booking.get_appointment").asyncio_detailed(
            appointment_id="no-such-appointment", client=anna
        ),
        404,
        "not-found",
    )

    # a renewal, and the same again while it is pending
    medications = (
        await module("api.medications.list_my_medications").asyncio_detailed(client=anna)
    ).parsed
    renewable = next(m for m in medications if m.renewable)
    renew = module("api.medications.request_renewal")
    body = models.NewRenewal(medication_ids=[renewable.id], note="Jeg har 5 tabletter tilbage")
    made = await renew.asyncio_detailed(client=anna, body=body)
    assert made.status_code == 201 and made.parsed[0].status == "requested"
    problem(await renew.asyncio_detailed(client=anna, body=body), 409, "renewal-pending")

    # an Apple Health export, uploaded as the request body, then polled until done
    upload = await module("api.health_data.create_import").asyncio_detailed(
        client=anna,
        body=types.File(
            # bytes, not a file object: httpx's AsyncClient sends a body it can await
            payload=EXPORT.read_bytes(),  # type: ignore[arg-type]
            file_name="export.xml",
            mime_type="application/octet-stream",
        ),
    )
    assert upload.status_code == 202, upload.content
    assert upload.headers["location"] == f"/v1/me/imports/{upload.parsed.import_id}"
    get_import = module("api.health_data.get_import")
    for _ in range(100):
        await asyncio.gather(*list(api.runtime.jobs))
        job = (
            await get_import.asyncio_detailed(import_id=upload.parsed.import_id, client=anna)
        ).parsed
        if job.status in ("done", "failed"):
            break
    assert job.status == "done" and job.report.samples_stored == 3, job
    refused = await module("api.health_data.create_import").asyncio_detailed(
        client=anna,
        body=types.File(payload=b"hello", mime_type="application/octet-stream"),  # type: ignore[arg-type]
    )
    problem(refused, 422, "unsupported-file")

    # an e-consultation with a photo (multipart), and one with a file that is no photo
    start = module("api.e_consultation.start_consultation")
    thread = await start.asyncio_detailed(
        client=anna,
        body=models.StartConsultationFilesBody(
            category=models.StartConsultationFilesBodyCategory.RESULTS,
            subject="Udslæt på armen",
            body="Se billedet.",
            photos=[types.File(payload=io.BytesIO(jpeg()), file_name="arm.jpg")],
        ),
    )
    assert thread.status_code == 201, thread.content
    photos = thread.parsed.messages[0].photos
    assert len(photos) == 1 and photos[0].media_type == "image/jpeg"
    bad = await start.asyncio_detailed(
        client=anna,
        body=models.StartConsultationFilesBody(
            category=models.StartConsultationFilesBodyCategory.OTHER,
            subject="Billede",
            body="…",
            photos=[types.File(payload=io.BytesIO(b"not a picture"), file_name="x.jpg")],
        ),
    )
    problem(bad, 422, "photo-rejected")

    # share with the GP, revoke, and revoke again
    share = await module("api.sharing.create_share").asyncio_detailed(
        client=anna,
        body=models.NewShare(metrics=["steps", "heart_rate"], data_days=90, valid_days=30),
    )
    assert share.status_code == 201 and share.parsed.active
    revoke = module("api.sharing.revoke_share")
    revoked = await revoke.asyncio_detailed(share_id=share.parsed.id, client=anna)
    assert revoked.status_code == 200 and not revoked.parsed.active
    problem(await revoke.asyncio_detailed(share_id=share.parsed.id, client=anna), 409, "conflict")

    # a body the schema refuses is refused the same way, named by field
    unknown = await module("api.profile.update_me").asyncio_detailed(
        client=anna, body=models.ProfileChange.from_dict({"language": "fr"})
    )
    problem(unknown, 400, "validation")
    assert unknown.parsed.errors[0].key == "language"
