"""Content-Encoding decoding that never produces more than it is asked for, so a size cap holds on decoded bytes.

httpx decodes each network chunk whole: 64 KB of a gzip bomb can become 64 MB in one step, past any cap. Here the
raw bytes go through zlib with `max_length`, so the body grows by at most the room left under the cap.
"""

from __future__ import annotations

import zlib

# What the fetcher offers in Accept-Encoding: the encodings decoded here, and no others.
ACCEPT_ENCODING = "gzip, deflate"


class UnsupportedEncoding(ValueError):
    """A Content-Encoding the fetcher did not offer and cannot decode."""


class DecodeError(ValueError):
    """The body is not valid for its Content-Encoding."""


class CappedDecoder:
    """Decodes one body, chunk by chunk; `feed(raw, room)` returns at most `room` decoded bytes.

    What would decode past `room` is kept back undecoded; `pending` says whether anything is, which a caller that
    asked for one byte more than its cap reads as "the body is larger than the cap".
    """

    def __init__(self, content_encoding: str | None) -> None:
        codings = [c.strip().lower() for c in (content_encoding or "").split(",") if c.strip()]
        codings = [c for c in codings if c != "identity"]
        if len(codings) > 1:
            raise UnsupportedEncoding(f"stacked Content-Encoding {content_encoding!r} is not supported")
        self._coding = codings[0] if codings else None
        if self._coding in ("gzip", "x-gzip"):
            self._zlib: zlib._Decompress | None = zlib.decompressobj(16 + zlib.MAX_WBITS)
        elif self._coding == "deflate":
            self._zlib = zlib.decompressobj(zlib.MAX_WBITS)  # RFC 9110: zlib-wrapped; raw deflate tried on failure
        elif self._coding is None:
            self._zlib = None
        else:
            raise UnsupportedEncoding(f"Content-Encoding {content_encoding!r} was not offered and is not supported")
        self._tail = b""
        self._raw_tried = False

    @property
    def pending(self) -> bool:
        """Whether bytes were kept back for lack of room: the body is longer than the room allowed."""
        return bool(self._tail)

    def feed(self, raw: bytes, room: int) -> bytes:
        """Decode `raw` (after anything kept back) into at most `room` (at least 1) bytes."""
        data = self._tail + raw
        if self._zlib is None:
            self._tail = data[room:]
            return data[:room]
        try:
            out = self._zlib.decompress(data, room)
        except zlib.error as exc:
            if self._coding == "deflate" and not self._raw_tried:
                # Some servers send raw deflate under this name; browsers and httpx accept it, so do we.
                self._raw_tried = True
                self._zlib = zlib.decompressobj(-zlib.MAX_WBITS)
                return self.feed(raw, room)
            raise DecodeError(f"invalid {self._coding} data ({exc})") from exc
        if self._coding == "deflate":
            self._raw_tried = True  # the first bytes decoded: the wrapper is settled
        self._tail = self._zlib.unconsumed_tail  # input not yet decoded, because `room` bytes came out first
        return out

    def flush(self, room: int) -> bytes:
        """What the decoder still holds once the raw stream has ended (at most `room` bytes)."""
        if self._zlib is None or self._tail:
            return b""
        rest = self._zlib.flush()
        self._tail = rest[room:]
        return rest[:room]
