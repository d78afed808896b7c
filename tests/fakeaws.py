"""A loopback fake of the AWS endpoints that the ECR credential helper talks to.

One threaded HTTP server on 127.0.0.1 (a free port) answers for every service.
Point all the endpoint settings at ``fake.url``, because requests are routed by
their shape, not by host name:

==========  =========================================================  =========================
service     recognised by                                              Recorded.action
==========  =========================================================  =========================
ecr         POST, X-Amz-Target AmazonEC2ContainerRegistry_V20150921.*  GetAuthorizationToken
ecr-public  POST, X-Amz-Target SpencerFrontendService.*                GetAuthorizationToken
sts         POST, form body with Action=...                            AssumeRole, AssumeRole...
                                                                       WithWebIdentity
sso         GET /federation/credentials?role_name=..&account_id=..     GetRoleCredentials
oidc        POST /token (JSON)                                         CreateToken
container   GET of any path starting with fake.container_path         container
imds        /latest/... (PUT api/token, GET iam/security-credentials)  imds-token, imds-role,
                                                                       imds-creds (imds-other)
unknown     anything else (answered 404)                               unknown
==========  =========================================================  =========================

Typical use::

    from tests.fakeaws import FakeAWS, Reply, json_error

    with FakeAWS() as fake:
        env = fake.endpoint_env()            # AWS_ENDPOINT_URL_ECR=..., etc.
        fake.script("ecr", "GetAuthorizationToken",
                    [json_error("ThrottlingException", "slow down", 400), Reply(status=500)])
        ... run the helper ...
        assert fake.count("ecr") == 3        # two scripted faults, then the default answer
        rec = fake.last("ecr")
        assert rec.auth["region"] == "us-west-2"
        assert fake.secrets_in(log_text) == []

Every credential the fake hands out is freshly minted, distinct, recognisable
(``ASIAFAKE000000000007``, ``fake-secret-0008-<hex>``, ...) and listed in
``fake.minted`` (secrets only; access key ids are in ``fake.access_key_ids``),
so ``fake.secrets_in(text)`` finds leaks in logs, output and files.

Faults: ``fake.script(service, action, [Reply(...), ...])`` queues replies that
are used, in order, before the default answer. ``Reply(delay=...)`` sleeps first
(the sleep ends early when the fake closes), ``Reply(drop=True)`` closes the
connection without answering (``drop="reset"`` sends a TCP reset),
``Reply(default=True)`` answers with the default after the delay.

Checks done by the fake itself: calls to ecr, ecr-public and signed STS actions
need ``Authorization: AWS4-HMAC-SHA256 Credential=...`` scoped to the right
service plus ``X-Amz-Date`` (else 403 MissingAuthenticationToken*). Every signed
call then goes through tests/sigv4_oracle.py, a SigV4 check that shares no code with
the helper: X-Amz-Date within 15 minutes of ``fake.clock()``, the credential scope
(date of X-Amz-Date, a region - ``signing_region`` when set -, the service,
aws4_request), Host and every X-Amz-* header signed, and, for keys the fake knows
(minted, or ``fake.add_credentials``), the signature itself (else 403
InvalidSignatureException / SignatureDoesNotMatch). A ``verifier(recorded)``
callable, when given, runs instead (tests.helpers.sigv4_verifier is the strict
one: unknown keys are refused too); a string it returns becomes that 403.
A request signed with temporary credentials the fake minted (or registered with
``fake.add_credentials``) must also carry their ``X-Amz-Security-Token`` (else
403 UnrecognizedClientException / InvalidClientTokenId); ``fake.credentials``
maps access key id -> (secret, session token) for verifiers. Unsigned
operations (web identity, SSO, OIDC) are never rejected for carrying a
signature; assert ``rec.signed`` is False in tests instead.

Stdlib only (botocore's signer is used as a second check only where it imports);
runs on Python 3.6 to 3.13.
"""

import base64
import binascii
import email.utils
import json
import os
import shutil
import socket
import socketserver
import ssl
import struct
import subprocess
import sys
import threading
import time
import traceback
import unittest
import uuid
from http.server import BaseHTTPRequestHandler, HTTPServer
from urllib.parse import parse_qs, urlsplit
from xml.sax.saxutils import escape as xml_escape

from tests import sigv4_oracle

LOOPBACK = "127.0.0.1"
DEFAULT_ACCOUNT_ID = "123456789012"
DEFAULT_REGION = "us-east-1"
DEFAULT_CONTAINER_PATH = "/container-creds"
DEFAULT_IMDS_ROLE = "fake-imds-role"
ECR_TOKEN_LIFETIME = 12 * 3600
CREDS_LIFETIME = 3600
IMDS_MAX_TTL = 21600

ECR_TARGET_PREFIX = "AmazonEC2ContainerRegistry_V20150921"
ECR_PUBLIC_TARGET_PREFIX = "SpencerFrontendService"
SIGV4_PREFIX = "AWS4-HMAC-SHA256 Credential="
STS_XMLNS = "https://sts.amazonaws.com/doc/2011-06-15/"
JSON_11 = "application/x-amz-json-1.1"
JSON = "application/json"
XML = "text/xml"
TEXT = "text/plain"

SSO_PATH = "/federation/credentials"
OIDC_PATH = "/token"
IMDS_PREFIX = "/latest/"
IMDS_TOKEN_PATH = "/latest/api/token"
IMDS_CREDS_PATH = "/latest/meta-data/iam/security-credentials/"
IMDS_TTL_HEADER = "x-aws-ec2-metadata-token-ttl-seconds"
IMDS_TOKEN_HEADER = "x-aws-ec2-metadata-token"
SSO_TOKEN_HEADER = "x-amz-sso_bearer_token"

# Which services sign with which SigV4 name; STS actions listed are unsigned.
SIGNING_NAMES = {"ecr": "ecr", "ecr-public": "ecr-public", "sts": "sts"}
UNSIGNED_STS_ACTIONS = ("AssumeRoleWithWebIdentity", "AssumeRoleWithSAML")

# Kinds of minted values (see FakeAWS.minted_kind / secrets_in(kinds=...)).
KIND_SECRET_KEY = "secret-access-key"
KIND_SESSION_TOKEN = "session-token"
KIND_ECR_PASSWORD = "ecr-password"
KIND_ECR_TOKEN = "ecr-authorization-token"
KIND_IMDS_TOKEN = "imds-token"
KIND_SSO_ACCESS_TOKEN = "sso-access-token"
KIND_SSO_REFRESH_TOKEN = "sso-refresh-token"

POLL_INTERVAL = 0.01          # serve_forever poll: close() waits up to this long
HANDLER_IDLE_TIMEOUT = 30.0   # a silent keep-alive connection is closed after this
TLS_HANDSHAKE_TIMEOUT = 5.0
OPENSSL_TIMEOUT = 60

SETTINGS = {
    # name: default. All can be passed to FakeAWS(...) and changed later as attributes.
    "account_id": DEFAULT_ACCOUNT_ID,   # account in proxyEndpoint, ARNs, container AccountId
    "password": None,                   # ECR password; None = a new one per call
    "token_lifetime": ECR_TOKEN_LIFETIME,   # ECR / ECR Public expiresAt = now + this
    "sts_lifetime": CREDS_LIFETIME,     # STS Expiration (DurationSeconds is only recorded)
    "sso_lifetime": CREDS_LIFETIME,
    "container_lifetime": CREDS_LIFETIME,
    "imds_lifetime": CREDS_LIFETIME,
    "oidc_expires_in": CREDS_LIFETIME,
    "imds_role": DEFAULT_IMDS_ROLE,     # None = no role attached (404)
    "imds_require_token": False,        # True = IMDSv2 only: GETs without a token get 401
    "container_path": DEFAULT_CONTAINER_PATH,
    "container_token": None,            # expected Authorization value; None = anything
    "sso_tokens": None,                 # accepted SSO bearer tokens; None = any non-empty
    "web_identity_tokens": None,        # accepted web identity tokens; None = any non-empty
    "verifier": None,                   # verifier(recorded) -> None | error string; None = sigv4_oracle
    "signing_region": None,             # region every signature must be scoped to; None = any
    "clock": time.time,                 # time source for expiries and the Date header
}


# --------------------------------------------------------------------------------------
# Replies and error builders


class Reply(object):
    """A scripted answer. ``body`` may be bytes, str or a dict/list (sent as JSON)."""

    def __init__(self, status=200, body=b"", headers=None, delay=0.0, drop=False, default=False):
        self.status = status
        self.body = body
        self.headers = dict(headers or {})
        self.delay = delay
        self.drop = drop          # True: close without answering; "reset": TCP RST
        self.default = default    # True: after the delay, send the default answer

    def __repr__(self):
        return "Reply(status=%r, delay=%r, drop=%r, default=%r)" % (
            self.status, self.delay, self.drop, self.default)

    def encode(self, service):
        """Return (status, headers dict, body bytes) ready to send."""
        headers = dict(self.headers)
        body = self.body
        if isinstance(body, (dict, list)):
            body = json.dumps(body).encode("utf-8")
            default_type = JSON_11 if service in ("ecr", "ecr-public") else JSON
        else:
            if isinstance(body, str):
                body = body.encode("utf-8")
            body = body or b""
            default_type = XML if body.lstrip().startswith(b"<") else TEXT
        if not _has_header(headers, "content-type"):
            headers["Content-Type"] = default_type
        return self.status, headers, body


def _has_header(headers, name):
    return any(key.lower() == name for key in headers)


def json_error(code, message="", status=400, namespace=None):
    """An AWS JSON error: ``{"__type": "[namespace#]Code", "message": ...}``."""
    type_ = "%s#%s" % (namespace, code) if namespace else code
    # Content-Type follows the service: x-amz-json-1.1 for ECR, application/json elsewhere.
    return Reply(status=status, body={"__type": type_, "message": message},
                 headers={"x-amzn-ErrorType": code})


def sts_error(code, message="", status=400, fault="Sender"):
    """An STS (query protocol) XML error."""
    body = (
        '<ErrorResponse xmlns="%s"><Error><Type>%s</Type><Code>%s</Code>'
        "<Message>%s</Message></Error><RequestId>%s</RequestId></ErrorResponse>"
        % (STS_XMLNS, xml_escape(fault), xml_escape(code), xml_escape(message), uuid.uuid4()))
    return Reply(status=status, body=body, headers={"Content-Type": XML})


def oidc_error(error, description="", status=400):
    """An SSO-OIDC error: ``{"error": ..., "error_description": ...}``."""
    body = {"error": error, "error_description": description}
    return Reply(status=status, body=body, headers={"x-amzn-ErrorType": error})


def text_reply(text, status=200):
    return Reply(status=status, body=text, headers={"Content-Type": TEXT})


# --------------------------------------------------------------------------------------
# Recorded requests


class Recorded(object):
    """One request as the fake received it.

    method, path (with query), headers (lower-cased name -> value; repeated
    headers joined with ", "), raw_headers ([(name, value)] as sent), body
    (bytes), service, action, signed (an Authorization header was present),
    auth (parsed SigV4 Authorization dict or None), query / form (first value
    per key), json (parsed body or None), time, status (the answer's status;
    None while pending or when dropped).
    """

    def __init__(self, method, path, raw_headers, body, client_address, when):
        self.method = method
        self.path = path
        self.raw_headers = list(raw_headers)
        self.headers = _fold_headers(raw_headers)
        self.body = body
        self.client_address = client_address
        self.time = when
        self.service = "unknown"
        self.action = "unknown"
        self.status = None
        self.query = _first_values(parse_qs(urlsplit(path).query, keep_blank_values=True))
        self.form = _parse_form(self.headers, body)
        self.json = _parse_json(body)
        self.signed = "authorization" in self.headers
        self.auth = parse_authorization(self.headers.get("authorization", ""))

    @property
    def path_only(self):
        return urlsplit(self.path).path

    @property
    def text(self):
        return self.body.decode("utf-8", "replace")

    def __repr__(self):
        return "<Recorded %s %s %s/%s -> %s>" % (
            self.method, self.path, self.service, self.action, self.status)


def _fold_headers(raw_headers):
    folded = {}
    for name, value in raw_headers:
        key = name.lower()
        folded[key] = folded[key] + ", " + value if key in folded else value
    return folded


def _first_values(multi):
    return dict((key, values[0]) for key, values in multi.items())


def _parse_form(headers, body):
    if "x-www-form-urlencoded" not in headers.get("content-type", "") and b"Action=" not in body:
        return {}
    try:
        return _first_values(parse_qs(body.decode("utf-8"), keep_blank_values=True))
    except (UnicodeDecodeError, ValueError):
        return {}


def _parse_json(body):
    if not body.strip():
        return None
    try:
        return json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        return None


def parse_authorization(value):
    """Split a SigV4 Authorization header; None when it is not well formed.

    Returns {"algorithm", "access_key_id", "date", "region", "service",
    "terminator", "signed_headers" (list), "signature"}.
    """
    algorithm, _, rest = value.partition(" ")
    if algorithm != "AWS4-HMAC-SHA256":
        return None
    fields = {}
    for part in rest.split(","):
        name, sep, field = part.strip().partition("=")
        if sep:
            fields[name] = field
    scope = fields.get("Credential", "").split("/")
    if len(scope) != 5 or "SignedHeaders" not in fields or "Signature" not in fields:
        return None
    return {
        "algorithm": algorithm, "access_key_id": scope[0], "date": scope[1],
        "region": scope[2], "service": scope[3], "terminator": scope[4],
        "signed_headers": fields["SignedHeaders"].split(";"), "signature": fields["Signature"],
    }


# --------------------------------------------------------------------------------------
# Time formats


def iso8601(epoch):
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(epoch))


def http_date(epoch):
    return email.utils.formatdate(epoch, usegmt=True)


# --------------------------------------------------------------------------------------
# HTTP plumbing


class _Server(socketserver.ThreadingMixIn, HTTPServer):
    """ThreadingHTTPServer for 3.6 too, with optional per-connection TLS."""

    daemon_threads = True
    request_queue_size = 64

    def __init__(self, address, handler, fake, tls_context):
        self.fake = fake
        self.tls_context = tls_context
        self.connections = set()
        self.reset_connections = set()
        self.connections_lock = threading.Lock()
        HTTPServer.__init__(self, address, handler)

    def server_bind(self):
        # HTTPServer.server_bind calls getfqdn(), a reverse DNS lookup that can be slow.
        socketserver.TCPServer.server_bind(self)
        self.server_name, self.server_port = self.server_address[:2]

    def finish_request(self, request, client_address):
        # Runs in the worker thread, so a slow TLS handshake never blocks accept().
        conn = self._wrap(request)
        if conn is None:
            return
        self._track(conn, True)
        try:
            self.RequestHandlerClass(conn, client_address, self)
        finally:
            self._track(conn, False)
            if conn is not request:   # the TLS socket; the raw one was detached by wrap_socket
                self.shutdown_request(conn)

    def _wrap(self, request):
        if self.tls_context is None:
            return request
        request.settimeout(TLS_HANDSHAKE_TIMEOUT)
        try:
            return self.tls_context.wrap_socket(request, server_side=True)
        except (ssl.SSLError, OSError):
            _close_quietly(request)
            return None

    def _track(self, conn, alive):
        with self.connections_lock:
            if alive:
                self.connections.add(conn)
            else:
                self.connections.discard(conn)

    def mark_for_reset(self, conn):
        with self.connections_lock:
            self.reset_connections.add(conn)

    def shutdown_request(self, request):
        # A connection marked for reset is closed without shutdown(), so no FIN precedes the RST.
        with self.connections_lock:
            reset = request in self.reset_connections
            self.reset_connections.discard(request)
        if reset:
            _close_quietly(request)
        else:
            HTTPServer.shutdown_request(self, request)

    def shutdown_connections(self):
        with self.connections_lock:
            conns = list(self.connections)
        for conn in conns:
            try:
                conn.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def handle_error(self, request, client_address):
        exc = sys.exc_info()[1]
        if isinstance(exc, (ConnectionError, socket.timeout, ssl.SSLError)):
            return   # the client went away or timed out: normal in fault tests
        self.fake._record_error(traceback.format_exc())


def _close_quietly(sock):
    try:
        sock.close()
    except OSError:
        pass


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "FakeAWS/1.0"
    sys_version = ""
    timeout = HANDLER_IDLE_TIMEOUT
    disable_nagle_algorithm = True   # headers and body go out in two writes

    def do_GET(self):
        self.server.fake._handle(self)

    do_POST = do_PUT = do_DELETE = do_PATCH = do_GET

    def log_message(self, format, *args):
        pass

    def date_time_string(self, timestamp=None):
        return http_date(self.server.fake.clock() if timestamp is None else timestamp)


def _read_body(handler):
    if "chunked" in handler.headers.get("Transfer-Encoding", "").lower():
        return _read_chunked(handler.rfile)
    length = int(handler.headers.get("Content-Length") or 0)
    return handler.rfile.read(length) if length > 0 else b""


def _read_chunked(rfile):
    chunks = []
    while True:
        size = int(rfile.readline().split(b";")[0].strip() or b"0", 16)
        if size == 0:
            while rfile.readline().strip():
                pass   # trailers
            return b"".join(chunks)
        chunks.append(rfile.read(size))
        rfile.readline()


# --------------------------------------------------------------------------------------
# The fake


class FakeAWS(object):
    """The fake endpoints. See the module docstring."""

    def __init__(self, tls_context=None, host=LOOPBACK, **settings):
        unknown = sorted(set(settings) - set(SETTINGS))
        if unknown:
            raise TypeError("FakeAWS: unknown settings %s" % ", ".join(unknown))
        for name, default in SETTINGS.items():
            setattr(self, name, settings.get(name, default))
        self.requests = []
        self.minted = []
        self.minted_kind = {}
        self.access_key_ids = []
        self.credentials = {}   # access key id -> (secret, session token or None)
        self.errors = []
        self._scripts = {}
        self._serial = 0
        self._imds_tokens = set()
        self._oidc_access_tokens = set()
        self._lock = threading.RLock()
        self._closing = threading.Event()
        self._server = _Server((host, 0), _Handler, self, tls_context)
        self.host, self.port = self._server.server_address[:2]
        scheme = "https" if tls_context is not None else "http"
        self.url = "%s://%s:%d" % (scheme, self.host, self.port)
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": POLL_INTERVAL},
            name="FakeAWS-%d" % self.port)
        self._thread.daemon = True
        self._thread.start()

    # ---- lifecycle

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.close()

    def close(self):
        """Stop serving; pending delays end and open connections are cut. Idempotent."""
        if self._closing.is_set():
            return
        self._closing.set()
        self._server.shutdown()
        self._server.shutdown_connections()
        self._server.server_close()
        self._thread.join(5)

    @property
    def closed(self):
        return self._closing.is_set()

    # ---- convenience for tests

    @property
    def container_url(self):
        return self.url + self.container_path

    def endpoint_env(self):
        """Env vars pointing the SDK endpoints (not the container provider) at the fake."""
        return {
            "AWS_ENDPOINT_URL_ECR": self.url,
            "AWS_ENDPOINT_URL_ECR_PUBLIC": self.url,
            "AWS_ENDPOINT_URL_STS": self.url,
            "AWS_ENDPOINT_URL_SSO": self.url,
            "AWS_ENDPOINT_URL_SSO_OIDC": self.url,
            "AWS_EC2_METADATA_SERVICE_ENDPOINT": self.url,
        }

    def find(self, service=None, action=None):
        with self._lock:
            return [rec for rec in self.requests if _matches(rec, service, action)]

    def count(self, service=None, action=None):
        return len(self.find(service, action))

    def last(self, service=None, action=None):
        found = self.find(service, action)
        return found[-1] if found else None

    def clear(self):
        """Forget recorded requests and errors (minted values are kept)."""
        with self._lock:
            del self.requests[:]
            del self.errors[:]

    def script(self, service, action=None, responses=()):
        """Queue replies for (service, action); action None matches any action of the service.

        Items are Reply objects or callables ``f(recorded) -> Reply | None``
        (None = default answer). Exact (service, action) queues are used first.
        """
        with self._lock:
            self._scripts.setdefault((service, action), []).extend(responses)

    def pending(self, service=None, action=None):
        """How many scripted replies are still queued (all of them when service is None)."""
        with self._lock:
            if service is None:
                return sum(len(queue) for queue in self._scripts.values())
            return len(self._scripts.get((service, action), []))

    def clear_scripts(self):
        with self._lock:
            self._scripts.clear()

    def secrets_in(self, text, kinds=None):
        """Minted secrets (in mint order) that occur in text (str or bytes)."""
        if isinstance(text, bytes):
            text = text.decode("utf-8", "replace")
        with self._lock:
            minted = list(self.minted)
            kind_of = dict(self.minted_kind)
        return [value for value in minted
                if value in text and (kinds is None or kind_of[value] in kinds)]

    # ---- minting

    def _next_serial(self):
        with self._lock:
            self._serial += 1
            return self._serial

    def _mint(self, kind, label, value=None):
        if value is None:
            suffix = binascii.hexlify(os.urandom(12)).decode("ascii")
            value = "fake-%s-%04d-%s" % (label, self._next_serial(), suffix)
        with self._lock:
            if value not in self.minted_kind:
                self.minted.append(value)
                self.minted_kind[value] = kind
        return value

    def _mint_key_id(self):
        key_id = "ASIAFAKE%012d" % self._next_serial()
        with self._lock:
            self.access_key_ids.append(key_id)
        return key_id

    def _mint_credentials(self):
        """A fresh (access key id, secret, session token) triple, remembered in .credentials."""
        key_id = self._mint_key_id()
        secret = self._mint(KIND_SECRET_KEY, "secret")
        token = self._mint(KIND_SESSION_TOKEN, "session-token")
        self.add_credentials(key_id, secret, token)
        return key_id, secret, token

    def add_credentials(self, access_key_id, secret, session_token=None):
        """Tell the fake about credentials it did not mint (e.g. static keys a test set),
        so a verifier can look them up in ``fake.credentials``."""
        with self._lock:
            self.credentials[access_key_id] = (secret, session_token)

    # ---- request handling

    def _record_error(self, text):
        with self._lock:
            self.errors.append(text)
        sys.stderr.write("FakeAWS internal error:\n%s\n" % text)

    def _handle(self, handler):
        body = _read_body(handler)
        rec = Recorded(handler.command, handler.path, handler.headers.items(), body,
                       handler.client_address, self.clock())
        rec.service, rec.action = self._route(rec)
        with self._lock:
            self.requests.append(rec)
        try:
            reply = self._reply_for(rec)
        except Exception:
            self._record_error(traceback.format_exc())
            reply = json_error("FakeAWSInternalError", "see fake.errors", 500)
        self._send(handler, rec, reply)

    def _route(self, rec):
        path, method = rec.path_only, rec.method
        if path.startswith(IMDS_PREFIX):
            return "imds", _imds_action(method, path)
        if method == "GET" and path == SSO_PATH:
            return "sso", "GetRoleCredentials"
        if method == "GET" and self.container_path and rec.path.startswith(self.container_path):
            return "container", "container"
        if method == "POST" and path == OIDC_PATH:
            return "oidc", "CreateToken"
        if method == "POST":
            return _route_post(rec)
        return "unknown", "unknown"

    def _reply_for(self, rec):
        rejection = self._check_signature(rec)
        if rejection is not None:
            return rejection
        scripted = self._next_scripted(rec)
        if scripted is None:
            return self._default(rec)
        if scripted.delay:
            self._closing.wait(scripted.delay)
            if self._closing.is_set():
                return Reply(drop=True)
        if scripted.default and not scripted.drop:
            return self._default(rec)
        return scripted

    def _next_scripted(self, rec):
        with self._lock:
            for key in ((rec.service, rec.action), (rec.service, None)):
                queue = self._scripts.get(key)
                if queue:
                    item = queue.pop(0)
                    break
            else:
                return None
        return item(rec) if callable(item) else item

    def _send(self, handler, rec, reply):
        if reply.drop:
            _drop(handler, reset=(reply.drop == "reset"))
            return
        status, headers, body = reply.encode(rec.service)
        rec.status = status
        handler.send_response(status)
        if not _has_header(headers, "x-amzn-requestid"):
            headers["x-amzn-RequestId"] = str(uuid.uuid4())
        for name, value in headers.items():
            handler.send_header(name, value)
        handler.send_header("Content-Length", str(len(body)))
        handler.end_headers()
        if handler.command != "HEAD":
            handler.wfile.write(body)
        handler.wfile.flush()

    # ---- signature checks

    def _check_signature(self, rec):
        signing_name = SIGNING_NAMES.get(rec.service)
        if signing_name is None or rec.action in UNSIGNED_STS_ACTIONS:
            return None
        problem = _structural_problem(rec, signing_name) or self._session_token_problem(rec)
        if problem is not None:
            return _auth_error(rec.service, problem[0], problem[1])
        message = (self.verifier or self._default_verifier)(rec)
        if message is None:
            return None
        code = "SignatureDoesNotMatch" if rec.service == "sts" else "InvalidSignatureException"
        return _auth_error(rec.service, code, message)

    def _default_verifier(self, rec):
        """Why AWS would refuse the signature (tests/sigv4_oracle.py), or None: always the
        date, scope and signed-header rules; the signature too when the key is known."""
        with self._lock:
            known = self.credentials.get(rec.auth["access_key_id"])
        return sigv4_oracle.request_problem(
            rec.method, rec.path, rec.raw_headers, rec.body, rec.auth["service"], self.clock(),
            secret=known[0] if known else None, region=self.signing_region)

    def _session_token_problem(self, rec):
        """Known temporary credentials must come with their own X-Amz-Security-Token."""
        with self._lock:
            known = self.credentials.get(rec.auth["access_key_id"])
        if known is None or known[1] is None:
            return None
        if rec.headers.get("x-amz-security-token") == known[1]:
            return None
        code = "InvalidClientTokenId" if rec.service == "sts" else "UnrecognizedClientException"
        return code, "The security token included in the request is invalid."

    # ---- default answers

    def _default(self, rec):
        handler = DEFAULT_HANDLERS.get((rec.service, rec.action))
        if handler is not None:
            return handler(self, rec)
        return _unsupported(rec)

    def _ecr_token_data(self):
        password = self._mint(KIND_ECR_PASSWORD, "ecr-password", self.password)
        raw = ("AWS:" + password).encode("utf-8")
        token = self._mint(KIND_ECR_TOKEN, "", base64.b64encode(raw).decode("ascii"))
        return {"authorizationToken": token,
                "expiresAt": self.clock() + self.token_lifetime}

    def _ecr(self, rec):
        body = rec.json if rec.body.strip() else {}
        if not isinstance(body, dict):
            return json_error("SerializationException", "request body is not a JSON object")
        ids = body.get("registryIds") or [self.account_id]
        if not isinstance(ids, list) or not all(isinstance(i, str) for i in ids):
            return json_error("InvalidParameterException", "registryIds must be a list of strings")
        region = rec.auth["region"] if rec.auth else DEFAULT_REGION
        data = self._ecr_token_data()
        entries = []
        for registry_id in ids:
            entry = dict(data)
            entry["proxyEndpoint"] = "https://%s.dkr.ecr.%s.amazonaws.com" % (registry_id, region)
            entries.append(entry)
        return Reply(body={"authorizationData": entries}, headers={"Content-Type": JSON_11})

    def _ecr_public(self, rec):
        return Reply(body={"authorizationData": self._ecr_token_data()},
                     headers={"Content-Type": JSON_11})

    def _sts_assume(self, rec):
        problem = _sts_validation_problem(rec)
        if problem is not None:
            return sts_error("ValidationError", problem)
        if rec.action == "AssumeRoleWithWebIdentity":
            token = rec.form["WebIdentityToken"]
            if self.web_identity_tokens is not None and token not in self.web_identity_tokens:
                return sts_error("InvalidIdentityToken", "Couldn't verify the web identity token")
        return Reply(body=self._sts_xml(rec), headers={"Content-Type": XML})

    def _sts_xml(self, rec):
        role_arn, session = rec.form["RoleArn"], rec.form["RoleSessionName"]
        account, role_name = _split_role_arn(role_arn)
        key_id, secret, token = self._mint_credentials()
        user = (
            "<AssumedRoleUser><AssumedRoleId>AROAFAKE%012d:%s</AssumedRoleId>"
            "<Arn>arn:aws:sts::%s:assumed-role/%s/%s</Arn></AssumedRoleUser>"
            % (self._next_serial(), xml_escape(session), xml_escape(account),
               xml_escape(role_name), xml_escape(session)))
        creds = (
            "<Credentials><AccessKeyId>%s</AccessKeyId><SecretAccessKey>%s</SecretAccessKey>"
            "<SessionToken>%s</SessionToken><Expiration>%s</Expiration></Credentials>"
            % (key_id, secret, token, iso8601(self.clock() + self.sts_lifetime)))
        extra = ""
        if rec.action == "AssumeRoleWithWebIdentity":
            extra = ("<SubjectFromWebIdentityToken>fake-subject</SubjectFromWebIdentityToken>"
                     "<Provider>fake-provider</Provider><Audience>sts.amazonaws.com</Audience>")
        return (
            '<%sResponse xmlns="%s"><%sResult>%s%s%s</%sResult>'
            "<ResponseMetadata><RequestId>%s</RequestId></ResponseMetadata></%sResponse>"
            % (rec.action, STS_XMLNS, rec.action, user, creds, extra, rec.action,
               uuid.uuid4(), rec.action))

    def _sso(self, rec):
        token = rec.headers.get(SSO_TOKEN_HEADER, "")
        if not token or not self._sso_token_ok(token):
            return json_error("UnauthorizedException", "Session token not found or invalid", 401)
        if not rec.query.get("role_name") or not rec.query.get("account_id"):
            return json_error("InvalidRequestException", "role_name and account_id are required")
        key_id, secret, session = self._mint_credentials()
        expiration = int((self.clock() + self.sso_lifetime) * 1000)
        creds = {"accessKeyId": key_id, "secretAccessKey": secret,
                 "sessionToken": session, "expiration": expiration}
        return Reply(body={"roleCredentials": creds}, headers={"Content-Type": JSON})

    def _sso_token_ok(self, token):
        if self.sso_tokens is None:
            return True
        with self._lock:
            return token in self.sso_tokens or token in self._oidc_access_tokens

    def _oidc(self, rec):
        body = rec.json
        if not isinstance(body, dict) or not body.get("grantType"):
            return oidc_error("invalid_request", "grantType is required")
        if body["grantType"] == "refresh_token":
            missing = [k for k in ("clientId", "clientSecret", "refreshToken") if not body.get(k)]
            if missing:
                return oidc_error("invalid_request", "missing " + ", ".join(missing))
        access = self._mint(KIND_SSO_ACCESS_TOKEN, "sso-access-token")
        with self._lock:
            self._oidc_access_tokens.add(access)
        answer = {"accessToken": access, "expiresIn": self.oidc_expires_in,
                  "tokenType": "Bearer",
                  "refreshToken": self._mint(KIND_SSO_REFRESH_TOKEN, "sso-refresh-token")}
        return Reply(body=answer, headers={"Content-Type": JSON})

    def _container(self, rec):
        given = rec.headers.get("authorization")
        if self.container_token is not None and given != self.container_token:
            return Reply(status=401, body={"code": "Unauthorized", "message": "bad token"})
        key_id, secret, token = self._mint_credentials()
        answer = {"AccessKeyId": key_id, "SecretAccessKey": secret, "Token": token,
                  "Expiration": iso8601(self.clock() + self.container_lifetime),
                  "AccountId": self.account_id}
        return Reply(body=answer, headers={"Content-Type": JSON})

    def _imds_token(self, rec):
        ttl = rec.headers.get(IMDS_TTL_HEADER, "")
        if not ttl.isdigit() or not 1 <= int(ttl) <= IMDS_MAX_TTL:
            return text_reply("missing or invalid " + IMDS_TTL_HEADER, 400)
        token = self._mint(KIND_IMDS_TOKEN, "imds-token")
        with self._lock:
            self._imds_tokens.add(token)
        return Reply(body=token, headers={"Content-Type": TEXT, IMDS_TTL_HEADER: ttl})

    def _imds_token_problem(self, rec):
        token = rec.headers.get(IMDS_TOKEN_HEADER)
        if token is None:
            return "token required" if self.imds_require_token else None
        with self._lock:
            return None if token in self._imds_tokens else "invalid token"

    def _imds_role(self, rec):
        problem = self._imds_token_problem(rec)
        if problem is not None:
            return text_reply(problem, 401)
        if self.imds_role is None:
            return text_reply("Not Found", 404)
        return text_reply(self.imds_role)

    def _imds_creds(self, rec):
        problem = self._imds_token_problem(rec)
        if problem is not None:
            return text_reply(problem, 401)
        role = rec.path_only[len(IMDS_CREDS_PATH):]
        if self.imds_role is None or role != self.imds_role:
            return text_reply("Not Found", 404)
        key_id, secret, token = self._mint_credentials()
        now = self.clock()
        answer = {"Code": "Success", "LastUpdated": iso8601(now), "Type": "AWS-HMAC",
                  "AccessKeyId": key_id, "SecretAccessKey": secret, "Token": token,
                  "Expiration": iso8601(now + self.imds_lifetime)}
        return Reply(body=json.dumps(answer, indent=2), headers={"Content-Type": TEXT})


DEFAULT_HANDLERS = {
    ("ecr", "GetAuthorizationToken"): FakeAWS._ecr,
    ("ecr-public", "GetAuthorizationToken"): FakeAWS._ecr_public,
    ("sts", "AssumeRole"): FakeAWS._sts_assume,
    ("sts", "AssumeRoleWithWebIdentity"): FakeAWS._sts_assume,
    ("sso", "GetRoleCredentials"): FakeAWS._sso,
    ("oidc", "CreateToken"): FakeAWS._oidc,
    ("container", "container"): FakeAWS._container,
    ("imds", "imds-token"): FakeAWS._imds_token,
    ("imds", "imds-role"): FakeAWS._imds_role,
    ("imds", "imds-creds"): FakeAWS._imds_creds,
}


def _matches(rec, service, action):
    return (service is None or rec.service == service) and (action is None or rec.action == action)


def _imds_action(method, path):
    if path == IMDS_TOKEN_PATH:
        return "imds-token" if method == "PUT" else "imds-other"
    if method != "GET":
        return "imds-other"
    if path == IMDS_CREDS_PATH:
        return "imds-role"
    if path.startswith(IMDS_CREDS_PATH):
        return "imds-creds"
    return "imds-other"


def _route_post(rec):
    target = rec.headers.get("x-amz-target", "")
    if target:
        prefix, _, operation = target.partition(".")
        if prefix == ECR_TARGET_PREFIX:
            return "ecr", operation
        if prefix == ECR_PUBLIC_TARGET_PREFIX:
            return "ecr-public", operation
    if rec.form.get("Action"):
        return "sts", rec.form["Action"]
    return "unknown", "unknown"


def _structural_problem(rec, signing_name):
    """(code, message) when the request is not SigV4-signed for signing_name."""
    authorization = rec.headers.get("authorization", "")
    if not authorization.startswith(SIGV4_PREFIX) or "x-amz-date" not in rec.headers:
        code = "MissingAuthenticationToken" if rec.service == "sts" else \
            "MissingAuthenticationTokenException"
        return code, "Missing Authentication Token (SigV4 Authorization and X-Amz-Date needed)"
    if rec.auth is None:
        return "IncompleteSignature", "Authorization header is malformed: " + authorization
    if rec.auth["service"] != signing_name:
        return ("SignatureDoesNotMatch" if rec.service == "sts" else "InvalidSignatureException",
                "Credential should be scoped to correct service: '%s'." % signing_name)
    return None


def _auth_error(service, code, message):
    if service == "sts":
        return sts_error(code, message, 403)
    if code == "IncompleteSignature":
        code = "IncompleteSignatureException"
    return json_error(code, message, 403)


def _sts_validation_problem(rec):
    form = rec.form
    for name in ("RoleArn", "RoleSessionName"):
        if not form.get(name):
            return "%s is required" % name
    if rec.action == "AssumeRoleWithWebIdentity" and not form.get("WebIdentityToken"):
        return "WebIdentityToken is required"
    if _split_role_arn(form["RoleArn"]) is None:
        return "RoleArn is not a valid role ARN: " + form["RoleArn"]
    return None


def _split_role_arn(arn):
    """'arn:aws:iam::123:role/path/name' -> ('123', 'name'); None if malformed."""
    parts = arn.split(":", 5)
    if len(parts) != 6 or parts[0] != "arn" or not parts[5].startswith("role/"):
        return None
    return parts[4], parts[5].rsplit("/", 1)[-1]


def _unsupported(rec):
    message = "FakeAWS has no default answer for %s %s" % (rec.service, rec.action)
    if rec.service == "sts":
        return sts_error("InvalidAction", message)
    if rec.service in ("ecr", "ecr-public"):
        return json_error("UnknownOperationException", message)
    if rec.service == "imds" and rec.action == "imds-other" and rec.path_only == IMDS_TOKEN_PATH:
        return text_reply("Method Not Allowed", 405)
    return Reply(status=404, body={"message": message})


def _drop(handler, reset=False):
    """Close without answering: FIN, or with reset=True an RST (SO_LINGER 0, no shutdown)."""
    handler.close_connection = True
    conn = handler.connection
    if reset:
        try:
            conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, _LINGER_ZERO)
        except OSError:
            pass
        handler.server.mark_for_reset(conn)
        return
    try:
        conn.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass


_LINGER_ZERO = struct.pack("ii", 1, 0)   # struct linger {l_onoff=1, l_linger=0}


# --------------------------------------------------------------------------------------
# TLS helpers


CA_CONFIG = """[req]
distinguished_name = dn
prompt = no
x509_extensions = v3_ca
[dn]
CN = ecr-login fake test CA
[v3_ca]
basicConstraints = critical, CA:TRUE
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid:always
"""

SERVER_CONFIG = """[req]
distinguished_name = dn
prompt = no
[dn]
CN = localhost
"""

SERVER_EXTENSIONS = """basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature, keyEncipherment
extendedKeyUsage = serverAuth
subjectAltName = %s
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
"""

EC_KEY_ARGS = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
RSA_KEY_ARGS = ["-newkey", "rsa:2048", "-nodes"]
CERT_DAYS = "7"


def make_test_ca(tmpdir, dns_names=("localhost",), ip_addresses=("127.0.0.1",)):
    """Create a CA and a server cert for the given names (default 127.0.0.1/localhost) in
    tmpdir with the openssl CLI.

    Returns (ca_path, cert_path, key_path). Raises unittest.SkipTest when openssl is missing.
    """
    openssl = shutil.which("openssl")
    if openssl is None:
        raise unittest.SkipTest("the openssl command is not installed; TLS tests need it")
    path = lambda name: os.path.join(tmpdir, name)   # noqa: E731
    _write(path("ca.cnf"), CA_CONFIG)
    _write(path("server.cnf"), SERVER_CONFIG)
    _write(path("server.ext"), SERVER_EXTENSIONS % ", ".join(
        ["DNS:" + name for name in dns_names] + ["IP:" + address for address in ip_addresses]))
    try:
        key_args = EC_KEY_ARGS
        _openssl(openssl, _ca_args(path, key_args))
    except RuntimeError:   # an old openssl or LibreSSL without "-newkey ec -pkeyopt"
        key_args = RSA_KEY_ARGS
        _openssl(openssl, _ca_args(path, key_args))
    _openssl(openssl, ["req", "-new", "-config", path("server.cnf")] + key_args
             + ["-keyout", path("server.key"), "-out", path("server.csr")])
    _openssl(openssl, ["x509", "-req", "-in", path("server.csr"), "-CA", path("ca.pem"),
                       "-CAkey", path("ca.key"), "-set_serial", str(_random_serial()),
                       "-days", CERT_DAYS, "-extfile", path("server.ext"),
                       "-out", path("server.pem")])
    return path("ca.pem"), path("server.pem"), path("server.key")


def _ca_args(path, key_args):
    return (["req", "-x509", "-config", path("ca.cnf")] + key_args
            + ["-keyout", path("ca.key"), "-out", path("ca.pem"), "-days", CERT_DAYS])


def _write(path, text):
    with open(path, "w") as handle:
        handle.write(text)


def _random_serial():
    return int(binascii.hexlify(os.urandom(8)), 16) | 1


def _openssl(openssl, args):
    proc = subprocess.Popen([openssl] + args, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    out, err = proc.communicate(timeout=OPENSSL_TIMEOUT)
    if proc.returncode != 0:
        raise RuntimeError("openssl %s failed (%d): %s" % (
            args[0], proc.returncode, (out + err).decode("utf-8", "replace")))


def server_ssl_context(cert_path, key_path):
    """A server-side SSLContext for FakeAWS(tls_context=...)."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert_path, key_path)
    return context


def client_ssl_context(ca_path):
    """A verifying client SSLContext that trusts only ca_path."""
    return ssl.create_default_context(cafile=ca_path)
