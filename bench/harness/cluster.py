"""scale_out.py's processes besides the app servers: a durable PostgreSQL
cluster of the run's own, and Debian's nginx with the deployment's config."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
from pathlib import Path

from bench.harness.database import REPO
from testing.servers import free_port


class DurablePostgres:
    """A PostgreSQL cluster of this run's own, with durability on."""

    def __init__(self, pg_bin: str, workdir: Path) -> None:
        self.bin = pg_bin
        self.data = workdir / "pg"
        self.port = free_port()

    def _run(self, *cmd: str) -> None:
        prefix = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        subprocess.run([*prefix, *cmd], check=True, stdout=subprocess.DEVNULL)

    def start(self) -> None:
        self.data.mkdir()
        if os.geteuid() == 0:
            shutil.chown(self.data, "postgres")
            os.chmod(self.data.parent, 0o711)  # noqa: S103  (postgres must pass through)
        self._run(f"{self.bin}/initdb", "-D", str(self.data), "-U", "postgres", "-A", "trust")
        opts = (
            f"-p {self.port} -k {self.data} -c listen_addresses=127.0.0.1 -c max_connections=200"
            " -c fsync=on -c synchronous_commit=on -c full_page_writes=on -c shared_buffers=256MB"
        )
        self._run(f"{self.bin}/pg_ctl", "-D", str(self.data), "-o", opts, "-w", "start")

    def stop(self) -> None:
        with contextlib.suppress(subprocess.CalledProcessError):
            self._run(f"{self.bin}/pg_ctl", "-D", str(self.data), "-m", "fast", "-w", "stop")

    @property
    def url(self) -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/scale_out"


def nginx_config(workdir: Path, port: int, web: list[int], gateway: int) -> Path:
    """deploy/nginx/nginx.conf with the compose host names on loopback ports."""
    text = (REPO / "deploy/nginx/nginx.conf").read_text()
    text = text.replace("server web1:8000", f"server 127.0.0.1:{web[0]}")
    text = text.replace("server web2:8000", f"server 127.0.0.1:{web[1]}")
    # The web processes serve /ws/ too (one app): the live upstream is them.
    text = text.replace("server live1:8002", f"server 127.0.0.1:{web[0]}")
    text = text.replace("server live2:8002", f"server 127.0.0.1:{web[1]}")
    text = text.replace("server gateway:8001", f"server 127.0.0.1:{gateway}")
    text = text.replace("listen 8080", f"listen 127.0.0.1:{port}")
    text = text.replace("/var/cache/nginx/static", str(workdir / "nginx-cache"))
    # Which web node answered: how the bench knows where a websocket landed.
    text = text.replace(
        "access_log off;", "access_log off;\n    add_header X-Upstream $upstream_addr always;"
    )
    path = workdir / "nginx.conf"
    path.write_text(text)
    return path


class Nginx:
    """Debian's nginx with a config of nginx_config(), its files in `workdir`."""

    def __init__(self, workdir: Path, conf: Path) -> None:
        self.workdir, self.conf = workdir, conf

    def start(self) -> None:
        os.chmod(self.workdir, 0o711)  # noqa: S103  (www-data must pass through)
        (self.workdir / "nginx-cache").mkdir()
        if os.geteuid() == 0:
            shutil.chown(self.workdir / "nginx-cache", "www-data")
        g = f"pid {self.workdir}/nginx.pid; error_log {self.workdir}/nginx-error.log;"
        if os.geteuid() == 0:
            g = "user www-data; " + g
        subprocess.run(["nginx", "-c", str(self.conf), "-g", g], check=True)

    def stop(self) -> None:
        pid = self.workdir / "nginx.pid"
        if pid.exists():
            with contextlib.suppress(ProcessLookupError, ValueError):
                os.kill(int(pid.read_text()), signal.SIGQUIT)
