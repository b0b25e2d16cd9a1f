"""Content-Encoding: one layer of gzip or deflate, decoded with an output limit (no decompression bombs)."""

from __future__ import annotations

import zlib

SUPPORTED = ("gzip", "x-gzip", "deflate")


class EncodingRefusedError(ValueError):
    """The body's Content-Encoding is not one we asked for, or it is stacked, or the stream is corrupt."""


def parse_content_encoding(header: str | None) -> str | None:
    """The single coding to undo (None: identity). Raises EncodingRefusedError for anything else.

    We send ``Accept-Encoding: gzip, deflate``: a stack such as ``gzip, gzip`` multiplies the expansion
    of every layer (1.8 kB became 1 GiB), and br/zstd were never requested.
    """
    codings = [c.strip().lower() for c in (header or "").split(",") if c.strip()]
    codings = [c for c in codings if c != "identity"]
    if not codings:
        return None
    if len(codings) > 1:
        raise EncodingRefusedError(f"stacked content-encoding refused: {header}")
    if codings[0] not in SUPPORTED:
        raise EncodingRefusedError(f"content-encoding not supported: {codings[0]}")
    return codings[0]


class BodyDecoder:
    """Feed raw chunks, get decoded bytes; never produces more than ``limit`` + 1 bytes in total."""

    def __init__(self, coding: str | None, limit: int) -> None:
        self.coding = coding
        self.limit = limit
        self.produced = 0
        self._z: zlib._Decompress | None = None
        if coding in ("gzip", "x-gzip"):
            self._z = zlib.decompressobj(16 + zlib.MAX_WBITS)

    @property
    def over_limit(self) -> bool:
        return self.produced > self.limit

    def feed(self, chunk: bytes) -> bytes:
        """Decoded bytes of ``chunk``; stops (``over_limit``) once the output passes the limit."""
        if self.over_limit or not chunk:
            return b""
        if self.coding is None:
            out = chunk[: self.limit + 1 - self.produced]
        else:
            if self._z is None:  # deflate: zlib-wrapped per the RFC, raw deflate from some servers
                zlib_header = len(chunk) >= 2 and chunk[0] & 0x0F == 8 and int.from_bytes(chunk[:2]) % 31 == 0
                self._z = zlib.decompressobj(zlib.MAX_WBITS if zlib_header else -zlib.MAX_WBITS)
            if self._z.eof:
                return b""  # trailing bytes after the stream end are ignored
            try:
                # max_length bounds the output: the rest stays compressed in unconsumed_tail, never expanded.
                out = self._z.decompress(chunk, self.limit + 1 - self.produced)
            except zlib.error as exc:
                raise EncodingRefusedError(f"corrupt {self.coding} body: {exc}") from exc
        self.produced += len(out)
        return out

    def finish(self) -> bytes:
        """The end of the stream: what the decompressor still holds (bounded by the limit)."""
        if self._z is None or self.over_limit or self._z.eof:
            return b""
        try:
            out = self._z.flush(max(1, self.limit + 1 - self.produced))
        except zlib.error as exc:
            raise EncodingRefusedError(f"corrupt {self.coding} body: {exc}") from exc
        self.produced += len(out)
        return out
