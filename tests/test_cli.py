"""The docker credential-helper CLI of ecr_login.py, end to end against the loopback fake.

Most cases call ecr_login.main() in-process (fast); a handful run the program in a child
process: as a script from source, as the built zipapp, and through a proxy. Every run has its own HOME, a from-scratch
environment (tests.helpers.clean_env) and endpoints on loopback, and every signed request the
fake receives has its SigV4 signature recomputed with the test's own secret.
"""

import base64
import hashlib
import http.client
import io
import json
import os
import select
import shutil
import socket
import socketserver
import tempfile
import threading
import time
import unittest
from collections import OrderedDict
from unittest import mock
from http.server import BaseHTTPRequestHandler, HTTPServer
from urllib.parse import urlsplit

from tests.fakeaws import (
    json_error, make_test_ca, server_ssl_context)
from tests.helpers import (
    mode_of, DEAD_ENDPOINT, PROGRAM, HelperCase, clean_env, ecr_login, make_home, read_text,
    run_main, write_file)

AKID = "AKIAIOSFODNN7EXAMPLE"
SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCY-test-secret-key"
SESSION_TOKEN = "FwoGZXIvYXdzEXAMPLE-test-session-token//+=="
ECR_TARGET = "AmazonEC2ContainerRegistry_V20150921.GetAuthorizationToken"
PUBLIC_TARGET = "SpencerFrontendService.GetAuthorizationToken"
USAGE = "Usage: docker-credential-ecr-login <store|get|erase|list|version>\n"
SEE_HELP = "docker-credential-ecr-login: run 'docker-credential-ecr-login --help' for the commands\n"
NO_SERVER_URL = "no credentials server URL\n"
HOST = "123456789012.dkr.ecr.us-west-2.amazonaws.com"
HOST_B = "210987654321.dkr.ecr.us-west-2.amazonaws.com"
HOUR = 3600
DENIED_MESSAGE = ("User: arn:aws:iam::123456789012:user/ci is not authorized to perform: "
                  "ecr:GetAuthorizationToken on resource: *")

# (server URL host, account, region, endpoint the helper would call without an override)
PARTITIONS = [
    (HOST, "123456789012", "us-west-2", "https://api.ecr.us-west-2.amazonaws.com"),
    ("210987654321.dkr.ecr.cn-north-1.amazonaws.com.cn", "210987654321", "cn-north-1",
     "https://api.ecr.cn-north-1.amazonaws.com.cn"),
    ("123456789012.dkr.ecr-fips.us-gov-west-1.amazonaws.com", "123456789012", "us-gov-west-1",
     "https://api.ecr-fips.us-gov-west-1.amazonaws.com"),
    ("210987654321.dkr.ecr.us-iso-east-1.c2s.ic.gov", "210987654321", "us-iso-east-1",
     "https://api.ecr.us-iso-east-1.c2s.ic.gov"),
    ("123456789012.dkr.ecr.us-isob-east-1.sc2s.sgov.gov", "123456789012", "us-isob-east-1",
     "https://api.ecr.us-isob-east-1.sc2s.sgov.gov"),
    ("123456789012.dkr.ecr.eu-isoe-west-1.cloud.adc-e.uk", "123456789012", "eu-isoe-west-1",
     "https://api.ecr.eu-isoe-west-1.cloud.adc-e.uk"),
    ("123456789012.dkr.ecr.us-isof-east-1.csp.hci.ic.gov", "123456789012", "us-isof-east-1",
     "https://api.ecr.us-isof-east-1.csp.hci.ic.gov"),
    ("123456789012.dkr.ecr.eusc-de-east-1.amazonaws.eu", "123456789012", "eusc-de-east-1",
     "https://api.ecr.eusc-de-east-1.amazonaws.eu"),
    ("123456789012.dkr-ecr.us-west-2.on.aws", "123456789012", "us-west-2",
     "https://ecr.us-west-2.api.aws"),
    ("123456789012.dkr-ecr-fips.us-gov-east-1.on.aws", "123456789012", "us-gov-east-1",
     "https://ecr-fips.us-gov-east-1.api.aws"),
    ("210987654321.dkr.ecr.cn-north-1.on.amazonwebservices.com.cn", "210987654321", "cn-north-1",
     "https://ecr.cn-north-1.api.amazonwebservices.com.cn"),
]

# Registries that are not ECR: Docker asks about these under credsStore, and they get the
# not-found answer with nothing on stderr (which Docker would show on the terminal).
OTHER_REGISTRIES = [
    "https://index.docker.io/v1/",
    "docker.io",
    "ghcr.io/owner/image",
    "not.ecr.io",
    "123456789012.dkr.ecr.us-west-2.amazonaws.com.fake.example.com",
    "210987654321.dkr.ecr.cn-north-1.amazonaws.com.cn.fake.example.com.cn",
    "210987654321.dkr.ecr.cn-north-1.on.aws.com.cn",
    "public.ecr.aws.fake.example.com",
    "ecr-public.aws.com.evil.example",
    "https://evil.example.com/123456789012.dkr.ecr.us-west-2.amazonaws.com",
    "https://123456789012.dkr.ecr.us-west-2.amazonaws.com@evil.example.com/",
    "123456789012.dkr.ecr.us-west-2.amazonaws.co",
]
# Not served either, but an ECR registry with a typo (or a malformed URL): the reason is said.
MISTYPED_ECR = [
    ("12345.dkr.ecr.us-west-2.amazonaws.com", "account id '12345' is not 12 digits"),
    ("1234567890123.dkr.ecr.us-west-2.amazonaws.com", "is not 12 digits"),
    ("12345678901a.dkr-ecr.us-west-2.on.aws", "is not 12 digits"),
    (".dkr.ecr.not-real.amazonaws.com", "account id '' is not 12 digits"),
    ("123456789012.dkr.ecr.-us.amazonaws.com", "'-us' is not a region name"),
    ("123456789012.dkr.ecr.us-west-2.amazonaws.com:abc", "invalid port"),
]


# ------------------------------------------------------------------------------------------
# Go-format cache files, written by hand


def sha_checksum(access_key):
    return base64.b64encode(hashlib.sha256(access_key.encode("utf-8")).digest()).decode("ascii")


def legacy_checksum(access_key):
    """The Go helper's pre-v0.12 "md5" checksum: the key id bytes + md5 of nothing, base64."""
    return base64.b64encode(access_key.encode("utf-8") + hashlib.md5(b"").digest()).decode("ascii")


def private_key(access_key, account="123456789012", region="us-west-2", checksum=sha_checksum):
    return "%s-%s-%s" % (region, checksum(access_key), account)


def public_key(access_key, checksum=sha_checksum):
    return "ecr-public-" + checksum(access_key)


def go_time(epoch, offset_minutes=0, fraction="123456789"):
    """RFC 3339 as Go writes it: local time with its offset (or Z) and a fraction."""
    seconds = int(epoch)
    text = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(seconds + offset_minutes * 60))
    fraction = fraction.rstrip("0")
    if fraction:
        text += "." + fraction
    if not offset_minutes:
        return text + "Z"
    sign = "-" if offset_minutes < 0 else "+"
    return text + "%s%02d:%02d" % (sign, abs(offset_minutes) // 60, abs(offset_minutes) % 60)


def token_of(password):
    return base64.b64encode(("AWS:" + password).encode("utf-8")).decode("ascii")


def go_entry(password, requested_ago, expires_in, endpoint="https://%s" % HOST, service="ecr"):
    """A cache entry as the Go helper writes it, its times relative to now."""
    now = time.time()
    return OrderedDict([
        ("AuthorizationToken", token_of(password)),
        ("RequestedAt", go_time(now - requested_ago, -7 * 60, "123456789")),
        ("ExpiresAt", go_time(now + expires_in, 0, "108")),
        ("ProxyEndpoint", endpoint),
        ("Service", service),
    ])


def go_cache_text(registries, version="1.0"):
    """json.MarshalIndent(cache, "", "  "): two-space indent, no trailing newline."""
    return json.dumps(OrderedDict([("Registries", OrderedDict(sorted(registries.items()))),
                                   ("Version", version)]), indent=2)


# ------------------------------------------------------------------------------------------
# A loopback forward proxy (absolute-URL HTTP requests and CONNECT tunnels)


class _ProxyServer(socketserver.ThreadingMixIn, HTTPServer):
    daemon_threads = True

    def server_bind(self):
        socketserver.TCPServer.server_bind(self)  # no getfqdn()
        self.server_name, self.server_port = self.server_address[:2]


class _ProxyHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.0"
    timeout = 10

    def log_message(self, format, *args):
        pass

    def _loopback(self, host):
        if host not in ("127.0.0.1", "localhost"):
            self.send_error(403, "this test proxy only forwards to loopback")
            return False
        return True

    def do_CONNECT(self):
        self.server.seen.append(("CONNECT", self.path))
        host, _, port = self.path.rpartition(":")
        if not self._loopback(host):
            return
        upstream = socket.create_connection((host, int(port)), timeout=10)
        try:
            self.send_response(200, "Connection established")
            self.end_headers()
            self.wfile.flush()
            sockets = [self.connection, upstream]
            while True:
                readable = select.select(sockets, [], [], 10)[0]
                if not readable:
                    return
                for sock in readable:
                    data = sock.recv(65536)
                    if not data:
                        return
                    (upstream if sock is self.connection else self.connection).sendall(data)
        finally:
            upstream.close()

    def do_forward(self):
        self.server.seen.append((self.command, self.path))
        parts = urlsplit(self.path)
        if parts.scheme != "http" or not self._loopback(parts.hostname):
            if parts.scheme != "http":
                self.send_error(400, "absolute http URL expected")
            return
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        upstream = http.client.HTTPConnection(parts.hostname, parts.port or 80, timeout=10)
        try:
            path = parts.path or "/"
            if parts.query:
                path += "?" + parts.query
            upstream.putrequest(self.command, path, skip_host=True, skip_accept_encoding=True)
            for name, value in self.headers.items():
                if name.lower() not in ("proxy-connection", "connection", "keep-alive", "content-length"):
                    upstream.putheader(name, value)
            upstream.putheader("Content-Length", str(len(body)))
            upstream.endheaders(body)
            response = upstream.getresponse()
            data = response.read()
            self.send_response(response.status)
            for name, value in response.getheaders():
                if name.lower() not in ("connection", "transfer-encoding", "content-length", "server", "date"):
                    self.send_header(name, value)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
        finally:
            upstream.close()

    do_GET = do_POST = do_PUT = do_forward


class LoopbackProxy(object):
    """An HTTP proxy on 127.0.0.1 that records (method, target) of what it was asked."""

    def __init__(self):
        self.server = _ProxyServer(("127.0.0.1", 0), _ProxyHandler)
        self.server.seen = []
        self.url = "http://127.0.0.1:%d" % self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.01})
        self.thread.daemon = True
        self.thread.start()

    @property
    def seen(self):
        return list(self.server.seen)

    def close(self):
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(5)


# ------------------------------------------------------------------------------------------
# Base class


class CLITestCase(HelperCase):
    """The harness with static keys in the environment, and Go-format cache files."""

    env_keys = (AKID, SECRET)
    registry = HOST

    def setUp(self):
        super().setUp()
        self.cache_dir = os.path.join(self.home, ".ecr")
        self.cache_path = os.path.join(self.cache_dir, "cache.json")

    def assert_signed(self, rec, region, service="ecr", access_key=AKID):
        """rec is SigV4-signed for service/region with access_key and its signature verified."""
        self.assertIsNotNone(rec.auth, rec.headers)
        self.assertEqual((rec.auth["access_key_id"], rec.auth["region"], rec.auth["service"],
                          rec.auth["terminator"]), (access_key, region, service, "aws4_request"))
        results = [reason for checked, reason in self.checks if checked is rec]
        self.assertEqual(results, [None], "the verifier did not accept the signature")
        self.assertEqual(rec.status, 200)

    def requests(self, service=None):
        return self.fake.find(service, "GetAuthorizationToken" if service else None)

    def load_cache(self, path=None):
        with open(path or self.cache_path, "rb") as handle:
            return json.loads(handle.read().decode("utf-8"))

    def write_cache(self, registries, version="1.0", path=None):
        path = path or self.cache_path
        write_file(path, go_cache_text(registries, version))
        os.chmod(os.path.dirname(path), 0o700)
        return path


# ------------------------------------------------------------------------------------------
# get


class GetPartitionTest(CLITestCase):
    def test_every_partition_signed_for_the_host_region(self):
        for host, account, region, _ in PARTITIONS:
            with self.subTest(host=host):
                self.fake.clear()
                del self.checks[:]
                password = self.assert_token(self.get(host, AWS_ECR_DISABLE_CACHE="1"), host)
                self.assertEqual(password, self.ecr_passwords()[-1])
                recs = self.requests()
                self.assertEqual(len(recs), 1, recs)
                rec = recs[0]
                self.assertEqual((rec.service, rec.method, rec.path_only), ("ecr", "POST", "/"))
                self.assert_signed(rec, region, "ecr")
                self.assertEqual(rec.headers["x-amz-target"], ECR_TARGET)
                self.assertEqual(rec.headers["content-type"], "application/x-amz-json-1.1")
                self.assertEqual(rec.body, ('{"registryIds":["%s"]}' % account).encode("ascii"))
                self.assertNotIn("x-amz-security-token", rec.headers)

    def test_server_url_is_echoed_as_given_after_trimming(self):
        for given, echoed in [
            ("https://%s" % HOST, "https://%s" % HOST),
            ("  https://%s/v2/  \n" % HOST, "https://%s/v2/" % HOST),
            ("%s:443/v2/repo/manifests/latest\r\n" % HOST, "%s:443/v2/repo/manifests/latest" % HOST),
            ("public.ecr.aws/amazonlinux/amazonlinux", "public.ecr.aws/amazonlinux/amazonlinux"),
        ]:
            with self.subTest(given=given):
                self.assert_token(self.get(given), echoed)

    def test_ecr_public_hosts(self):
        for host in ("public.ecr.aws", "ecr-public.aws.com"):
            with self.subTest(host=host):
                self.fake.clear()
                del self.checks[:]
                password = self.assert_token(self.get(host, AWS_ECR_DISABLE_CACHE="1"), host)
                self.assertEqual(password, self.ecr_passwords()[-1])
                self.assertEqual(self.fake.count("ecr"), 0)
                rec, = self.requests("ecr-public")
                self.assert_signed(rec, "us-east-1", "ecr-public")
                self.assertEqual(rec.headers["x-amz-target"], PUBLIC_TARGET)

    def test_ecr_public_uses_its_own_endpoint_variable(self):
        env = self.env(AWS_ENDPOINT_URL_ECR=DEAD_ENDPOINT, AWS_ENDPOINT_URL=DEAD_ENDPOINT)
        self.assert_token(self.get("public.ecr.aws", env), "public.ecr.aws")
        self.assertEqual(self.fake.count("ecr-public"), 1)

    def test_session_token_from_the_environment(self):
        self.fake.add_credentials(AKID, SECRET, SESSION_TOKEN)  # the fake now insists on it
        self.assert_token(self.get(HOST, AWS_SESSION_TOKEN=SESSION_TOKEN), HOST)
        rec, = self.requests("ecr")
        self.assertEqual(rec.headers["x-amz-security-token"], SESSION_TOKEN)
        self.assertIn("x-amz-security-token", rec.auth["signed_headers"])
        self.assert_signed(rec, "us-west-2")

    def test_the_verifier_rejects_a_wrong_secret(self):
        # Guards the guard: a signature made with another secret must not verify.
        self.fake.add_credentials(AKID, "not-the-secret-the-helper-used")
        self.assert_not_found(self.get(HOST), "InvalidSignatureException")
        self.assertEqual(self.checks[-1][1][:13], "The request s")


class GetCredentialFilesTest(CLITestCase):
    CREDENTIALS = (
        "[default]\n"
        "aws_access_key_id = AKIDCREDSDEFAULT\n"
        "aws_secret_access_key = secret-creds-default\n"
        "\n"
        "[dev]\n"
        "aws_access_key_id = AKIDCREDSDEV\n"
        "aws_secret_access_key = secret-creds-dev\n"
        "aws_session_token = token-creds-dev\n"
    )
    CONFIG = (
        "[default]\n"
        "region = eu-west-1\n"
        "aws_access_key_id = AKIDCONFIGDEFAULT\n"
        "aws_secret_access_key = secret-config-default\n"
        "\n"
        "[profile dev]\n"
        "aws_access_key_id = AKIDCONFIGDEV\n"
        "aws_secret_access_key = secret-config-dev\n"
        "\n"
        "[profile onlyconfig]\n"
        "aws_access_key_id = AKIDCONFIGONLY\n"
        "aws_secret_access_key = secret-config-only\n"
    )

    def setUp(self):
        CLITestCase.setUp(self)
        for key, secret in [("AKIDCREDSDEFAULT", "secret-creds-default"),
                            ("AKIDCONFIGDEFAULT", "secret-config-default"),
                            ("AKIDCONFIGDEV", "secret-config-dev"),
                            ("AKIDCONFIGONLY", "secret-config-only"),
                            ("AKIDELSEWHERE", "secret-elsewhere")]:
            self.fake.add_credentials(key, secret)
        self.fake.add_credentials("AKIDCREDSDEV", "secret-creds-dev", "token-creds-dev")
        self.aws_dir = os.path.join(self.home, ".aws")

    def files(self, credentials=True, config=True):
        if credentials:
            write_file(os.path.join(self.aws_dir, "credentials"), self.CREDENTIALS)
        if config:
            write_file(os.path.join(self.aws_dir, "config"), self.CONFIG)

    def file_env(self, **extra):
        return self.env(AWS_ACCESS_KEY_ID=None, AWS_SECRET_ACCESS_KEY=None, **extra)

    def assert_used(self, access_key, env):
        self.assert_token(self.get(HOST, env), HOST)
        rec, = self.requests("ecr")
        self.assert_signed(rec, "us-west-2", access_key=access_key)
        return rec

    def test_credentials_file_default_profile(self):
        self.files(config=False)
        self.assert_used("AKIDCREDSDEFAULT", self.file_env())

    def test_config_file_default_profile(self):
        self.files(credentials=False)
        self.assert_used("AKIDCONFIGDEFAULT", self.file_env())

    def test_credentials_file_beats_config_file(self):
        self.files()
        self.assert_used("AKIDCREDSDEFAULT", self.file_env())

    def test_aws_profile_and_its_session_token(self):
        self.files()
        rec = self.assert_used("AKIDCREDSDEV", self.file_env(AWS_PROFILE="dev"))
        self.assertEqual(rec.headers["x-amz-security-token"], "token-creds-dev")

    def test_aws_default_profile(self):
        self.files()
        self.assert_used("AKIDCREDSDEV", self.file_env(AWS_DEFAULT_PROFILE="dev"))

    def test_aws_profile_beats_aws_default_profile(self):
        self.files()
        self.assert_used("AKIDCONFIGONLY", self.file_env(AWS_PROFILE="onlyconfig", AWS_DEFAULT_PROFILE="dev"))

    def test_environment_keys_beat_the_files(self):
        self.files()
        self.assert_used(AKID, self.env())

    def test_files_named_by_the_environment(self):
        self.files()  # the ~/.aws files hold other keys and must not be read
        elsewhere = os.path.join(self.home, "elsewhere")
        write_file(os.path.join(elsewhere, "creds"),
                   "[default]\naws_access_key_id = AKIDELSEWHERE\naws_secret_access_key = secret-elsewhere\n")
        write_file(os.path.join(elsewhere, "conf"),
                   "[profile onlyconfig]\naws_access_key_id = AKIDCONFIGONLY\n"
                   "aws_secret_access_key = secret-config-only\n")
        self.assert_used("AKIDELSEWHERE", self.file_env(
            AWS_SHARED_CREDENTIALS_FILE=os.path.join(elsewhere, "creds"),
            AWS_CONFIG_FILE=os.path.join(elsewhere, "conf")))
        self.fake.clear()
        del self.checks[:]
        self.assert_used("AKIDCONFIGONLY", self.file_env(
            AWS_SHARED_CREDENTIALS_FILE=os.path.join(elsewhere, "creds"),
            AWS_CONFIG_FILE=os.path.join(elsewhere, "conf"), AWS_PROFILE="onlyconfig"))

    def test_missing_profile_is_not_found(self):
        self.files()
        self.assert_not_found(self.get(HOST, self.file_env(AWS_PROFILE="nosuchprofile")), "nosuchprofile")
        self.assertEqual(self.fake.count(), 0)


class GetFailureTest(CLITestCase):
    def test_other_registries_are_not_found_without_a_word_on_stderr(self):
        env = self.env(AWS_ECR_LOG_LEVEL="debug")
        for server_url in OTHER_REGISTRIES:
            with self.subTest(server_url=server_url):
                self.assert_not_ours(self.get(server_url, env))
        self.assertEqual(self.fake.count(), 0, self.fake.requests)
        self.assertFalse(os.path.exists(self.cache_path))
        log = read_text(os.path.join(self.cache_dir, "log", "ecr-login.log"))
        self.assertIn("level=debug", log)
        self.assertIn("index.docker.io is not an Amazon ECR registry", log)
        self.assertNotIn("level=error", log)

    def test_other_registries_leave_no_log_line_at_the_default_level(self):
        self.assert_not_ours(self.get("https://index.docker.io/v1/"))
        self.assertFalse(os.path.exists(os.path.join(self.cache_dir, "log", "ecr-login.log")))

    def test_a_mistyped_ecr_registry_is_named_on_stderr(self):
        for server_url, reason in MISTYPED_ECR:
            with self.subTest(server_url=server_url):
                self.assert_not_found(self.get(server_url), reason)
        self.assertEqual(self.fake.count(), 0, self.fake.requests)

    def test_an_unknown_region_gets_a_hint_when_the_get_fails(self):
        host = "123456789012.dkr.ecr.us-wset-2.amazonaws.com"
        err = self.assert_not_found(self.get(host, AWS_ENDPOINT_URL_ECR=DEAD_ENDPOINT))
        self.assertIn("is us-wset-2 a region? known: us-west-2", err)
        err = self.assert_not_found(self.get("123456789012.dkr.ecr.cn-nrth-1.amazonaws.com.cn",
                                             AWS_ENDPOINT_URL_ECR=DEAD_ENDPOINT))
        self.assertIn("known: cn-north-1", err)
        err = self.assert_not_found(self.get(HOST, AWS_ENDPOINT_URL_ECR=DEAD_ENDPOINT))
        self.assertNotIn("a region?", err, "a known region gets no hint")

    def test_a_region_newer_than_the_helper_still_works(self):
        host = "123456789012.dkr.ecr.xx-future-9.amazonaws.com"
        self.assert_token(self.get(host), host)
        self.assertEqual(self.requests("ecr")[-1].auth["region"], "xx-future-9")

    def test_empty_input(self):
        for stdin in ("", "\n", "  \r\n\t "):
            with self.subTest(stdin=stdin):
                self.assertEqual(self.get(stdin), (1, NO_SERVER_URL, ""))
        self.assertEqual(self.fake.count(), 0)

    def test_aws_error_answer(self):
        self.fake.script("ecr", "GetAuthorizationToken", [
            json_error("AccessDeniedException", DENIED_MESSAGE, 403)])
        self.assert_not_found(self.get(HOST), "AccessDeniedException", DENIED_MESSAGE)
        self.assertEqual(self.fake.count("ecr"), 1)  # not retried
        self.assertFalse(os.path.exists(self.cache_path))

    def test_ecr_public_error_answer(self):
        self.fake.script("ecr-public", "GetAuthorizationToken", [
            json_error("AccessDeniedException", "not authorized to perform: sts:GetServiceBearerToken", 403)])
        self.assert_not_found(self.get("public.ecr.aws"), "AccessDeniedException", "sts:GetServiceBearerToken")

    def test_unreachable_endpoint(self):
        self.assert_not_found(self.get(HOST, AWS_ENDPOINT_URL_ECR=DEAD_ENDPOINT))


# ------------------------------------------------------------------------------------------
# Token cache


class TokenCacheTest(CLITestCase):
    def test_cache_file_written_like_go(self):
        before = time.time()
        password = self.assert_token(self.get(HOST), HOST)
        self.assertEqual(mode_of(self.cache_dir), 0o700)
        self.assertEqual(mode_of(self.cache_path), 0o600)
        text = read_text(self.cache_path)
        document = json.loads(text, object_pairs_hook=OrderedDict)
        self.assertEqual(text, json.dumps(document, indent=2))  # 2-space indent, no newline at the end
        self.assertEqual(list(document), ["Registries", "Version"])
        self.assertEqual(document["Version"], "1.0")
        key = private_key(AKID)
        self.assertEqual(list(document["Registries"]), [key])
        entry = document["Registries"][key]
        self.assertEqual(list(entry), ["AuthorizationToken", "RequestedAt", "ExpiresAt", "ProxyEndpoint", "Service"])
        self.assertEqual(entry["AuthorizationToken"], token_of(password))
        self.assertEqual(entry["ProxyEndpoint"], "https://%s" % HOST)
        self.assertEqual(entry["Service"], "ecr")
        self.assertRegex(entry["RequestedAt"], r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,9})?(Z|[+-]\d\d:\d\d)$")
        self.assertRegex(entry["ExpiresAt"], r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,3})?Z$")
        requested = ecr_login.parse_timestamp(entry["RequestedAt"])
        expires = ecr_login.parse_timestamp(entry["ExpiresAt"])
        self.assertTrue(before - 1 <= requested <= time.time() + 1, entry)
        self.assertAlmostEqual(expires, requested + 12 * HOUR, delta=5)

    def test_second_get_is_served_from_the_cache(self):
        first = self.assert_token(self.get(HOST), HOST)
        second = self.assert_token(self.get("https://%s/v2/" % HOST), "https://%s/v2/" % HOST)
        self.assertEqual(first, second)
        self.assertEqual(self.fake.count(), 1)
        self.assert_token(self.get(HOST_B), HOST_B)  # another account: another key, another call
        self.assertEqual(self.fake.count(), 2)
        self.assertEqual(sorted(self.load_cache()["Registries"]),
                         sorted([private_key(AKID), private_key(AKID, "210987654321")]))

    def test_ecr_public_key_is_shared_by_both_public_hosts(self):
        password = self.assert_token(self.get("public.ecr.aws"), "public.ecr.aws")
        self.assertEqual(self.assert_token(self.get("ecr-public.aws.com"), "ecr-public.aws.com"), password)
        self.assertEqual(self.fake.count(), 1)
        entry = self.load_cache()["Registries"][public_key(AKID)]
        self.assertEqual((entry["Service"], entry["ProxyEndpoint"]), ("ecr-public", "https://public.ecr.aws"))

    def test_custom_cache_dir(self):
        cache_dir = os.path.join(self.home, "custom", "nested", "cache")
        self.assert_token(self.get(HOST, AWS_ECR_CACHE_DIR=cache_dir), HOST)
        self.assertEqual(mode_of(cache_dir), 0o700)
        self.assertEqual(mode_of(os.path.join(cache_dir, "cache.json")), 0o600)
        self.assertIn(private_key(AKID), self.load_cache(os.path.join(cache_dir, "cache.json"))["Registries"])
        self.assertFalse(os.path.exists(self.cache_dir))

    def test_go_written_cache_is_used(self):
        other = go_entry("other-users-password", HOUR, 11 * HOUR, "https://%s" % HOST_B)
        self.write_cache({
            private_key(AKID): go_entry("go-private-password", HOUR, 11 * HOUR),
            public_key(AKID): go_entry("go-public-password", 2 * HOUR, 10 * HOUR, "https://public.ecr.aws",
                                       "ecr-public"),
            private_key("AKIDSOMEONEELSE", "210987654321"): other,
        })
        self.assertEqual(self.assert_token_from_cache(HOST), "go-private-password")
        self.assertEqual(self.assert_token_from_cache("public.ecr.aws"), "go-public-password")
        self.assertEqual(self.assert_token_from_cache("ecr-public.aws.com"), "go-public-password")
        self.assertEqual(self.fake.count(), 0)

    def assert_token_from_cache(self, server_url, env=None):
        code, out, err = self.get(server_url, env)
        self.assertEqual((code, err), (0, ""), out)
        document = json.loads(out)
        self.assertEqual(out, '{"ServerURL":%s,"Username":"AWS","Secret":%s}\n' % (
            json.dumps(server_url), json.dumps(document["Secret"])))
        return document["Secret"]

    def test_go_reference_key_for_access_key(self):
        # The key the reference gives for the access key id "accessKey", spelled out.
        self.fake.add_credentials("accessKey", "secretKey")
        key = "us-west-2-xOV45/s/9aT8cbO8tDicjEV1KKkfpLdKrQs0ipPGgGc=-123456789012"
        self.write_cache({key: go_entry("reference-password", HOUR, 11 * HOUR)})
        env = self.env(AWS_ACCESS_KEY_ID="accessKey", AWS_SECRET_ACCESS_KEY="secretKey")
        self.assertEqual(self.assert_token_from_cache(HOST, env), "reference-password")
        self.assertEqual(self.fake.count(), 0)

    def test_legacy_key_is_read(self):
        self.assertEqual(legacy_checksum("accessKey"), "YWNjZXNzS2V51B2M2Y8AsgTpgAmY7PhCfg==")
        self.write_cache({
            private_key(AKID, checksum=legacy_checksum): go_entry("legacy-private", HOUR, 11 * HOUR),
            public_key(AKID, checksum=legacy_checksum): go_entry("legacy-public", HOUR, 11 * HOUR,
                                                                 "https://public.ecr.aws", "ecr-public"),
        })
        self.assertEqual(self.assert_token_from_cache(HOST), "legacy-private")
        self.assertEqual(self.assert_token_from_cache("public.ecr.aws"), "legacy-public")
        self.assertEqual(self.fake.count(), 0)

    def test_legacy_key_is_not_read_in_go_fips_mode(self):
        self.write_cache({private_key(AKID, checksum=legacy_checksum): go_entry("legacy-private", HOUR, 11 * HOUR)})
        password = self.assert_token(self.get(HOST, self.env(GODEBUG="x=1, fips140=on")), HOST)
        self.assertNotEqual(password, "legacy-private")
        self.assertEqual(self.fake.count("ecr"), 1)

    def test_new_key_wins_over_legacy_key(self):
        self.write_cache({
            private_key(AKID, checksum=legacy_checksum): go_entry("legacy-private", HOUR, 11 * HOUR),
            private_key(AKID): go_entry("new-private", HOUR, 11 * HOUR),
        })
        self.assertEqual(self.assert_token_from_cache(HOST), "new-private")

    def test_entry_past_half_life_is_refreshed(self):
        self.write_cache({
            private_key(AKID): go_entry("stale-password", 7 * HOUR, 5 * HOUR),
            private_key("AKIDSOMEONEELSE"): go_entry("someone-elses", HOUR, 11 * HOUR),
        })
        os.chmod(self.cache_path, 0o644)
        password = self.assert_token(self.get(HOST), HOST)
        self.assertNotEqual(password, "stale-password")
        self.assertEqual(self.fake.count("ecr"), 1)
        registries = self.load_cache()["Registries"]
        self.assertEqual(registries[private_key(AKID)]["AuthorizationToken"], token_of(password))
        self.assertIn(private_key("AKIDSOMEONEELSE"), registries)  # other entries survive
        self.assertEqual(mode_of(self.cache_path), 0o600)

    def test_failing_api_falls_back_to_an_unexpired_entry(self):
        self.write_cache({private_key(AKID): go_entry("stale-but-valid", 7 * HOUR, 5 * HOUR)})
        self.fake.script("ecr", "GetAuthorizationToken", [json_error("AccessDeniedException", DENIED_MESSAGE, 403)])
        self.assertEqual(self.assert_token_from_cache(HOST), "stale-but-valid")
        self.assertEqual(self.fake.count("ecr"), 1)
        # The unreachable case too, and the entry is kept as it was.
        self.assertEqual(self.assert_token_from_cache(HOST, self.env(AWS_ENDPOINT_URL_ECR=DEAD_ENDPOINT)),
                         "stale-but-valid")
        self.assertEqual(self.load_cache()["Registries"][private_key(AKID)]["AuthorizationToken"],
                         token_of("stale-but-valid"))

    def test_expired_entry_is_never_returned(self):
        self.write_cache({
            private_key(AKID): go_entry("expired-private", 13 * HOUR, -HOUR),
            public_key(AKID): go_entry("expired-public", 13 * HOUR, -HOUR, "https://public.ecr.aws", "ecr-public"),
        })
        for host, service in ((HOST, "ecr"), ("public.ecr.aws", "ecr-public")):
            with self.subTest(host=host):
                self.fake.script(service, "GetAuthorizationToken", [
                    json_error("AccessDeniedException", DENIED_MESSAGE, 403)])
                err = self.assert_not_found(self.get(host), "AccessDeniedException")
                self.assertNotIn("expired-", err)
        # With the API back, a fresh token replaces the expired one.
        password = self.assert_token(self.get(HOST), HOST)
        self.assertNotEqual(password, "expired-private")

    def test_disable_cache(self):
        for value in ("1", "true", "false"):
            with self.subTest(value=value):
                self.fake.clear()
                first = self.assert_token(self.get(HOST, AWS_ECR_DISABLE_CACHE=value), HOST)
                second = self.assert_token(self.get(HOST, AWS_ECR_DISABLE_CACHE=value), HOST)
                self.assertNotEqual(first, second)
                self.assertEqual(self.fake.count("ecr"), 2)
                self.assertFalse(os.path.exists(self.cache_path))

    def test_disable_cache_ignores_a_fresh_entry(self):
        self.write_cache({private_key(AKID): go_entry("cached", HOUR, 11 * HOUR)})
        self.assertNotEqual(self.assert_token(self.get(HOST, AWS_ECR_DISABLE_CACHE="1"), HOST), "cached")
        self.assertEqual(self.fake.count("ecr"), 1)

    def test_no_temp_files_left_behind(self):
        write_file(self.cache_path, b"{damaged")
        self.assert_token(self.get(HOST), HOST)
        self.assert_token(self.get(HOST_B), HOST_B)
        self.assert_token(self.get("public.ecr.aws"), "public.ecr.aws")
        leftovers = [name for name in os.listdir(self.cache_dir)
                     if name not in ("cache.json", "cache.json.lock", "log")]
        self.assertEqual(leftovers, [])
        self.assertEqual(len(self.load_cache()["Registries"]), 3)


class LogFileTest(CLITestCase):
    def test_log_has_the_reason_and_no_secret(self):
        self.fake.add_credentials(AKID, SECRET, SESSION_TOKEN)
        env = self.env(AWS_SESSION_TOKEN=SESSION_TOKEN, AWS_ECR_LOG_LEVEL="debug")
        password = self.assert_token(self.get(HOST, env), HOST)
        self.assert_token(self.get(HOST, env), HOST)  # from the cache
        self.fake.script("ecr", "GetAuthorizationToken", [json_error("AccessDeniedException", DENIED_MESSAGE, 403)])
        self.assert_not_found(self.get(HOST_B, env), "AccessDeniedException")
        self.assert_not_ours(self.get("not.ecr.io", env))
        log_path = os.path.join(self.cache_dir, "log", "ecr-login.log")
        self.assertEqual(mode_of(log_path), 0o600)
        log = read_text(log_path)
        self.assertIn("AccessDeniedException", log)
        self.assertIn(DENIED_MESSAGE, log)
        for secret in (SECRET, SESSION_TOKEN, password, token_of(password)):
            self.assertNotIn(secret, log)
        self.assertEqual(self.fake.secrets_in(log), [])

    def test_log_in_custom_cache_dir_after_a_failing_get(self):
        cache_dir = os.path.join(self.home, "cache")
        self.assert_not_found(self.get(HOST, AWS_ECR_CACHE_DIR=cache_dir, AWS_ENDPOINT_URL_ECR=DEAD_ENDPOINT))
        log_path = os.path.join(cache_dir, "log", "ecr-login.log")
        self.assertEqual(mode_of(log_path), 0o600)
        self.assertIn("GetAuthorizationToken", read_text(log_path))
        self.assertNotIn(SECRET, read_text(log_path))

    def test_secrets_echoed_by_an_error_are_masked(self):
        # An endpoint (or a proxy in front of it) that echoes what it was sent must not make
        # the helper print or log the session token.
        self.fake.add_credentials(AKID, SECRET, SESSION_TOKEN)
        env = self.env(AWS_SESSION_TOKEN=SESSION_TOKEN)
        self.fake.script("ecr", "GetAuthorizationToken", [
            json_error("UnrecognizedClientException", "The security token %s is invalid" % SESSION_TOKEN, 403)])
        err = self.assert_not_found(self.get(HOST, env), "UnrecognizedClientException")
        self.assertNotIn(SESSION_TOKEN, err)
        log = read_text(os.path.join(self.cache_dir, "log", "ecr-login.log"))
        self.assertIn("UnrecognizedClientException", log)
        self.assertNotIn(SESSION_TOKEN, log)


# ------------------------------------------------------------------------------------------
# list, store, erase, version, usage


class ListTest(CLITestCase):
    def list(self, env=None):
        return run_main(["list"], self.env() if env is None else env, b"unused")

    def test_empty_cache(self):
        self.assertEqual(self.list(), (0, "{}\n", ""))
        self.assertEqual(self.fake.count(), 0)

    def test_after_gets(self):
        for host in (HOST_B, "public.ecr.aws", HOST):
            self.assert_token(self.get(host), host)
        self.fake.clear()
        expected = ('{"https://123456789012.dkr.ecr.us-west-2.amazonaws.com":"AWS",'
                    '"https://210987654321.dkr.ecr.us-west-2.amazonaws.com":"AWS",'
                    '"https://public.ecr.aws":"AWS"}\n')
        self.assertEqual(self.list(), (0, expected, ""))
        # Entries of any credentials are listed, without credentials and without a call.
        self.assertEqual(self.list(self.env(AWS_ACCESS_KEY_ID=None, AWS_SECRET_ACCESS_KEY=None)),
                         (0, expected, ""))
        self.assertEqual(self.fake.count(), 0)

    def test_hosts_routed_to_this_helper_are_listed_before_first_use(self):
        other = "333344445555.dkr.ecr.eu-west-1.amazonaws.com"
        write_file(os.path.join(self.home, ".docker", "config.json"), json.dumps({"credHelpers": {
            HOST: "ecr-login", "https://" + HOST_B: "ecr-login-prod", other: "desktop",
            "docker.io": "ecr-login", "public.ecr.aws": "ecr-login"}, "auths": {"ghcr.io": {}}}))
        write_file(os.path.join(self.cache_dir, "config.json"), json.dumps({"registries": {
            "mirror.example.com": {"registry": other}, "plain.example.com": {"profile": "prod"}}}))
        expected = {"https://" + HOST: "AWS", "https://public.ecr.aws": "AWS", "https://mirror.example.com": "AWS"}
        code, out, err = self.list()
        self.assertEqual((code, json.loads(out), err), (0, expected, ""))
        stdout, stderr = io.BytesIO(), io.BytesIO()  # the copy named for profile prod is ecr-login-prod
        ecr_login.main([PROGRAM + "-prod", "list"], self.env(), io.BytesIO(), stdout, stderr)
        self.assertEqual(json.loads(stdout.getvalue().decode()),
                         {"https://" + HOST_B: "AWS", "https://mirror.example.com": "AWS"})
        self.assertEqual(self.fake.count(), 0)
        self.assert_token(self.get(HOST_B), HOST_B)
        code, out, err = self.list()
        self.assertEqual(json.loads(out), dict(expected, **{"https://" + HOST_B: "AWS"}), "with the cache's")
        write_file(os.path.join(self.cache_dir, "config.json"), "{broken")
        self.assertEqual(json.loads(self.list()[1]), {"https://" + HOST: "AWS", "https://public.ecr.aws": "AWS",
                                                      "https://" + HOST_B: "AWS"})

    def test_damaged_cache(self):
        for data in (b"{not json", b"\x00\xff", b'{"Registries": {"k": 1}, "Version": "1.0"}'):
            with self.subTest(data=data):
                write_file(self.cache_path, data)
                self.assertEqual(self.list(), (0, "{}\n", ""))

    def test_disabled_cache(self):
        self.write_cache({private_key(AKID): go_entry("cached", HOUR, 11 * HOUR)})
        self.assertEqual(self.list(), (0, '{"https://%s":"AWS"}\n' % HOST, ""))
        self.assertEqual(self.list(self.env(AWS_ECR_DISABLE_CACHE="1")), (0, "{}\n", ""))


class StoreEraseTest(unittest.TestCase):
    CREDS = '{"ServerURL":"https://%s","Username":"AWS","Secret":"pw"}' % HOST

    def setUp(self):
        self.home = make_home(self)

    def run_action(self, action, stdin, **extra):
        return run_main([action], clean_env(self.home, **extra), stdin)

    def assert_refused_with_advice(self, result, *advice):
        """The protocol's "not implemented", and one line on stderr (Docker shows it) saying why."""
        code, out, err = result
        self.assertEqual((code, out), (1, "not implemented\n"), err)
        self.assertTrue(err.startswith(PROGRAM + ": ") and err.count("\n") == 1, err)
        for part in advice:
            self.assertIn(part, err)

    def test_store_not_implemented_says_no_login_is_needed(self):
        self.assert_refused_with_advice(self.run_action("store", self.CREDS), "no login is needed for %s"
                                        % HOST, "AWS_ECR_IGNORE_CREDS_STORAGE=true")

    def test_store_for_another_registry_points_to_a_fallback_helper(self):
        self.assert_refused_with_advice(
            self.run_action("store", '{"ServerURL":"https://index.docker.io/v1/","Username":"me","Secret":"pw"}'),
            "index.docker.io is not an ECR registry", "configure --fallback")

    def test_store_ignored_only_for_exactly_true(self):
        self.assertEqual(self.run_action("store", self.CREDS, AWS_ECR_IGNORE_CREDS_STORAGE="true"), (0, "", ""))
        for value in ("false", "1", "0", ""):
            with self.subTest(value=value):
                self.assert_refused_with_advice(
                    self.run_action("store", self.CREDS, AWS_ECR_IGNORE_CREDS_STORAGE=value),
                    "AWS_ECR_IGNORE_CREDS_STORAGE=true")

    def test_store_bad_input(self):
        for stdin in ("", "not json", "[1]", "\xff"):
            with self.subTest(stdin=stdin):
                code, out, err = self.run_action("store", stdin, AWS_ECR_IGNORE_CREDS_STORAGE="true")
                self.assertEqual(code, 1)
                self.assertTrue(out.strip() and out.endswith("\n") and out.count("\n") == 1, out)
                self.assertNotIn("Traceback", out + err)
        self.assertEqual(self.run_action("store", b"\xff\xfe\x00"), (1, "the input is not UTF-8 text\n", ""))

    def test_store_missing_fields(self):
        for ignore in ("true", None):
            with self.subTest(ignore=ignore):
                self.assertEqual(self.run_action("store", '{"Username":"AWS","Secret":"pw"}',
                                                 AWS_ECR_IGNORE_CREDS_STORAGE=ignore), (1, NO_SERVER_URL, ""))
                self.assertEqual(self.run_action("store", '{"ServerURL":"x","Secret":"pw"}',
                                                 AWS_ECR_IGNORE_CREDS_STORAGE=ignore),
                                 (1, "no credentials username\n", ""))

    def test_store_field_names_are_case_insensitive(self):
        self.assertEqual(self.run_action("store", '{"serverurl":"x","USERNAME":"AWS"}',
                                         AWS_ECR_IGNORE_CREDS_STORAGE="true"), (0, "", ""))

    def test_store_writes_nothing(self):
        self.run_action("store", self.CREDS, AWS_ECR_IGNORE_CREDS_STORAGE="true")
        self.assertFalse(os.path.exists(os.path.join(self.home, ".ecr", "cache.json")))

    def test_erase(self):
        self.assert_refused_with_advice(self.run_action("erase", "https://%s" % HOST),
                                        "no logout is needed for %s" % HOST)
        self.assertEqual(self.run_action("erase", HOST, AWS_ECR_IGNORE_CREDS_STORAGE="true"), (0, "", ""))
        self.assert_refused_with_advice(self.run_action("erase", HOST, AWS_ECR_IGNORE_CREDS_STORAGE="1"),
                                        "AWS_ECR_IGNORE_CREDS_STORAGE=true")
        self.assertEqual(self.run_action("erase", "", AWS_ECR_IGNORE_CREDS_STORAGE="true"), (1, NO_SERVER_URL, ""))


class VersionUsageTest(unittest.TestCase):
    def setUp(self):
        self.env = clean_env(make_home(self))

    def test_version(self):
        code, out, err = run_main(["version"], self.env)
        self.assertEqual((code, err), (0, ""))
        self.assertTrue(out.startswith("docker-credential-ecr-login ("), out)
        self.assertTrue(out.endswith("\n") and out.count("\n") == 1, out)
        self.assertIn(ecr_login.VERSION, out)

    def test_banner(self):
        code, out, err = run_main(["-v"], self.env)
        self.assertEqual((code, err), (0, ""))
        lines = out.split("\n")
        self.assertEqual(len(lines), 4, out)
        self.assertEqual(lines[0], "amazon-ecr-credential-helper")
        self.assertTrue(lines[1].startswith("Version:    "), out)
        self.assertTrue(lines[2].startswith("Git commit: "), out)
        self.assertEqual(lines[3], "")

    def test_usage(self):
        for args in ([], ["get", "extra"], ["get", "-v"], ["list", "list", "list"]):
            with self.subTest(args=args):
                self.assertEqual(run_main(args, self.env, "x"), (1, USAGE, SEE_HELP))

    def test_no_action_waits_for_a_kubelet_request_only_briefly_and_never_reads_a_terminal(self):
        read_end, write_end = os.pipe()
        self.addCleanup(os.close, write_end)
        stdout, stderr = io.BytesIO(), io.BytesIO()
        with mock.patch.object(ecr_login, "KUBELET_STDIN_WAIT_SECONDS", 0.05), open(read_end, "rb") as silent:
            code = ecr_login.main([PROGRAM], self.env, stdin=silent, stdout=stdout, stderr=stderr)
        self.assertEqual((code, stdout.getvalue().decode()), (1, USAGE), "a silent pipe is not a kubelet")
        if hasattr(os, "openpty"):
            controller, terminal = os.openpty()
            self.addCleanup(os.close, controller)
            os.write(controller, b'{"kind": "CredentialProviderRequest"}\n')
            stdout = io.BytesIO()
            with open(terminal, "rb") as tty:
                code = ecr_login.main([PROGRAM], self.env, stdin=tty, stdout=stdout, stderr=stderr)
            self.assertEqual((code, stdout.getvalue().decode()), (1, USAGE), "a terminal is never read")

    def test_unknown_action(self):
        self.assertEqual(run_main(["foo"], self.env),
                         (1, "docker-credential-ecr-login: unknown action: foo\n", SEE_HELP))
        self.assertEqual(run_main(["GET"], self.env, HOST), (
            1, "docker-credential-ecr-login: unknown action: GET\n",
            "docker-credential-ecr-login: did you mean get?\n" + SEE_HELP))
        code, out, err = run_main(["gte"], self.env, HOST)
        self.assertEqual((code, out), (1, "docker-credential-ecr-login: unknown action: gte\n"))
        self.assertIn("did you mean get?", err)

    def test_help_starts_with_doctor_and_names_what_people_need(self):
        code, out, err = run_main(["-h"], self.env)
        self.assertEqual((code, err), (0, ""))
        commands = out[out.index("Commands"):]
        self.assertTrue(commands.split("\n")[1].strip().startswith("doctor"), commands)
        self.assertLess(out.index("doctor"), out.index("configure"))
        for text in ("-v", "AWS_PROFILE", "AWS_ECR_LOG_LEVEL", "AWS_ECR_IGNORE_CREDS_STORAGE"):
            self.assertIn(text, out)
        self.assertNotIn("| %s get" % PROGRAM, out, "the example must not print a password")

    def test_each_command_has_its_own_help_and_names_an_unknown_option(self):
        for command in ("doctor", "configure", "get-login-password"):
            with self.subTest(command):
                for flag in ("-h", "--help"):
                    code, out, err = run_main([command, flag], self.env)
                    self.assertEqual((code, err), (0, ""), out)
                    self.assertTrue(out.startswith("usage: %s %s" % (PROGRAM, command)), out)
                code, out, err = run_main([command, "--bogus", HOST], self.env)
                self.assertEqual((code, out), (2, ""), err)
                self.assertTrue(err.startswith("%s %s: unknown option --bogus\nusage: " % (PROGRAM, command)), err)


# ------------------------------------------------------------------------------------------
# Endpoints, TLS, proxies


class EndpointTest(CLITestCase):
    def registry(self, host):
        return ecr_login.parse_registry(host)

    def endpoint(self, host, env):
        ctx = ecr_login.Context(dict(env, HOME=self.home))
        return ecr_login.ecr_endpoint(ecr_login.Request(ctx, self.registry(host)))

    def test_default_endpoints(self):
        for host, _, _, endpoint in PARTITIONS:
            with self.subTest(host=host):
                self.assertEqual(self.endpoint(host, {}), endpoint)
        self.assertEqual(self.endpoint("public.ecr.aws", {}), "https://api.ecr-public.us-east-1.amazonaws.com")
        self.assertEqual(self.endpoint("ecr-public.aws.com", {}), "https://ecr-public.us-east-1.api.aws")

    def test_use_fips_endpoint(self):
        env = {"AWS_USE_FIPS_ENDPOINT": "true"}
        self.assertEqual(self.endpoint(HOST, env), "https://api.ecr-fips.us-west-2.amazonaws.com")
        self.assertEqual(self.endpoint("210987654321.dkr.ecr.cn-north-1.amazonaws.com.cn", env),
                         "https://api.ecr-fips.cn-north-1.amazonaws.com.cn")
        self.assertEqual(self.endpoint(HOST, {"AWS_USE_FIPS_ENDPOINT": "false"}),
                         "https://api.ecr.us-west-2.amazonaws.com")

    def test_overrides(self):
        fips = "123456789012.dkr.ecr-fips.us-gov-west-1.amazonaws.com"
        self.assertEqual(self.endpoint(fips, {"AWS_ENDPOINT_URL": "http://generic/"}), "http://generic")
        self.assertEqual(self.endpoint(fips, {"AWS_ENDPOINT_URL": "http://generic",
                                              "AWS_ENDPOINT_URL_ECR": "http://ecr"}), "http://ecr")
        self.assertEqual(self.endpoint(fips, {"AWS_ENDPOINT_URL_ECR": "http://ecr",
                                              "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS": "true"}),
                         "https://api.ecr-fips.us-gov-west-1.amazonaws.com")
        self.assertEqual(self.endpoint("public.ecr.aws", {"AWS_ENDPOINT_URL_ECR": "http://ecr",
                                                          "AWS_ENDPOINT_URL_ECR_PUBLIC": "http://pub"}), "http://pub")

    def test_generic_endpoint_variable(self):
        env = self.env(AWS_ENDPOINT_URL_ECR=None, AWS_ENDPOINT_URL_ECR_PUBLIC=None)
        self.assert_token(self.get(HOST, env), HOST)
        self.assert_token(self.get("public.ecr.aws", env), "public.ecr.aws")
        self.assertEqual((self.fake.count("ecr"), self.fake.count("ecr-public")), (1, 1))

    def test_service_variable_beats_generic(self):
        env = self.env(AWS_ENDPOINT_URL=DEAD_ENDPOINT)
        self.assert_token(self.get(HOST, env), HOST)
        self.assertEqual(self.fake.count("ecr"), 1)


class TLSTest(CLITestCase):
    @classmethod
    def setUpClass(cls):
        cls.ca_dir = tempfile.mkdtemp(prefix="ecr-login-ca-")
        try:
            cls.ca, cls.cert, cls.key = make_test_ca(cls.ca_dir)
        except BaseException:
            shutil.rmtree(cls.ca_dir, True)
            raise

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.ca_dir, True)

    def setUp(self):
        self.fake_options = {"tls_context": server_ssl_context(self.cert, self.key)}
        CLITestCase.setUp(self)
        self.assertTrue(self.fake.url.startswith("https://127.0.0.1:"))

    def test_ca_bundle(self):
        self.assert_token(self.get(HOST, AWS_CA_BUNDLE=self.ca, AWS_ECR_DISABLE_CACHE="1"), HOST)
        self.assert_signed(self.fake.last("ecr"), "us-west-2")
        err = self.assert_not_found(self.get(HOST, AWS_MAX_ATTEMPTS="1"))
        self.assertRegex(err, "(?i)certificate|ssl")
        self.assertEqual(self.fake.count("ecr"), 1)  # the second never got past the handshake

    def test_untrusted_on_macos_points_to_install_certificates(self):
        with mock.patch.object(ecr_login.sys, "platform", "darwin"):
            err = self.assert_not_found(self.get(HOST, AWS_MAX_ATTEMPTS="1"))
        self.assertIn("Install Certificates.command", err)
        err = self.assert_not_found(self.get(HOST, AWS_MAX_ATTEMPTS="1"))
        self.assertNotIn("Install Certificates", err)
        self.assertIn("AWS_CA_BUNDLE", err)

    def test_ca_bundle_from_the_profile(self):
        write_file(os.path.join(self.home, ".aws", "config"), "[default]\nca_bundle = %s\n" % self.ca)
        self.assert_token(self.get(HOST), HOST)

    def test_missing_ca_bundle_file(self):
        self.assert_not_found(self.get(HOST, AWS_CA_BUNDLE=os.path.join(self.home, "nope.pem")), "nope.pem")

    def test_https_proxy_connect_tunnel(self):
        proxy = LoopbackProxy()
        self.addCleanup(proxy.close)
        env = self.env(AWS_CA_BUNDLE=self.ca, HTTPS_PROXY=proxy.url)
        code, out, err = self.run_child(["get"], env, HOST)
        self.assertEqual((code, err), (0, ""), out)
        self.assertEqual(proxy.seen, [("CONNECT", "127.0.0.1:%d" % self.fake.port)])
        self.assert_signed(self.fake.last("ecr"), "us-west-2")


class ProxyTest(CLITestCase):
    def setUp(self):
        CLITestCase.setUp(self)
        self.proxy = LoopbackProxy()
        self.addCleanup(self.proxy.close)

    def test_http_proxy_gets_the_absolute_url(self):
        code, out, err = self.run_child(["get"], self.env(HTTP_PROXY=self.proxy.url), HOST)
        self.assertEqual((code, err), (0, ""), out)
        (method, target), = self.proxy.seen
        parts = urlsplit(target)  # absolute-form: http://host:port[/]
        self.assertEqual((method, parts.scheme, parts.netloc, parts.path or "/"),
                         ("POST", "http", "127.0.0.1:%d" % self.fake.port, "/"))
        self.assert_signed(self.fake.last("ecr"), "us-west-2")

    def test_no_proxy_bypasses_it(self):
        code, out, err = self.run_child(["get"], self.env(HTTP_PROXY=self.proxy.url, NO_PROXY="127.0.0.1"), HOST)
        self.assertEqual((code, err), (0, ""), out)
        self.assertEqual(self.proxy.seen, [])
        self.assertEqual(self.fake.count("ecr"), 1)


# ------------------------------------------------------------------------------------------
# Child processes: from source and as the zipapp


class SubprocessTest(CLITestCase):
    def test_get_from_source(self):
        code, out, err = self.run_child(["get"], self.env(), HOST, how="script")
        self.assertEqual((code, err), (0, ""), out)
        self.assert_token((code, out, err), HOST)
        self.assert_signed(self.fake.last("ecr"), "us-west-2")
        self.assertEqual(mode_of(self.cache_path), 0o600)

    def test_get_from_the_zipapp(self):
        env = self.env()
        for host in (HOST, "public.ecr.aws"):
            with self.subTest(host=host):
                self.assert_token(self.run_child(["get"], env, host, how="zipapp"), host)
        self.assert_token(self.run_child(["get"], env, HOST, how="zipapp"), HOST)  # from the cache
        self.assertEqual((self.fake.count("ecr"), self.fake.count("ecr-public")), (1, 1))
        code, out, _ = self.run_child(["list"], env, "unused", how="zipapp")
        self.assertEqual((code, out), (0, '{"https://%s":"AWS","https://public.ecr.aws":"AWS"}\n' % HOST))

    def test_bad_input_no_traceback(self):
        env = self.env()
        for label, stdin in [("binary", b"\xff\xfe\xfd\x80" * 64),
                             ("1 MB", (HOST + "/").encode() * (1024 * 1024 // (len(HOST) + 1) + 1)),
                             ("NUL", HOST.encode() + b"\x00\n"),
                             ("NUL only", b"\x00")]:
            with self.subTest(stdin=label):
                self.assert_not_found(self.run_child(["get"], env, stdin))
        self.assertEqual(self.fake.count(), 0)


if __name__ == "__main__":
    unittest.main()
