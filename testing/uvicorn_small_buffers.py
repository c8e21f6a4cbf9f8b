"""uvicorn serving an ASGI app on a socket with a small, fixed send buffer.

    python -m testing.uvicorn_small_buffers [APP] --port PORT --send-buffer BYTES

APP defaults to config.asgi:application (servers.UvicornServer passes its own).

Connections accepted on a listening socket inherit its SO_SNDBUF, and a set
SO_SNDBUF turns off the kernel's autotuning. On loopback that autotuning
lets one connection queue megabytes, so a client that never reads would not
hold up the server's writes within a test's few hundred messages; with a
small buffer it does, and the test sees what a slow client does on a real
network after a long day.
"""

from __future__ import annotations

import argparse
import socket

import uvicorn


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("app", nargs="?", default="config.asgi:application")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--send-buffer", type=int, required=True)
    args = parser.parse_args()
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, args.send_buffer)
    sock.bind(("127.0.0.1", args.port))
    config = uvicorn.Config(args.app, access_log=False)
    uvicorn.Server(config).run(sockets=[sock])


if __name__ == "__main__":
    main()
