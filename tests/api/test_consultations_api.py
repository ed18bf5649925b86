"""E-consultation over HTTP on both engines: threads, answers, photos and refusals."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from PIL import Image

from app.domain.photos import MAX_PHOTO_BYTES
from tests.conftest import Api


def jpeg_with_gps() -> bytes:
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"  # Make
    exif[0x0110] = "Model X"  # Model
    exif[0x8825] = {1: "N", 2: (55.0, 40.0, 30.0), 3: "E", 4: (12.0, 34.0, 10.0)}  # GPS
    buf = io.BytesIO()
    Image.new("RGB", (40, 30), (200, 80, 80)).save(buf, "JPEG", exif=exif)
    return buf.getvalue()


def png() -> bytes:
    buf = io.BytesIO()
    Image.new("RGBA", (20, 20), (0, 0, 255, 128)).save(buf, "PNG")
    return buf.getvalue()


def gif() -> bytes:
    buf = io.BytesIO()
    Image.new("P", (10, 10)).save(buf, "GIF")
    return buf.getvalue()


FIELDS = {"category": "results", "subject": "Udslæt på armen", "body": "Se billederne."}


async def start_json(api: Api, headers: dict[str, str], **over: str):
    return await api.client.post(
        "/v1/me/consultations",
        json={"category": "medication", "subject": "Bivirkninger", "body": "Jeg får hovedpine."}
        | over,
        headers=headers,
    )


async def start_with_photos(api: Api, headers: dict[str, str], photos: list[tuple[str, bytes]]):
    files = [("photos", (name, data, "image/jpeg")) for name, data in photos]
    return await api.client.post("/v1/me/consultations", data=FIELDS, files=files, headers=headers)


def blob_files(api: Api) -> list[Path]:
    root = api.runtime.settings.blob_root
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


async def test_thread_with_expected_answer_time_answer_and_notice(api: Api) -> None:
    r = await start_json(api, api.anna)
    assert r.status_code == 201, r.text
    thread = r.json()["consultation"]
    assert thread["status"] == "open" and thread["category_label"] == "Spørgsmål om medicin"
    # written Friday 20 November; three working days → Wednesday 25 November, end of day
    assert thread["answer_expected_by"] == "2026-11-25T23:59:00+01:00"

    triage = (await api.client.get("/v1/clinician/consultations", headers=api.nurse)).json()
    assert [(t["citizen_name"], t["consultation"]["category"]) for t in triage] == [
        ("Anna Jensen", "medication")
    ]
    read = await api.client.get(f"/v1/clinician/consultations/{thread['id']}", headers=api.gp)
    assert read.json()["messages"][0]["body"] == "Jeg får hovedpine."

    api.clock.advance(hours=3)
    answer = await api.client.post(
        f"/v1/clinician/consultations/{thread['id']}/messages",
        json={"body": "Tag den om aftenen i stedet."},
        headers=api.gp,
    )
    assert answer.status_code == 201, answer.text
    mine = (await api.client.get(f"/v1/me/consultations/{thread['id']}", headers=api.anna)).json()
    assert mine["consultation"]["status"] == "answered"
    assert mine["consultation"]["answer_expected_by"] is None
    assert [m["author_role"] for m in mine["messages"]] == ["citizen", "clinician"]
    told = (await api.client.get("/v1/me/notices", headers=api.anna)).json()["items"][0]
    assert told["kind"] == "consultation.answered" and "Bivirkninger" in told["body"]

    log = [
        e["action"]
        for e in (await api.client.get("/v1/me/audit-log", headers=api.anna)).json()["items"]
    ]
    for action in ("consultations.read", "consultation.read", "consultation.answer"):
        assert action in log

    api.clock.advance(days=1)
    again = await api.client.post(
        f"/v1/me/consultations/{thread['id']}/messages", json={"body": "Tak!"}, headers=api.anna
    )
    assert again.status_code == 201
    listed = (await api.client.get("/v1/me/consultations", headers=api.anna)).json()
    assert listed[0]["status"] == "open" and listed[0]["answer_expected_by"] is not None


async def test_close_blocks_citizen_messages_until_reopened(api: Api) -> None:
    tid = (await start_json(api, api.anna)).json()["consultation"]["id"]
    r = await api.client.post(f"/v1/clinician/consultations/{tid}/close", headers=api.gp)
    assert r.status_code == 200 and r.json()["status"] == "closed"
    r = await api.client.post(
        f"/v1/me/consultations/{tid}/messages", json={"body": "Hallo?"}, headers=api.anna
    )
    assert r.status_code == 409 and r.json()["type"].endswith("/thread-closed")
    r = await api.client.post(
        f"/v1/clinician/consultations/{tid}/messages", json={"body": "x"}, headers=api.gp
    )
    assert r.status_code == 409
    assert (
        await api.client.post(f"/v1/clinician/consultations/{tid}/close", headers=api.gp)
    ).status_code == 409
    r = await api.client.post(f"/v1/clinician/consultations/{tid}/reopen", headers=api.gp)
    assert r.status_code == 200 and r.json()["status"] == "open"
    r = await api.client.post(
        f"/v1/me/consultations/{tid}/messages", json={"body": "Hallo?"}, headers=api.anna
    )
    assert r.status_code == 201


async def test_photos_are_cleaned_stored_outside_the_db_and_viewable(api: Api) -> None:
    original = jpeg_with_gps()
    assert b"Exif" in original and b"PhoneMaker" in original
    r = await start_with_photos(api, api.anna, [("rash.jpg", original), ("close.png", png())])
    assert r.status_code == 201, r.text
    photos = r.json()["messages"][0]["photos"]
    assert [p["media_type"] for p in photos] == ["image/jpeg", "image/png"]
    assert len(blob_files(api)) == 2

    mine = await api.client.get(photos[0]["href"], headers=api.anna)
    assert mine.status_code == 200 and mine.headers["content-type"] == "image/jpeg"
    assert mine.headers["cache-control"] == "private, no-store"
    assert mine.headers["x-content-type-options"] == "nosniff"
    assert b"Exif" not in mine.content and b"PhoneMaker" not in mine.content
    assert Image.open(io.BytesIO(mine.content)).getexif() == {}

    tid = r.json()["consultation"]["id"]
    gp_view = await api.client.get(
        f"/v1/clinician/consultations/{tid}/photos/{photos[1]['id']}", headers=api.gp
    )
    assert gp_view.status_code == 200 and gp_view.headers["content-type"] == "image/png"
    assert gp_view.headers["cache-control"] == "private, no-store"
    assert gp_view.headers["x-content-type-options"] == "nosniff"
    log = [
        e["action"]
        for e in (await api.client.get("/v1/me/audit-log", headers=api.anna)).json()["items"]
    ]
    assert "consultation.photo.read" in log
    # another citizen cannot fetch it, even knowing both ids
    assert (await api.client.get(photos[0]["href"], headers=api.bent)).status_code == 404


@pytest.mark.parametrize(
    ("photos", "kind"),
    [
        ([("anim.gif", gif())], "photo-rejected"),
        ([("doc.jpg", b"%PDF-1.7\n" + b"0" * 200)], "photo-rejected"),
        (
            [("ok.jpg", jpeg_with_gps()), ("bad.jpg", b"MZ\x90\x00" + b"\x00" * 100)],
            "photo-rejected",
        ),
        ([("half.jpg", jpeg_with_gps()[:300])], "photo-rejected"),
        ([("huge.jpg", b"\xff\xd8\xff\xe0" + b"\x00" * MAX_PHOTO_BYTES)], "photo-too-large"),
        ([(f"p{i}.png", png()) for i in range(6)], "too-many-photos"),
    ],
)
async def test_refused_uploads_store_nothing(
    api: Api, photos: list[tuple[str, bytes]], kind: str
) -> None:
    r = await start_with_photos(api, api.anna, photos)
    assert r.status_code == 422, r.text
    assert r.json()["type"].endswith("/" + kind)
    assert (await api.client.get("/v1/me/consultations", headers=api.anna)).json() == []
    assert blob_files(api) == []


async def test_photos_off_at_the_clinic(api: Api) -> None:
    r = await api.client.put(
        "/v1/clinician/clinic/rules", json={"photos_enabled": False}, headers=api.gp
    )
    assert r.status_code == 200
    r = await start_with_photos(api, api.anna, [("a.png", png())])
    assert r.status_code == 422 and r.json()["type"].endswith("/photos-off")
    assert blob_files(api) == []
    assert (await start_json(api, api.anna)).status_code == 201  # text still works


async def test_malformed_messages(api: Api) -> None:
    for body in (
        {"category": "medication", "subject": "x"},
        {"category": "gossip", "subject": "x", "body": "y"},
    ):
        r = await api.client.post("/v1/me/consultations", json=body, headers=api.anna)
        assert r.status_code == 400, r.text
    r = await api.client.post("/v1/me/consultations", json={"body": "no subject"}, headers=api.anna)
    assert r.status_code == 422
    assert (await start_json(api, api.anna, body="   ")).status_code == 422
    assert (await start_json(api, api.anna, subject="x" * 201)).status_code == 422
    r = await api.client.post(
        "/v1/me/consultations", content=b"hello", headers={**api.anna, "content-type": "text/plain"}
    )
    assert r.status_code == 415
    r = await api.client.post(
        "/v1/me/consultations",
        content=b"{not json",
        headers={**api.anna, "content-type": "application/json"},
    )
    assert r.status_code == 400
    r = await api.client.post(
        "/v1/me/consultations",
        data=FIELDS,
        files=[("attachment", ("a.png", png(), "image/png"))],
        headers=api.anna,
    )
    assert r.status_code == 422
    assert (await api.client.get("/v1/me/consultations", headers=api.anna)).json() == []


async def test_scoping_of_threads(api: Api) -> None:
    tid = (await start_json(api, api.anna)).json()["consultation"]["id"]
    assert (
        await api.client.get(f"/v1/me/consultations/{tid}", headers=api.bent)
    ).status_code == 404
    r = await api.client.post(
        f"/v1/me/consultations/{tid}/messages", json={"body": "hej"}, headers=api.bent
    )
    assert r.status_code == 404
    _, other_gp = await api.other_clinic()
    assert (await api.client.get("/v1/clinician/consultations", headers=other_gp)).json() == []
    for method, path, body in (
        ("GET", f"/v1/clinician/consultations/{tid}", None),
        ("POST", f"/v1/clinician/consultations/{tid}/messages", {"body": "x"}),
        ("POST", f"/v1/clinician/consultations/{tid}/close", None),
    ):
        r = await api.client.request(method, path, json=body, headers=other_gp)
        assert r.status_code == 404, path
    assert (
        await api.client.get("/v1/clinician/consultations", headers=api.anna)
    ).status_code == 403
    assert (await api.client.get("/v1/me/consultations", headers=api.gp)).status_code == 403
    loner = await api.citizen("no-clinic")
    assert (await start_json(api, loner)).status_code == 404


async def test_the_triage_list_is_longest_waiting_first(api: Api) -> None:
    """docs/api.md: open threads, the one that has waited longest first; an answered
    thread leaves the list and comes back at the end when the citizen writes again."""
    ids = []
    for headers, subject in ((api.anna, "Først"), (api.bent, "Anden"), (api.anna, "Tredje")):
        r = await start_json(api, headers, subject=subject)
        assert r.status_code == 201, r.text
        ids.append(r.json()["consultation"]["id"])
        api.clock.advance(minutes=30)

    def order(listed: list[dict]) -> list[str]:
        return [t["consultation"]["id"] for t in listed]

    triage = await api.client.get(
        "/v1/clinician/consultations", params={"status": "open"}, headers=api.nurse
    )
    assert order(triage.json()) == ids
    answer = await api.client.post(
        f"/v1/clinician/consultations/{ids[0]}/messages", json={"body": "Svar."}, headers=api.gp
    )
    assert answer.status_code == 201, answer.text
    api.clock.advance(minutes=30)
    triage = await api.client.get(
        "/v1/clinician/consultations", params={"status": "open"}, headers=api.nurse
    )
    assert order(triage.json()) == ids[1:]
    follow_up = await api.client.post(
        f"/v1/me/consultations/{ids[0]}/messages", json={"body": "Tak, men…"}, headers=api.anna
    )
    assert follow_up.status_code == 201, follow_up.text
    triage = await api.client.get(
        "/v1/clinician/consultations", params={"status": "open"}, headers=api.nurse
    )
    assert order(triage.json()) == [ids[1], ids[2], ids[0]]


class DiskFull(Exception):
    """Stands for the database failing inside the message's transaction."""


async def _failing_add_message(self: object, m: object) -> None:
    raise DiskFull("no space left on device")


async def test_photos_are_removed_when_the_transaction_fails(
    api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    """ADR 0008: photos are written before the transaction; if it fails they are deleted
    again, for a new thread and for a follow-up alike."""
    from app.store.repos.consultations import SqlConsultations

    kept = await start_with_photos(api, api.anna, [("first.png", png())])
    assert kept.status_code == 201, kept.text
    tid = kept.json()["consultation"]["id"]
    assert len(blob_files(api)) == 1
    monkeypatch.setattr(SqlConsultations, "add_message", _failing_add_message)

    r = await start_with_photos(api, api.anna, [("a.jpg", jpeg_with_gps()), ("b.png", png())])
    assert (r.status_code, r.json()["type"]) == (500, "https://minlaege.dk/problems/internal")
    files = [("photos", ("c.png", png(), "image/png"))]
    r = await api.client.post(
        f"/v1/me/consultations/{tid}/messages",
        data={"body": "Og et billede mere."},
        files=files,
        headers=api.anna,
    )
    assert (r.status_code, r.json()["type"]) == (500, "https://minlaege.dk/problems/internal")

    monkeypatch.undo()
    assert len(blob_files(api)) == 1  # only the first thread's photo
    threads = (await api.client.get("/v1/me/consultations", headers=api.anna)).json()
    assert [t["id"] for t in threads] == [tid]
    thread = (await api.client.get(f"/v1/me/consultations/{tid}", headers=api.anna)).json()
    assert len(thread["messages"]) == 1
