"""Malformed HTTP, sent byte for byte to gunicorn: what the in-process fuzzing cannot reach
(chunked bodies, conflicting lengths, oversized headers, control bytes). Every answer is below
500, nothing is stored, and the server stays healthy."""
import re
import socket

import pytest

from tests.harness.load import stored_rows

pytestmark = pytest.mark.slow

BODY = b'{"temperature": 20, "humidity": 50, "windspeed": 10}'
API = b"POST /api/v1/predictions HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
MALFORMED = [
    API + b"Transfer-Encoding: chunked\r\n\r\n" + b"%x\r\n" % len(BODY) + BODY + b"\r\n0\r\n\r\n",
    API + b"Transfer-Encoding: chunked\r\n\r\nzz\r\n" + BODY + b"\r\n0\r\n\r\n",
    API + b"Transfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n0\r\n\r\n",
    API + b"Content-Length: 5\r\nContent-Length: 500\r\n\r\n" + BODY,
    API + b"Content-Length: -1\r\n\r\n" + BODY,
    API + b"Content-Length: 1e3\r\n\r\n" + BODY,
    API + b"Content-Length: 99999999999999999999\r\n\r\n" + BODY,
    API + b"Content-Length: 10\r\n\r\n" + BODY,  # shorter than the body: the rest is ignored
    API + b"X-Big: " + b"a" * 20_000 + b"\r\nContent-Length: %d\r\n\r\n" % len(BODY) + BODY,
    API + b"".join(b"X-%d: 1\r\n" % i for i in range(200)) + b"Content-Length: %d\r\n\r\n" % len(BODY) + BODY,
    API + b"X-Bad\x00Name: 1\r\nContent-Length: %d\r\n\r\n" % len(BODY) + BODY,
    API + b"X-Forwarded-For: \xff\xfe, 300.1.1.1\r\nContent-Length: %d\r\n\r\n" % len(BODY) + BODY,
    API + b"Content-Type: text/plain\r\nContent-Length: %d\r\n\r\n" % len(BODY) + BODY,
    b"POST /api/v1/predictions\x00 HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n",
    b"POST /api/v1/predictions HTTP/9.9\r\nHost: 127.0.0.1\r\n\r\n",
    b"P\xc3\xb6ST /api/v1/predictions HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n",
    b"POST /" + b"a" * 10_000 + b" HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n",
    b"POST / HTTP/1.1\r\nHost: evil.example\r\nContent-Length: 0\r\n\r\n",
    b"POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: multipart/form-data; boundary=\r\nContent-Length: 4\r\n\r\n--\r\n",
    b"GET /predictions/%00/ HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n",
    b"GET /%ff%fe HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n",
    b"GET /\r\n\r\n",
    b"\r\n\r\n\r\n",
]
# Not HTTP at all: closing the connection without an answer is fine too.
NOT_HTTP = [b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03" + b"\x00" * 64]  # a TLS handshake
STATUS_LINE = re.compile(rb"^HTTP/1\.[01] (\d{3}) ")


def send_raw(port: int, request: bytes) -> bytes:
    with socket.create_connection(("127.0.0.1", port), timeout=30) as conn:
        conn.sendall(request)
        conn.shutdown(socket.SHUT_WR)  # no more bytes are coming: nothing may wait for them
        chunks = []
        while chunk := conn.recv(65536):
            chunks.append(chunk)
    return b"".join(chunks)


def test_malformed_requests_get_no_5xx_store_nothing_and_leave_the_server_healthy(start_web, cluster, database):
    server = start_web()
    answers = {}
    for index, request in enumerate(MALFORMED):
        answer = send_raw(server.port, request)
        match = STATUS_LINE.match(answer)
        answers[index] = int(match.group(1)) if match else answer[:40]
    assert {i: status for i, status in answers.items() if not isinstance(status, int) or status >= 500} == {}
    for request in NOT_HTTP:
        answer = send_raw(server.port, request)
        assert answer == b"" or int(STATUS_LINE.match(answer).group(1)) < 500
    # A garbled X-Forwarded-For does not spoil an otherwise good request; all else is refused.
    assert [i for i, status in answers.items() if status == 201] == [11]
    assert len(stored_rows(cluster, database)) == 1
    assert b" 200 " in send_raw(server.port, b"GET /readyz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
    assert "Internal Server Error" not in server.log()
