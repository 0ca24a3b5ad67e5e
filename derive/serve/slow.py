"""Slow clients are cut off: a request's headers must arrive within ``header_timeout`` seconds of its
first byte (or of the connection), and its body within ``body_timeout`` of its headers.

uvicorn's h11 protocol has a keep-alive timeout only, and any byte resets it: 500 connections sending
half a request a byte at a time were all still held after 70 s (a slowloris).  ``protocol(settings)``
is uvicorn's h11 protocol with both deadlines: a client still sending headers at its deadline gets a
408 and the connection closed; one still sending its body has the connection closed (the handler
sees the client gone).  Idle keep-alive connections keep uvicorn's own timeout.
"""
from __future__ import annotations

import h11
from uvicorn.protocols.http.h11_impl import H11Protocol

TIMED_OUT = (b"HTTP/1.1 408 Request Timeout\r\ncontent-type: application/json\r\nconnection: close\r\n"
             b'content-length: 50\r\n\r\n{"error": "the request did not arrive in time"}   ')


class _Timed(H11Protocol):
    header_timeout = 10.0
    body_timeout = 60.0

    def connection_made(self, transport):
        super().connection_made(transport)
        self._deadline = None
        self._phase = ""
        self._arm("headers")

    def _arm(self, phase: str):
        self._disarm()
        seconds = self.header_timeout if phase == "headers" else self.body_timeout
        self._phase = phase
        self._deadline = self.loop.call_later(seconds, self._too_slow)

    def _disarm(self):
        if getattr(self, "_deadline", None) is not None:
            self._deadline.cancel()
        self._deadline, self._phase = None, ""

    def _too_slow(self):
        phase, self._deadline = self._phase, None
        if self.transport.is_closing():
            return
        if phase == "headers" and self.conn.our_state is h11.IDLE:       # no answer started: say why
            self.transport.write(TIMED_OUT)
        self.transport.close()

    def data_received(self, data: bytes) -> None:
        super().data_received(data)
        self._follow()

    def _follow(self):
        """Move the deadline with the request: headers, then body, then none while the app answers."""
        state = self.conn.their_state
        if state is h11.IDLE:                        # between requests, or inside a request's headers
            if self.conn.trailing_data[0] and self._phase != "headers":
                self._arm("headers")                 # a new request started arriving
        elif state is h11.SEND_BODY:
            if self._phase != "body":
                self._arm("body")
        elif self._phase:
            self._disarm()                           # the whole request is in

    def on_response_complete(self) -> None:
        super().on_response_complete()
        self._disarm()                               # idle: uvicorn's keep-alive timeout applies

    def connection_lost(self, exc):
        self._disarm()
        super().connection_lost(exc)


def protocol(settings) -> type:
    """uvicorn's h11 protocol with ``settings.header_timeout`` and ``settings.body_timeout``."""
    return type("TimedH11Protocol", (_Timed,), {"header_timeout": float(settings.header_timeout),
                                                "body_timeout": float(settings.body_timeout)})
