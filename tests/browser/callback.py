"""A stand-in for the app's redirect URI: a stdlib HTTP server in a thread that records every
request it gets (the browser lands here at the end of the install flow)."""

from __future__ import annotations

import queue
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit


class CallbackServer:
    def __init__(self) -> None:
        self.requests: queue.Queue[str] = queue.Queue()
        self.frame_target = ""
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                if self.path.startswith("/frame"):
                    # A hostile page trying to frame the consent screen (clickjacking).
                    body = f'<!doctype html><iframe src="{owner.frame_target}"></iframe>'.encode()
                elif self.path.startswith("/callback"):
                    owner.requests.put(self.path)
                    body = b"<!doctype html><title>callback</title><h1>Callback received</h1>"
                else:  # /favicon.ico and the like
                    self.send_error(404)
                    return
                self.send_response(200)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: object) -> None:
                return None

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self._server.server_address[1]
        self.base = f"http://127.0.0.1:{self.port}"
        self.redirect_uri = f"{self.base}/callback"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    def next_query(self, timeout: float = 10) -> dict[str, str]:
        """The query of the next callback request, each parameter exactly once."""
        path = self.requests.get(timeout=timeout)
        parsed = parse_qs(urlsplit(path).query, keep_blank_values=True)
        assert all(len(v) == 1 for v in parsed.values()), parsed
        return {k: v[0] for k, v in parsed.items()}

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)
