"""Reading what a kernel sends, within bounds, for as long as its connection is open.

Two dangers come from the kernel's side of the wire, whatever the cell did:

* **Depth.** A JSON document nested 200,000 levels deep made the client's decoder
  raise RecursionError in the host. :func:`bounded_unpacker` checks a frame's size and
  nesting depth before it is decoded; a frame over either bound is a
  :class:`MessageRejected`, never a RecursionError.
* **Output nobody reads.** IOPub used to be read only while a cell ran, so output a
  background thread printed after its cell ended piled up in ZMQ's receive queue (a
  thread printing 20 x 40 MiB grew the host by 800 MiB). :class:`IOPubPump` reads
  IOPub from the start of a connection to its end. A message for a cell that someone
  is waiting for goes to that waiter; anything else is counted and thrown away after
  reading only its small parent header, without checking or decoding its content.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from typing import Any

import zmq
from jupyter_client.asynchronous import AsyncKernelClient

Handler = Callable[[dict[str, Any] | None, str | None], None]

_DEPTH_BYTES = bytes.maketrans(b"{}", b"[]")
_NOT_BRACKETS = bytes(set(range(256)) - set(b"[]{}"))
MAX_BRACKETS = 1 << 20  # arrays and objects in one message; output is strings, not this
PARENT_BYTES = 1 << 16  # a parent header is a few hundred bytes; more is not one


class MessageRejected(ValueError):
    """A frame from the kernel exceeded the size or depth bound, or did not decode."""


def nesting_depth_exceeds(data: bytes, limit: int) -> bool:
    """True when the JSON text ``data`` nests arrays and objects deeper than ``limit``.

    Runs at C speed, without recursion: strings are cut out, everything but the
    brackets is deleted, and the innermost ``[]`` pairs are removed once per level.
    A structure no deeper than ``limit`` is empty after ``limit`` rounds. More than
    ``MAX_BRACKETS`` arrays and objects count as too deep: it bounds those rounds' cost.
    """
    if data.count(b"[") + data.count(b"{") <= limit:
        return False  # the common case: too few brackets to nest that deep
    # Escapes go first (a backslash pair, then an escaped quote), so that every quote
    # left delimits a string: the even pieces between quotes are the structure.
    unescaped = data.replace(b"\\\\", b"").replace(b'\\"', b"")
    structure = b"".join(unescaped.split(b'"')[::2])
    brackets = structure.translate(_DEPTH_BYTES, _NOT_BRACKETS)
    if len(brackets) > MAX_BRACKETS:
        return True
    if b"[" * (limit + 1) in brackets:
        return True
    for _ in range(limit):
        shorter = brackets.replace(b"[]", b"")
        if not shorter:
            return False
        if len(shorter) == len(brackets):
            return True  # unbalanced: not JSON the kernel's packer would make
        brackets = shorter
    return bool(brackets)


def bounded_unpacker(
    decode: Callable[[bytes], Any], max_bytes: int, max_depth: int
) -> Callable[[bytes], Any]:
    """``decode`` (a ``Session.unpack``), refusing oversized or overly nested frames first."""

    def unpack(data: bytes | memoryview) -> Any:
        raw = bytes(data)
        if len(raw) > max_bytes:
            raise MessageRejected(f"a message part of {len(raw)} bytes (limit {max_bytes})")
        if nesting_depth_exceeds(raw, max_depth):
            raise MessageRejected(f"a message nested more than {max_depth} levels deep")
        try:
            return decode(raw)
        except (ValueError, RecursionError) as exc:  # orjson's errors are ValueErrors
            raise MessageRejected(f"a message that is not valid JSON ({exc})") from None

    return unpack


class IOPubPump:
    """Reads every IOPub message of one client; hands those someone awaits to their handler.

    ``route(msg_id, handler)`` sends the decoded messages whose parent is ``msg_id`` to
    ``handler(msg, None)``; a message for it that could not be checked or decoded
    arrives as ``handler(None, reason)``. Everything else is dropped unread, and its
    size is added to ``dropped_bytes``.
    """

    def __init__(self, client: AsyncKernelClient) -> None:
        self.client = client
        self.routes: dict[str, Handler] = {}
        self.dropped_bytes = 0
        self.task = asyncio.ensure_future(self._pump())

    def route(self, msg_id: str, handler: Handler) -> None:
        self.routes[msg_id] = handler

    def unroute(self, msg_id: str) -> None:
        self.routes.pop(msg_id, None)

    def stop(self) -> None:
        self.task.cancel()

    async def _pump(self) -> None:
        socket = self.client.iopub_channel.socket
        session = self.client.session
        while True:
            try:
                frames = await socket.recv_multipart(copy=False)
            except zmq.ZMQError:
                return  # the channel was closed under us
            with contextlib.suppress(ValueError):  # no delimiter: not a message at all
                _, parts = session.feed_identities(frames, copy=False)
                self._dispatch(parts)

    def _dispatch(self, parts: list[Any]) -> None:
        handler = self._handler_for(parts)
        if handler is None:
            self.dropped_bytes += sum(len(part.buffer) for part in parts)
            return
        try:
            msg = self.client.session.deserialize(parts, content=True, copy=False)
        except (MessageRejected, ValueError, TypeError, KeyError) as exc:
            handler(None, str(exc))
            return
        handler(msg, None)

    def _handler_for(self, parts: list[Any]) -> Handler | None:
        """The handler named by the (unauthenticated, small) parent header, if any."""
        if len(parts) < 5 or not self.routes or len(parts[2].buffer) > PARENT_BYTES:
            return None
        try:
            parent = self.client.session.unpack(parts[2].bytes)
            return self.routes.get(parent.get("msg_id")) if isinstance(parent, dict) else None
        except (MessageRejected, TypeError, AttributeError):
            return None
