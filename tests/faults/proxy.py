"""A loopback TCP proxy for fault injection: it stands between the portal and a real service (Redis,
PostgreSQL) and forwards, refuses or hangs on command. One thread and plain sockets, no external tool."""

import contextlib
import select
import socket
import struct
import threading

FORWARD, REFUSE, HANG = "forward", "refuse", "hang"


def _reset(sock):
    """Close with an RST (SO_LINGER 0), as a crashed or firewalled server does, not a polite FIN."""
    with contextlib.suppress(OSError):
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    sock.close()


class FaultProxy:
    """``with FaultProxy(host, port) as proxy:`` listens on ``proxy.port`` of 127.0.0.1.

    - ``forward()``: relay bytes both ways (the default).
    - ``refuse()``: close the listening socket (new connections are refused) and reset every open one.
    - ``hang()``: accept new connections and never answer; open ones stop being relayed (their bytes wait).
    - ``cut()``: reset every open connection once and keep forwarding new ones.
    """

    def __init__(self, host: str, port: int):
        self.target = (host, port)
        self.mode = FORWARD
        self.port = 0
        self._listener = None
        self._pairs: dict[socket.socket, socket.socket] = {}  # both directions
        self._held: list[socket.socket] = []  # accepted while hanging
        self._lock = threading.Lock()
        self._stop = False
        self._thread = threading.Thread(target=self._run, name=f"fault-proxy-{port}", daemon=True)

    # --- commands (from the test's thread) ---------------------------------------------------------------

    def forward(self):
        with self._lock:
            self.mode = FORWARD
            self._listen()

    def refuse(self):
        with self._lock:
            self.mode = REFUSE
            if self._listener is not None:
                self._listener.close()
                self._listener = None
            self._drop_all()

    def hang(self):
        with self._lock:
            self.mode = HANG
            self._listen()

    def cut(self):
        with self._lock:
            self._drop_all()

    @property
    def connections(self) -> int:
        with self._lock:
            return len(self._pairs) // 2 + len(self._held)

    # --- the loop ------------------------------------------------------------------------------------------

    def _listen(self):
        if self._listener is None:
            listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            listener.bind(("127.0.0.1", self.port))  # the same port again after a refusal
            listener.listen(64)
            self.port = listener.getsockname()[1]
            self._listener = listener

    def _drop_all(self):
        for sock in list(self._pairs) + self._held:
            _reset(sock)
        self._pairs.clear()
        self._held.clear()

    def _drop_pair(self, sock):
        peer = self._pairs.pop(sock, None)
        if peer is not None:
            self._pairs.pop(peer, None)
            _reset(peer)
        _reset(sock)

    def _run(self):
        while not self._stop:
            with self._lock:
                watched = [] if self._listener is None else [self._listener]
                if self.mode == FORWARD:
                    watched += list(self._pairs)
            try:
                readable, _, _ = select.select(watched, [], [], 0.02)
            except (OSError, ValueError):  # a socket closed by a command between the two steps
                continue
            with self._lock:
                for sock in readable:
                    if sock is self._listener:
                        self._accept()
                    elif self.mode == FORWARD and sock in self._pairs:
                        self._relay(sock)

    def _accept(self):
        try:
            client, _ = self._listener.accept()
        except OSError:
            return
        if self.mode == HANG:
            self._held.append(client)
            return
        try:
            upstream = socket.create_connection(self.target, timeout=2)
        except OSError:
            _reset(client)
            return
        upstream.settimeout(None)
        self._pairs[client] = upstream
        self._pairs[upstream] = client

    def _relay(self, sock):
        try:
            data = sock.recv(65536)
            if data:
                self._pairs[sock].sendall(data)
                return
        except OSError:
            pass
        self._drop_pair(sock)

    def __enter__(self):
        self.forward()
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop = True
        self._thread.join(timeout=2)
        with self._lock:
            if self._listener is not None:
                self._listener.close()
                self._listener = None
            self._drop_all()
