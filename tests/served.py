"""A real ``search serve`` process for the tests, and a small HTTP client.

The server listens on a free loopback port (``--port 0``) and prints the
URL it serves on its first line, which is read back here. What it prints
later is read as it comes, into ``Server.log``: a pipe left unread would
fill and stop the server at its next write.
"""

from __future__ import annotations

import http.client
import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import urllib.parse
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Dict, List, Optional, Union


def search_command() -> str:
    found = shutil.which("search", path=str(Path(sys.executable).parent)) or shutil.which("search")
    assert found, "install the project first: pip install -e '.[test]'"
    return found


@dataclass
class Answer:
    status: int
    headers: Dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)

    @property
    def error(self) -> Dict[str, str]:
        data = self.json()
        assert set(data) == {"error"} and set(data["error"]) == {"code", "message"}, data
        return dict(data["error"])


@dataclass
class Server:
    """A ``search serve`` process; ``url`` ends with ``/``."""

    process: subprocess.Popen  # type: ignore[type-arg]
    url: str
    first_line: str
    log: List[str] = field(default_factory=list)
    _reader: Optional[threading.Thread] = None

    def __post_init__(self) -> None:
        self._reader = threading.Thread(target=self._read_output, daemon=True)
        self._reader.start()

    def _read_output(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.log.append(line.rstrip("\n"))

    @property
    def host(self) -> str:
        return urllib.parse.urlsplit(self.url).hostname or ""

    @property
    def port(self) -> int:
        return urllib.parse.urlsplit(self.url).port or 0

    def call(
        self,
        method: str,
        path: str,
        params: Optional[Dict[str, Any]] = None,
        *,
        json_body: Any = None,
        body: Union[bytes, str, None] = None,
        headers: Optional[Dict[str, str]] = None,
    ) -> Answer:
        """One request on a fresh connection."""
        connection = http.client.HTTPConnection(self.host, self.port, timeout=120)
        try:
            target = path + ("?" + urllib.parse.urlencode(params) if params else "")
            sent = dict(headers or {})
            data: Optional[bytes] = None
            if json_body is not None:
                data = json.dumps(json_body).encode("utf-8")
                sent.setdefault("Content-Type", "application/json")
            elif body is not None:
                data = body.encode("utf-8") if isinstance(body, str) else body
            connection.request(method, target, body=data, headers=sent)
            response = connection.getresponse()
            return Answer(response.status, {k.lower(): v for k, v in response.getheaders()}, response.read())
        finally:
            connection.close()

    def stop(self, timeout: float = 60) -> int:
        """Ctrl-C, then the exit status."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
        try:
            code = self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            raise
        if self._reader is not None:
            self._reader.join(timeout)
        return code


def start(index: Path, *args: str, cwd: Optional[Path] = None, env: Optional[Dict[str, str]] = None) -> Server:
    """``search serve --index INDEX --port 0 ARGS`` (stdout and stderr
    together), once it prints its URL."""
    environment = {key: value for key, value in os.environ.items() if not key.startswith("SEARCHLIB_")}
    environment.update(env or {})
    environment.setdefault("PYTHONWARNINGS", "ignore::SyntaxWarning")
    process = subprocess.Popen(
        [search_command(), "serve", "--index", str(index), "--port", "0", *args],
        cwd=cwd or index.parent, env=environment, stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, encoding="utf-8",
    )
    assert process.stdout is not None
    line = process.stdout.readline().strip()
    if " at http://" not in line:
        rest = process.stdout.read()
        process.kill()
        raise AssertionError(f"search serve did not start: {line}\n{rest}")
    url = line.split(" at ", 1)[1].split()[0]
    return Server(process, url, line)
