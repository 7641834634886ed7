"""A TCP proxy in front of a real server that can cut responses: the request reaches the server
and is fully answered, but the answer is dropped and the client's connection reset, exactly
what a client sees when a response is lost after the server committed (issue 21)."""

from __future__ import annotations

import socket
import struct
import threading
from types import TracebackType
from typing import Self


def _read_http_message(sock: socket.socket) -> bytes:
    """One HTTP/1.1 message with a Content-Length body (hubauth and httpx send nothing else)."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        if not chunk:
            return data
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    length = 0
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value.strip())
    while len(body) < length:
        chunk = sock.recv(65536)
        if not chunk:
            break
        body += chunk
    return head + b"\r\n\r\n" + body


def _close_connection(request: bytes) -> bytes:
    """Ask the server to close after answering, so every request gets its own connection."""
    head, _, body = request.partition(b"\r\n\r\n")
    lines = [line for line in head.split(b"\r\n") if not line.lower().startswith(b"connection:")]
    return b"\r\n".join([*lines, b"Connection: close"]) + b"\r\n\r\n" + body


class CuttingProxy:
    """``cut_next(n, path)``: the next ``n`` requests whose request line contains ``path`` are
    forwarded and answered by the server, and their answers thrown away."""

    def __init__(self, upstream_port: int) -> None:
        self._upstream = ("127.0.0.1", upstream_port)
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port = self._listener.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self._lock = threading.Lock()
        self._cuts: list[bytes] = []
        self.cut = 0  # answers thrown away so far
        self.forwarded = 0
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def cut_next(self, n: int, path: str = "/token") -> None:
        with self._lock:
            self._cuts.extend([path.encode()] * n)

    def stop_cutting(self) -> None:
        with self._lock:
            self._cuts.clear()

    def _take_cut(self, request_line: bytes) -> bool:
        with self._lock:
            if self._cuts and self._cuts[0] in request_line:
                self._cuts.pop(0)
                self.cut += 1
                return True
            return False

    def _serve(self) -> None:
        while True:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            threading.Thread(target=self._handle, args=(client,), daemon=True).start()

    def _handle(self, client: socket.socket) -> None:
        with client:
            request = _read_http_message(client)
            if not request:
                return
            with socket.create_connection(self._upstream) as upstream:
                upstream.sendall(_close_connection(request))
                answer = _read_http_message(upstream)
            with self._lock:
                self.forwarded += 1
            if self._take_cut(request.split(b"\r\n", 1)[0]):
                # RST instead of FIN: the client sees a reset, not an empty answer
                client.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                return
            client.sendall(answer)

    def close(self) -> None:
        self._listener.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()
