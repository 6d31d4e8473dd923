"""HTTP stand-ins for the gateway and the study service, for the nginx recipes' tests (each
answers every path with its own name, the path and the Host header it received, so a test
sees where nginx sent a request and with which Host), and nginx run around them."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from services.common import nginx_site


class EchoingGateway(BaseHTTPRequestHandler):
    """Stands in for the gateway: answers every path with the Host header it received."""

    name = "gateway"

    def do_GET(self) -> None:
        body = f"{self.name} {self.path} host={self.headers['Host']}".encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length", "0")))
        self.do_GET()

    def log_message(self, *args: object) -> None:
        return


class EchoingStudy(EchoingGateway):
    """Stands in for the study service."""

    name = "study"


@contextmanager
def serving_standins() -> Iterator[tuple[int, int]]:
    """An echoing gateway and study service on free ports: ``(gateway_port, study_port)``."""
    gateway = ThreadingHTTPServer(("127.0.0.1", 0), EchoingGateway)
    study = ThreadingHTTPServer(("127.0.0.1", 0), EchoingStudy)
    for server in (gateway, study):
        threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield gateway.server_port, study.server_port
    finally:
        for server in (gateway, study):
            server.shutdown()
            server.server_close()


@contextmanager
def running_nginx(config: Path, port: int) -> Iterator[str]:
    """nginx with ``config`` listening on ``port``: its URL, and stopped afterwards."""
    process = nginx_site.start(config, port)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        process.wait(timeout=10)
