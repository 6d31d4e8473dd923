"""HTTP stand-ins for the gateway and the study service, for the nginx recipes' tests: each
answers every path with its own name, the path and the Host header it received, so a test
sees where nginx sent a request and with which Host."""

from __future__ import annotations

from http.server import BaseHTTPRequestHandler


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
