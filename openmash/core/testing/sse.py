"""A small Server-Sent Events client over asyncio streams, for tests and benchmarks of the live boards.

Plain HTTP/1.1 on a socket (no dependency): one request, the response head, then the chunked body
decoded into events. Each event keeps the `time.monotonic()` at which it was read, for latency.
"""

from __future__ import annotations

import asyncio
import threading
import time
from dataclasses import dataclass
from urllib.parse import urlsplit


@dataclass
class Event:
    name: str
    data: str
    received: float  # time.monotonic() when the event was complete


class StreamClosed(Exception):
    """The server ended the stream (or the connection dropped)."""


class SSEClient:
    def __init__(self, url: str):
        parts = urlsplit(url)
        self.host, self.port = parts.hostname, parts.port or 80
        self.target = parts.path + (f"?{parts.query}" if parts.query else "")
        self.status: int | None = None
        self.headers: dict[str, str] = {}
        self.body = b""  # a non-stream answer (e.g. 404)
        self.retry_ms: int | None = None
        self._reader: asyncio.StreamReader | None = None
        self._writer: asyncio.StreamWriter | None = None
        self._chunked = False
        self._buffer = b""
        self._eof = False

    async def connect(self, timeout: float = 10) -> int:
        """Open the stream; returns the HTTP status. A non-200 answer's body is in `body`."""
        self._reader, self._writer = await asyncio.wait_for(asyncio.open_connection(self.host, self.port), timeout)
        self._writer.write(
            f"GET {self.target} HTTP/1.1\r\nHost: {self.host}:{self.port}\r\nAccept: text/event-stream\r\n"
            "Cache-Control: no-cache\r\n\r\n".encode()
        )
        await self._writer.drain()
        head = await asyncio.wait_for(self._reader.readuntil(b"\r\n\r\n"), timeout)
        lines = head.decode("latin-1").split("\r\n")
        self.status = int(lines[0].split()[1])
        for line in lines[1:]:
            if ":" in line:
                name, value = line.split(":", 1)
                self.headers[name.strip().lower()] = value.strip()
        self._chunked = self.headers.get("transfer-encoding", "").lower() == "chunked"
        if self.status != 200:
            if "content-length" in self.headers:
                self.body = await asyncio.wait_for(self._reader.readexactly(int(self.headers["content-length"])), timeout)
            elif self._chunked:
                while (chunk := await asyncio.wait_for(self._read_chunk(), timeout)) is not None:
                    self.body += chunk
            await self.close()
        return self.status

    async def _read_chunk(self) -> bytes | None:
        if not self._chunked:
            data = await self._reader.read(65536)
            return data or None
        size_line = await self._reader.readuntil(b"\r\n")
        size = int(size_line.split(b";")[0].strip(), 16)
        if size == 0:
            await self._reader.readuntil(b"\r\n")
            return None
        data = await self._reader.readexactly(size)
        await self._reader.readexactly(2)
        return data

    async def next_event(self, timeout: float | None = None) -> Event:
        """The next event (comments and `retry:` are consumed on the way). Raises StreamClosed at the
        end of the stream and TimeoutError when nothing arrives in time."""

        async def _next():
            while True:
                while b"\n\n" in self._buffer:
                    block, self._buffer = self._buffer.split(b"\n\n", 1)
                    event = self._parse(block.decode())
                    if event is not None:
                        return event
                if self._eof:
                    raise StreamClosed()
                try:
                    chunk = await self._read_chunk()
                except (asyncio.IncompleteReadError, ConnectionError):
                    chunk = None
                if chunk is None:
                    self._eof = True
                else:
                    self._buffer += chunk.replace(b"\r\n", b"\n")

        return await asyncio.wait_for(_next(), timeout)

    def _parse(self, block: str) -> Event | None:
        name, data = "message", []
        for line in block.split("\n"):
            if not line or line.startswith(":"):
                continue
            field, _, value = line.partition(":")
            value = value[1:] if value.startswith(" ") else value
            if field == "event":
                name = value
            elif field == "data":
                data.append(value)
            elif field == "retry" and value.isdigit():
                self.retry_ms = int(value)
        if not data and name == "message":
            return None
        return Event(name=name, data="\n".join(data), received=time.monotonic())

    async def wait_for(self, name: str, timeout: float) -> Event:
        """Skip events until one called `name` (e.g. past heartbeats); TimeoutError if none in time."""
        deadline = time.monotonic() + timeout
        while True:
            event = await self.next_event(max(0.0, deadline - time.monotonic()))
            if event.name == name:
                return event

    async def close(self):
        if self._writer is not None:
            self._writer.close()
            try:
                await self._writer.wait_closed()
            except (ConnectionError, OSError):
                pass
            self._writer = None


def run_in_thread(coro):
    """asyncio.run in a thread of its own: the thread running the tests may already have a running
    event loop (Playwright's sync API, when the browser tests share this worker)."""
    result, error = [], []

    def target():
        try:
            result.append(asyncio.run(coro))
        except BaseException as exc:  # noqa: BLE001 - re-raised in the caller's thread
            error.append(exc)

    thread = threading.Thread(target=target)
    thread.start()
    thread.join()
    if error:
        raise error[0]
    return result[0]
