"""A TCP proxy for fault tests: forward to a real server, then go silent or refuse.

Put it between the code under test and a real PostgreSQL (or Redis), then change what the
network does while connections are open::

    with TcpProxy("127.0.0.1", 5432) as proxy:
        env = subprocess_env(DATABASE_URL=proxy.url_for(database_url))
        ...               # traffic flows both ways (FORWARD)
        proxy.silent()    # a peer that accepts and never answers (SILENT)
        proxy.refuse()    # connections refused, open ones reset (REFUSE)
        proxy.forward()   # healed: new connections work again

The three modes:

- ``FORWARD``: every accepted connection is joined to a new connection to the target and
  bytes are copied both ways.
- ``SILENT``: the listener keeps accepting; no byte is copied in either direction and no
  socket is closed. Data a client sends is still acknowledged by the kernel, as it would be
  by a hung server, so TCP keepalives and ``tcp_user_timeout`` do not fire: only a bound
  the client keeps itself can end its wait. Connections opened while silent wait, unjoined.
- ``REFUSE``: the listener is closed (a new connection gets "connection refused") and every
  open connection is reset (RST), as when the server process is gone.

Back to ``FORWARD``, connections that were held while silent carry on where they stopped
(a healed network), unless their client gave up and closed them meanwhile; after
``REFUSE`` the listener is opened again on the same port.

Threaded: one thread accepts, one per connection copies. ``stop()`` (or leaving the
``with`` block) closes everything. ``connections`` counts connections accepted so far.
"""

from __future__ import annotations

import contextlib
import select
import socket
import struct
import threading
from urllib.parse import urlsplit, urlunsplit

FORWARD = "forward"
SILENT = "silent"
REFUSE = "refuse"

_POLL = 0.05  # s: how soon a copying thread notices a change of mode


def _reset(sock: socket.socket) -> None:
    """Close with RST instead of FIN, as a vanished server's host would."""
    with contextlib.suppress(OSError):
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    with contextlib.suppress(OSError):
        sock.close()


class TcpProxy:
    """Listen on ``127.0.0.1`` (a free port unless ``port`` is given) and forward to
    ``(target_host, target_port)``; switch with :meth:`forward`, :meth:`silent` and
    :meth:`refuse` at any time, from any thread."""

    def __init__(self, target_host: str, target_port: int, port: int = 0):
        self.target = (target_host, target_port)
        self.host = "127.0.0.1"
        self.port = port
        self.mode = FORWARD
        self.connections = 0
        self._changed = threading.Condition()
        self._stopped = False
        self._listener: socket.socket | None = None
        self._sockets: set[socket.socket] = set()
        self._threads: list[threading.Thread] = []

    # -- the API ----------------------------------------------------------------------

    def start(self) -> TcpProxy:
        self._listen()
        self._spawn(self._accept_loop)
        return self

    def stop(self) -> None:
        with self._changed:
            self._stopped = True
            self._changed.notify_all()
        self._close_listener()
        for sock in list(self._sockets):
            _reset(sock)
        for thread in self._threads:
            thread.join(timeout=2)

    def forward(self) -> None:
        self._set_mode(FORWARD)

    def silent(self) -> None:
        self._set_mode(SILENT)

    def refuse(self) -> None:
        self._set_mode(REFUSE)

    def url_for(self, url: str) -> str:
        """``url`` (``postgres://user@host:port/name``, ``redis://host:port/0``) with its
        host and port replaced by the proxy's."""
        parts = urlsplit(url)
        userinfo = parts.netloc.rpartition("@")[0]
        netloc = (f"{userinfo}@" if userinfo else "") + f"{self.host}:{self.port}"
        return urlunsplit(parts._replace(netloc=netloc))

    def __enter__(self) -> TcpProxy:
        return self.start()

    def __exit__(self, *exc_info) -> None:
        self.stop()

    # -- the machinery ----------------------------------------------------------------

    def _set_mode(self, mode: str) -> None:
        with self._changed:
            previous, self.mode = self.mode, mode
            self._changed.notify_all()
        if mode == REFUSE:
            self._close_listener()
            for sock in list(self._sockets):
                _reset(sock)
        elif previous == REFUSE:
            self._listen()

    def _listen(self) -> None:
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind((self.host, self.port))
        listener.listen(64)
        listener.settimeout(_POLL)
        self.port = listener.getsockname()[1]
        self._listener = listener

    def _close_listener(self) -> None:
        listener, self._listener = self._listener, None
        if listener is not None:
            with contextlib.suppress(OSError):  # stops listening at once, even mid-accept
                listener.shutdown(socket.SHUT_RDWR)
            with contextlib.suppress(OSError):
                listener.close()

    def _spawn(self, target, *args) -> None:
        thread = threading.Thread(target=target, args=args, daemon=True)
        self._threads = [t for t in self._threads if t.is_alive()]
        self._threads.append(thread)
        thread.start()

    def _wait_while(self, predicate) -> None:
        with self._changed:
            while predicate() and not self._stopped:
                self._changed.wait(_POLL)

    def _accept_loop(self) -> None:
        while not self._stopped:
            listener = self._listener
            if listener is None:  # refusing: wait to be told to listen again
                self._wait_while(lambda: self._listener is None)
                continue
            try:
                client, _ = listener.accept()
            except TimeoutError:
                continue
            except OSError:  # closed under us by refuse() or stop()
                continue
            client.setblocking(True)
            self.connections += 1
            self._sockets.add(client)
            self._spawn(self._serve, client)

    def _serve(self, client: socket.socket) -> None:
        upstream = None
        try:
            self._wait_while(lambda: self.mode == SILENT)  # held, unjoined, while silent
            if self._stopped or self.mode == REFUSE:
                return
            upstream = socket.create_connection(self.target, timeout=5)
            upstream.setblocking(True)
            self._sockets.add(upstream)
            self._copy(client, upstream)
        except (OSError, ValueError):  # a socket reset or closed by refuse() or stop()
            pass
        finally:
            for sock in (client, upstream):
                if sock is not None:
                    self._sockets.discard(sock)
                    with contextlib.suppress(OSError):
                        sock.close()

    def _copy(self, client: socket.socket, upstream: socket.socket) -> None:
        peer = {client: upstream, upstream: client}
        while not self._stopped:
            if self.mode == REFUSE:
                return
            if self.mode == SILENT:
                self._wait_while(lambda: self.mode == SILENT)
                continue
            readable, _, _ = select.select([client, upstream], [], [], _POLL)
            for sock in readable:
                if self.mode != FORWARD:  # changed while selecting: leave bytes unread
                    break
                data = sock.recv(65536)
                if not data:
                    return
                peer[sock].sendall(data)
