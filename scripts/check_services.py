"""Stop at once, saying how to start them, when PostgreSQL or Redis is unreachable."""

import os
import socket
import sys
from urllib.parse import urlparse

SERVICES = (
    (
        "DATABASE_URL",
        "PostgreSQL",
        5432,
        "pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start",
    ),
    (
        "REDIS_URL",
        "Redis",
        6379,
        "redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save '' --appendonly no",
    ),
)

failed = False
for variable, name, default_port, how in SERVICES:
    url = urlparse(os.environ[variable])
    host, port = url.hostname or "127.0.0.1", url.port or default_port
    try:
        socket.create_connection((host, port), timeout=2).close()
    except OSError as exc:
        failed = True
        print(f"{name} is not reachable at {host}:{port} ({exc.strerror or exc}).", file=sys.stderr)
        print(f"  Start it with: {how}", file=sys.stderr)
        print(f"  or point {variable} at a running one.", file=sys.stderr)
sys.exit(1 if failed else 0)
