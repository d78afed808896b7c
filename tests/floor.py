"""The Python floor of a cold `get`, for tests/benchmark.py: only what any Python program must
do to get an ECR token, and nothing else. It imports socket and ssl, signs one
GetAuthorizationToken request with SigV4 (CPython's built-in SHA-256, HMAC by hand), makes one
TLS round trip and prints the answer's length.

Usage: python3 -I -S tests/floor.py HOST PORT TRUST   (TRUST: "system", or a CA file)

"system" trusts the system store the cheapest way OpenSSL offers: its hashed directory
(capath), which is what the helper does too. Standard library only; runs on Python 3.6+.
"""

import os
import socket
import ssl
import sys
import time

try:
    from _sha2 import sha256  # CPython 3.12+
except ImportError:
    from _sha256 import sha256

REGION = "us-west-2"
BODY = b'{"registryIds":["123456789012"]}'
TARGET = "AmazonEC2ContainerRegistry_V20150921.GetAuthorizationToken"


def hmac(key, data):
    key = key.ljust(64, b"\0")
    inner = sha256(bytes(b ^ 0x36 for b in key) + data).digest()
    return sha256(bytes(b ^ 0x5C for b in key) + inner).digest()


def authorization(host, amz_date):
    headers = "content-type:application/x-amz-json-1.1\nhost:%s\nx-amz-date:%s\nx-amz-target:%s\n" % (
        host, amz_date, TARGET)
    names = "content-type;host;x-amz-date;x-amz-target"
    request = "POST\n/\n\n%s\n%s\n%s" % (headers, names, sha256(BODY).hexdigest())
    scope = "%s/%s/ecr/aws4_request" % (amz_date[:8], REGION)
    to_sign = "AWS4-HMAC-SHA256\n%s\n%s\n%s" % (amz_date, scope, sha256(request.encode()).hexdigest())
    key = ("AWS4" + os.environ["AWS_SECRET_ACCESS_KEY"]).encode()
    for part in (amz_date[:8], REGION, "ecr", "aws4_request"):
        key = hmac(key, part.encode())
    signature = "".join("%02x" % b for b in hmac(key, to_sign.encode()))
    return "AWS4-HMAC-SHA256 Credential=%s/%s, SignedHeaders=%s, Signature=%s" % (
        os.environ["AWS_ACCESS_KEY_ID"], scope, names, signature)


def complete(answer):
    """The head and Content-Length bytes of body are in (the server may close without TLS's
    close_notify, which Python 3.6 reports as an error)."""
    head, separator, body = answer.partition(b"\r\n\r\n")
    if not separator:
        return False
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            return len(body) >= int(value)
    return False


def main():
    host, port, trust = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    if trust == "system":
        context = ssl.create_default_context(capath=ssl.get_default_verify_paths().capath)
    else:
        context = ssl.create_default_context(cafile=trust)
    amz_date = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
    head = ("POST / HTTP/1.1\r\nHost: %s\r\nContent-Type: application/x-amz-json-1.1\r\nX-Amz-Date: %s\r\n"
            "X-Amz-Target: %s\r\nAuthorization: %s\r\nContent-Length: %d\r\nConnection: close\r\n\r\n" % (
                host, amz_date, TARGET, authorization(host, amz_date), len(BODY)))
    sock = socket.create_connection((host.encode(), port))
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    with context.wrap_socket(sock, server_hostname=host.encode() if sys.version_info >= (3, 7) else host) as tls:
        tls.sendall(head.encode() + BODY)
        answer = b""
        while not complete(answer):
            data = tls.recv(65536)
            if not data:
                break
            answer += data
    if not answer.startswith(b"HTTP/1.1 200"):
        sys.exit("floor: unexpected answer %r" % answer[:100])
    print(len(answer))


if __name__ == "__main__":
    main()
