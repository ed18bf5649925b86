"""Reading an e-consultation message from a request: JSON, or multipart with photos.

A message with photos is one multipart request (fields plus up to five `photos` parts),
so the text and its pictures are accepted or refused together. Each part is read with a
hard cap a little over the photo limit: a bigger part is refused without being kept.
"""

from __future__ import annotations

from typing import Any

import msgspec
from litestar import Request
from litestar.datastructures import UploadFile
from litestar.exceptions import HTTPException, ValidationException

from app.domain.consultations import Category
from app.domain.photos import MAX_PHOTO_BYTES, MAX_PHOTOS_PER_MESSAGE
from app.errors import Invalid

__all__ = ["MESSAGE_MEDIA", "MessageForm", "read_message"]

#: what the message endpoints accept
MESSAGE_MEDIA = ("application/json", "multipart/form-data")
#: the largest message body: five maximal photos and room for the text and boundaries
MAX_MESSAGE_BODY = MAX_PHOTOS_PER_MESSAGE * MAX_PHOTO_BYTES + 1024 * 1024


class MessageForm(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """A message as the app sends it; `category` and `subject` only when starting a thread."""

    body: str
    category: Category | None = None
    subject: str | None = None
    #: filled from multipart parts, never from JSON
    photos: list[bytes] = msgspec.field(default_factory=list)


_decode = msgspec.json.Decoder(MessageForm).decode


async def read_message(request: Request[Any, Any, Any]) -> MessageForm:
    media = request.headers.get("content-type", "").split(";", 1)[0].strip().lower()
    if media != "multipart/form-data":
        raw = await request.body()
        limit: int = request.app.state.runtime.settings.max_json_body
        if len(raw) > limit:
            raise HTTPException(status_code=413, detail=f"a JSON message is at most {limit} bytes")
        try:
            form = _decode(raw)
        except (msgspec.ValidationError, msgspec.DecodeError) as exc:
            raise ValidationException(
                f"the message is not valid JSON of the right shape: {exc}"
            ) from exc
        if form.photos:
            raise Invalid("send photos as multipart/form-data parts named 'photos'")
        return form
    data = await request.form()
    fields: dict[str, Any] = {}
    photos: list[bytes] = []
    for name, value in data.multi_items():
        if isinstance(value, UploadFile):
            if name != "photos":
                raise Invalid(f"unexpected file part {name!r}; photos go in parts named 'photos'")
            if len(photos) >= MAX_PHOTOS_PER_MESSAGE:
                raise Invalid(
                    f"at most {MAX_PHOTOS_PER_MESSAGE} photos per message", kind="too-many-photos"
                )
            content = await value.read(MAX_PHOTO_BYTES + 1)
            await value.close()
            photos.append(content)  # over-size parts are refused by the cleaner
        elif name in ("body", "category", "subject"):
            fields[name] = value
        else:
            raise Invalid(f"unexpected field {name!r}")
    try:
        return msgspec.convert({**fields, "photos": photos}, MessageForm)
    except msgspec.ValidationError as exc:
        raise ValidationException(f"the message form is not valid: {exc}") from exc
