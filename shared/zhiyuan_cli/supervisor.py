"""``zhiyuan up``: its own nats-server, the three services and the gateway, supervised.

NATS starts with JetStream (``sync_interval: always``) and authentication from the
start, on a port of its own (never the machine's 4222). Each service runs as its own
process with its own NATS user. Ctrl-C stops everything cleanly, in reverse order; a
restart keeps the data. If a process dies, its log tail is shown and the rest stop.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from zhiyuan_platform.natsconf import render_config
from zhiyuan_platform.testing.servers import free_port, nats_server_binary, wait_for_port

from .district import prepare_local_nats, provision_local
from .install import Install, load_or_create

Printer = Callable[[str], None]


def port_is_free(port: int) -> bool:
    import socket

    with socket.socket() as s:
        # As the servers do: a port in TIME_WAIT after our own restart is free to use.
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


@dataclass
class Child:
    name: str
    process: subprocess.Popen[bytes]
    log_path: Path


@dataclass
class System:
    root: Path
    gateway_host: str = "127.0.0.1"
    gateway_port: int = 8000
    external_nats: str | None = None
    postgres_url: str | None = None
    echo: Printer = print
    children: list[Child] = field(default_factory=list)
    install: Install | None = None

    @property
    def gateway_url(self) -> str:
        return f"http://{self.gateway_host}:{self.gateway_port}"

    def start(self) -> None:
        self.root.mkdir(parents=True, exist_ok=True)
        (self.root / "logs").mkdir(exist_ok=True)
        self.install = load_or_create(self.root, nats_port=free_port(), nats_http_port=free_port())
        if not port_is_free(self.gateway_port):
            raise SystemExit(
                f"port {self.gateway_port} is taken: stop whatever listens there, or run "
                f"`zhiyuan up --port N` (or set ZHIYUAN_GATEWAY_PORT)."
            )
        if self.external_nats is None:
            self._start_nats()
        for service in ("registry", "activities", "recognition"):
            self._spawn(service, [sys.executable, "-m", f"zhiyuan_{service}"])
        self._spawn("gateway", [sys.executable, "-m", "zhiyuan_gateway"])

    def _start_nats(self) -> None:
        assert self.install is not None
        install = self.install
        if not port_is_free(install.nats_port):
            install.nats_port = free_port()
            install.save()
        if not port_is_free(install.nats_http_port):
            install.nats_http_port = free_port()
            install.save()
        config = self.root / "nats.conf"
        districts = prepare_local_nats(self.root)
        config.write_text(
            render_config(
                host="127.0.0.1",
                port=install.nats_port,
                store_dir=str(self.root / "jetstream"),
                passwords=install.passwords,
                http_port=install.nats_http_port,
                sync_always=True,
                districts=districts,
            )
        )
        os.chmod(config, 0o600)
        log_path = self.root / "logs" / "nats.log"
        log = open(log_path, "ab")  # noqa: SIM115 - handed to the child
        process = subprocess.Popen(
            [nats_server_binary(), "-c", str(config)],
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self.children.append(Child("nats", process, log_path))
        wait_for_port("127.0.0.1", install.nats_port, timeout=20)
        provision_local(self.root, install.nats_url, install.passwords["operator"], self.echo)

    def env_for(self, service: str) -> dict[str, str]:
        assert self.install is not None
        env = dict(os.environ)
        env.update(
            {
                "ZHIYUAN_DATA_DIR": str(self.root),
                "ZHIYUAN_NATS_URL": self.external_nats or self.install.nats_url,
                "ZHIYUAN_NATS_USER": service,
                "ZHIYUAN_NATS_PASSWORD": self.install.passwords[service],
                "ZHIYUAN_GATEWAY_HOST": self.gateway_host,
                "ZHIYUAN_GATEWAY_PORT": str(self.gateway_port),
                "PYTHONUNBUFFERED": "1",
            }
        )
        if self.external_nats:
            # An existing NATS brings its own users: ZHIYUAN_<SERVICE>_NATS_USER / _PASSWORD.
            env["ZHIYUAN_NATS_USER"] = os.environ.get(f"ZHIYUAN_{service.upper()}_NATS_USER", "")
            env["ZHIYUAN_NATS_PASSWORD"] = os.environ.get(f"ZHIYUAN_{service.upper()}_NATS_PASSWORD", "")
        if self.postgres_url and service != "gateway":
            env["ZHIYUAN_DATABASE_URL"] = f"{self.postgres_url.rstrip('/')}/zhiyuan_{service}"
        return env

    def _spawn(self, name: str, argv: list[str]) -> None:
        log_path = self.root / "logs" / f"{name}.log"
        log = open(log_path, "ab")  # noqa: SIM115 - handed to the child
        # A session of its own: Ctrl-C reaches only the supervisor, which stops the
        # children in reverse order (gateway first, NATS last) so nothing is cut mid-write.
        process = subprocess.Popen(
            argv, env=self.env_for(name), stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
        self.children.append(Child(name, process, log_path))

    def wait_ready(self, timeout: float = 60.0) -> dict[str, str]:
        """Until the gateway answers and every service reports healthy through it."""
        deadline = time.monotonic() + timeout
        last: dict[str, str] = {}
        while time.monotonic() < deadline:
            self.check_children()
            with contextlib.suppress(httpx.HTTPError, ValueError):
                reply = httpx.get(f"{self.gateway_url}/api/v1/health/services", timeout=2)
                if reply.status_code == 200:
                    services = reply.json().get("services", {})
                    last = {name: str(info.get("status")) for name, info in services.items()}
                    if last and all(status == "ok" for status in last.values()):
                        return last
            time.sleep(0.3)
        raise TimeoutError(f"services not ready after {timeout:.0f}s: {last or 'gateway not answering'}")

    def check_children(self) -> None:
        for child in self.children:
            code = child.process.poll()
            if code is not None:
                tail = child.log_path.read_text(errors="replace").splitlines()[-20:]
                raise ChildDied(child.name, code, "\n".join(tail), child.log_path)

    def stop(self) -> None:
        for child in reversed(self.children):
            if child.process.poll() is None:
                child.process.send_signal(signal.SIGTERM)
                try:
                    child.process.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    child.process.kill()
                    child.process.wait()
                self.echo(f"  stopped {child.name}")
        self.children.clear()


class ChildDied(Exception):
    def __init__(self, name: str, code: int, tail: str, log_path: Path) -> None:
        super().__init__(f"{name} exited with code {code}")
        self.name = name
        self.code = code
        self.tail = tail
        self.log_path = log_path


@contextlib.contextmanager
def install_nats(root: Path, install: Install, echo: Printer = print) -> Iterator[None]:
    """The install's own NATS for a command run while ``zhiyuan up`` is stopped.

    A command that needs the streams (``zhiyuan recognition rebuild``) starts the embedded
    server from the install's configuration and data, and stops it afterwards; if the
    server is up already (``zhiyuan up`` runs, or another command started it) it is used.
    """
    config = root / "nats.conf"
    if not port_is_free(install.nats_port) or not config.exists():
        yield
        return
    log_path = root / "logs" / "nats.log"
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with open(log_path, "ab") as log:
        process = subprocess.Popen(
            [nats_server_binary(), "-c", str(config)], stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
    try:
        wait_for_port("127.0.0.1", install.nats_port, timeout=20)
        echo(f"started the install's NATS on {install.nats_url} for this command")
        yield
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
