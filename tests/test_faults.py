"""The fault-test proxy itself, in front of a small echo server."""

import contextlib
import socket
import threading

import pytest

from tests.faults import SILENT, TcpProxy


@pytest.fixture
def echo_port():
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(16)

    def serve(conn):
        with conn, contextlib.suppress(OSError):  # reset by the proxy: done
            while data := conn.recv(4096):
                conn.sendall(data)

    def accept():
        with contextlib.suppress(OSError):
            while True:
                conn, _ = server.accept()
                threading.Thread(target=serve, args=(conn,), daemon=True).start()

    threading.Thread(target=accept, daemon=True).start()
    yield server.getsockname()[1]
    server.close()


def echo(sock: socket.socket, data: bytes) -> bytes:
    sock.sendall(data)
    return sock.recv(4096)


def test_the_proxy_forwards_then_goes_silent_then_heals(echo_port):
    with TcpProxy("127.0.0.1", echo_port) as proxy:
        sock = socket.create_connection((proxy.host, proxy.port), timeout=2)
        assert echo(sock, b"one") == b"one"

        proxy.silent()
        assert proxy.mode == SILENT
        sock.settimeout(0.5)
        with pytest.raises(TimeoutError):  # accepted, open, and no answer
            echo(sock, b"two")
        late = socket.create_connection((proxy.host, proxy.port), timeout=0.5)
        with pytest.raises(TimeoutError):  # new connections are accepted, never answered
            echo(late, b"three")

        proxy.forward()
        sock.settimeout(2)
        late.settimeout(2)
        assert sock.recv(4096) == b"two"  # held, not lost: the network healed
        assert late.recv(4096) == b"three"
        assert proxy.connections == 2
        sock.close()
        late.close()


def test_the_proxy_refuses_and_resets_then_listens_again(echo_port):
    with TcpProxy("127.0.0.1", echo_port) as proxy:
        sock = socket.create_connection((proxy.host, proxy.port), timeout=2)
        assert echo(sock, b"one") == b"one"

        proxy.refuse()
        with pytest.raises(ConnectionRefusedError):
            socket.create_connection((proxy.host, proxy.port), timeout=2)
        with pytest.raises((ConnectionResetError, BrokenPipeError)):
            sock.sendall(b"two")
            if not sock.recv(4096):
                raise ConnectionResetError

        proxy.forward()
        again = socket.create_connection((proxy.host, proxy.port), timeout=2)
        assert echo(again, b"three") == b"three"
        sock.close()
        again.close()


def test_url_for_points_a_database_url_at_the_proxy():
    proxy = TcpProxy("127.0.0.1", 5432, port=6543)
    assert proxy.url_for("postgres://postgres:pw@db.example:5432/tutor") == (
        "postgres://postgres:pw@127.0.0.1:6543/tutor"
    )
    assert proxy.url_for("redis://127.0.0.1:6379/4") == "redis://127.0.0.1:6543/4"
