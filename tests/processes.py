"""Real servers for tests: processes started on a free loopback port and stopped by pid, and an
HTTP receiver on loopback in a thread of the test's own."""

import socket
import subprocess
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from email.message import Message
from http.server import BaseHTTPRequestHandler, HTTPServer


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for_port(
    port: int, *, timeout: float = 15.0, process: subprocess.Popen | None = None
) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            error = process.stderr.read().decode(errors="replace") if process.stderr else ""
            raise RuntimeError(
                f"{process.args[0]} exited with {process.returncode} before listening: {error}"
            )
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return
        except OSError:
            time.sleep(0.05)
    raise TimeoutError(f"nothing listens on 127.0.0.1:{port} after {timeout}s")


def start(command: Sequence[str], port: int, **kwargs) -> subprocess.Popen:
    """Run ``command`` (it listens on ``port``) until it answers; the caller stops it with ``stop``."""
    process = subprocess.Popen(
        list(command), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, **kwargs
    )
    try:
        wait_for_port(port, process=process)
    except Exception:
        stop(process)
        raise
    return process


def stop(process: subprocess.Popen) -> None:
    """Stop this one process, by its pid."""
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@dataclass(frozen=True)
class ReceivedRequest:
    """One POST as ``LoopbackReceiver`` read it."""

    host: str
    headers: Message  # looked up by name in any letter case
    body: bytes


class LoopbackReceiver:
    """An HTTP server on 127.0.0.1 (a free port, a thread) that records every POST it is sent.

    It answers each with the next of ``statuses`` (200 once they run out), with a Location header
    when ``location`` is given. Use it as a context manager: the server runs inside the block.
    """

    def __init__(self, statuses: Sequence[int] = (), *, location: str = ""):
        self.statuses = list(statuses)
        self.requests: list[ReceivedRequest] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                # Recorded before answering: the sender's call returns only after the answer.
                receiver.requests.append(ReceivedRequest(self.headers["Host"], self.headers, body))
                self.send_response(receiver.statuses.pop(0) if receiver.statuses else 200)
                if location:
                    self.send_header("Location", location)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass  # the test's output is for the test

        self.server = HTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}/hook"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def hosts(self) -> list[str]:
        """The Host header of each request received, in order."""
        return [request.host for request in self.requests]

    def __enter__(self) -> "LoopbackReceiver":
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()
