#!/usr/bin/env python3
"""Readiness probe for the local Kafka broker: sends a real Metadata request.

Standard library only (runs before the project's virtualenv exists).

    python3 deploy/local/kafka_ready.py [--bootstrap 127.0.0.1:29092] [--wait 60]

Exit 0 once the broker answers a Metadata (v1) request listing at least one
broker; exit 1 if it has not by the deadline. With --wait 0 it tries once.
"""

from __future__ import annotations

import argparse
import socket
import struct
import sys
import time

METADATA = 3
API_VERSION = 1  # supported by every 2.x/3.x broker
CLIENT_ID = b"hqfacts-ready"


def _read_exact(sock: socket.socket, n: int) -> bytes:
    buf = bytearray()
    while len(buf) < n:
        chunk = sock.recv(n - len(buf))
        if not chunk:
            raise ConnectionError("broker closed the connection")
        buf += chunk
    return bytes(buf)


class _Reader:
    def __init__(self, data: bytes) -> None:
        self.data = data
        self.pos = 0

    def take(self, fmt: str) -> int:
        (value,) = struct.unpack_from(fmt, self.data, self.pos)
        self.pos += struct.calcsize(fmt)
        return int(value)

    def string(self) -> str | None:
        n = self.take(">h")
        if n < 0:
            return None
        raw = self.data[self.pos : self.pos + n]
        self.pos += n
        return raw.decode("utf-8")


def metadata(host: str, port: int, timeout: float = 5.0) -> tuple[list[tuple[int, str, int]], int]:
    """Return ([(node_id, host, port), ...], controller_id) from one Metadata v1 call."""
    correlation_id = 7
    header = struct.pack(">hhih", METADATA, API_VERSION, correlation_id, len(CLIENT_ID)) + CLIENT_ID
    body = struct.pack(">i", 0)  # v1: empty topic array = "no topics", we only want brokers
    request = header + body
    with socket.create_connection((host, port), timeout=timeout) as sock:
        sock.settimeout(timeout)
        sock.sendall(struct.pack(">i", len(request)) + request)
        (size,) = struct.unpack(">i", _read_exact(sock, 4))
        reader = _Reader(_read_exact(sock, size))
    if reader.take(">i") != correlation_id:
        raise ValueError("correlation id mismatch")
    brokers = []
    for _ in range(reader.take(">i")):
        node_id = reader.take(">i")
        bhost = reader.string() or ""
        bport = reader.take(">i")
        reader.string()  # rack
        brokers.append((node_id, bhost, bport))
    controller_id = reader.take(">i")
    return brokers, controller_id


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bootstrap", default="127.0.0.1:29092")
    parser.add_argument("--wait", type=float, default=60.0, help="seconds to keep trying (0: once)")
    parser.add_argument("--quiet", action="store_true")
    args = parser.parse_args(argv)
    host, _, port_s = args.bootstrap.rpartition(":")
    port = int(port_s)

    deadline = time.monotonic() + args.wait
    last_error = "no attempt"
    while True:
        try:
            brokers, controller = metadata(host, port)
            if brokers:
                if not args.quiet:
                    listed = ", ".join(f"{n}@{h}:{p}" for n, h, p in brokers)
                    print(f"kafka ready at {args.bootstrap}: brokers [{listed}], controller {controller}")
                return 0
            last_error = "metadata listed no brokers"
        except (OSError, ValueError, struct.error) as exc:
            last_error = f"{type(exc).__name__}: {exc}"
        if time.monotonic() >= deadline:
            break
        time.sleep(0.5)
    if not args.quiet:
        print(f"kafka not ready at {args.bootstrap}: {last_error}", file=sys.stderr)
    return 1


if __name__ == "__main__":
    sys.exit(main())
