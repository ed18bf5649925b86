"""JSON bodies decoded strictly into the handler's type, in one pass (ADR 0017).

Litestar converts a body to the handler's type with msgspec in lax mode, which turns
`0` into a date-time and `"1"` into an integer: a body the schema calls invalid would
be accepted. Here the body is decoded once, strictly, straight into the `data` type
(msgspec Structs refuse unknown fields); the handler's signature then takes the
finished value as is. Errors are Litestar's own 400 with `errors` naming the field.
"""

from __future__ import annotations

import re
from typing import Any

import msgspec
from litestar import Request
from litestar.exceptions import ValidationException

__all__ = ["StrictRequest"]

_AT = re.compile(r" - at `\$\.?(.*)`$")
#: a `data` type -> its strict decoder, or None when it is not a msgspec type
_DECODERS: dict[Any, msgspec.json.Decoder[Any] | None] = {}


def _has_struct(info: msgspec.inspect.Type) -> bool:
    if isinstance(info, msgspec.inspect.StructType):
        return True
    if isinstance(info, msgspec.inspect.UnionType):
        return any(_has_struct(t) for t in info.types)
    if isinstance(info, msgspec.inspect.CollectionType):
        return _has_struct(info.item_type)
    return False


def _decoder(handler: Any) -> msgspec.json.Decoder[Any] | None:
    data = handler.parsed_fn_signature.parameters.get("data")
    if data is None:
        return None
    key = data.annotation
    if key not in _DECODERS:
        decoder = None
        try:
            if _has_struct(msgspec.inspect.type_info(key)):
                decoder = msgspec.json.Decoder(key, strict=True)
        except (TypeError, ValueError):  # not a type msgspec knows: Litestar's way
            decoder = None
        _DECODERS[key] = decoder
    return _DECODERS[key]


def _error(exc: msgspec.ValidationError) -> dict[str, str]:
    text = str(exc)
    match = _AT.search(text)
    error = {"message": text.split(" - ", 1)[0], "source": "body"}
    if match and match.group(1):
        error["key"] = match.group(1)
    return error


class StrictRequest(Request[Any, Any, Any]):
    """A request whose `json()` is the handler's `data` value, decoded strictly."""

    async def json(self) -> Any:
        decoder = _decoder(self.route_handler)
        if decoder is None:
            return await super().json()
        body = await self.body()
        try:
            return decoder.decode(body or b"null")
        except msgspec.ValidationError as exc:
            raise ValidationException(
                detail=f"Validation failed for {self.method} {self.url.path}",
                extra=[_error(exc)],
            ) from None
        except msgspec.DecodeError:  # not JSON at all: Litestar words the 400
            return await super().json()
