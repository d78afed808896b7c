"""The HTTP layer as an attacker or a broken network would try it: redirects (never followed,
so no credential reaches a second host), endpoints that trickle their answer (an overall
deadline), container endpoint addresses (strict parsing) and error codes in any body format.

Every test runs the helper in-process against tests.fakeaws.FakeAWS on 127.0.0.1.
"""

import base64
import hashlib
import ipaddress
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import unittest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)

import ecr_login  # noqa: E402
from tests.fakeaws import FakeAWS, Reply, iso8601, server_ssl_context, sts_error  # noqa: E402
from tests.test_chain import REGISTRY, ROLE_A, ChainTestCase  # noqa: E402
from tests.helpers import NOT_FOUND, SilentListener, clean_env, run_main  # noqa: E402
from tests.test_cli import LoopbackProxy  # noqa: E402
from tests.tls_certs import PKI  # noqa: E402

KEY, SECRET, SESSION_TOKEN = "AKIDHTTPTEST00001", "http-test-secret-0001", "http-test-session-0001"
SSO_ACCOUNT = "111122223333"


REDIRECT_STATUSES = (301, 302, 303, 307, 308)


class RedirectTest(ChainTestCase):
    """Every call the helper makes answers a 3xx pointing at a second listener: the get fails
    naming the status and the host that redirected, and the second listener sees nothing."""

    def setUp(self):
        ChainTestCase.setUp(self)
        self.target = SilentListener()
        self.addCleanup(self.target.close)
        self.secrets.extend([SECRET, SESSION_TOKEN, "sso-token-redirect", "Bearer container-secret"])

    def redirect(self, status=302):
        return Reply(status=status, headers={"Location": self.target.url + "/stolen"})

    def assert_refused(self, result, status=302):
        err = self.assert_not_found(result, "HTTP %d" % status, "127.0.0.1:%d" % self.fake.port)
        self.assertIn("redirect", err)
        self.assertEqual(self.target.connections(), 0, "a request followed the redirect")
        return err

    def static_env(self, **extra):
        self.add_keys(KEY, SECRET, SESSION_TOKEN)
        return self.env(AWS_ACCESS_KEY_ID=KEY, AWS_SECRET_ACCESS_KEY=SECRET, AWS_SESSION_TOKEN=SESSION_TOKEN,
                        **extra)

    def test_ecr_every_redirect_status(self):
        for status in REDIRECT_STATUSES:
            with self.subTest(status=status):
                self.new_home()
                self.fake.clear()
                self.fake.script("ecr", "GetAuthorizationToken", [self.redirect(status)])
                self.assert_refused(self.get(env=self.static_env()), status)
                self.assertEqual(self.fake.count("ecr"), 1, "a redirect is not retried either")

    def test_ecr_public(self):
        self.fake.script("ecr-public", "GetAuthorizationToken", [self.redirect()])
        self.assert_refused(self.get(env=self.static_env(), server_url="public.ecr.aws"))

    def test_ecr_through_a_proxy_with_credentials(self):
        proxy = LoopbackProxy()
        self.addCleanup(proxy.close)
        self.secrets.append("proxy-password-0001")
        proxy_url = proxy.url.replace("http://", "http://user:proxy-password-0001@")
        self.fake.script("ecr", "GetAuthorizationToken", [self.redirect(307)])
        self.assert_refused(self.get(env=self.static_env(HTTP_PROXY=proxy_url)), 307)
        self.assertEqual(len(proxy.seen), 1)

    def test_sts_assume_role(self):
        self.add_keys(KEY, SECRET)
        self.aws_file("credentials", "[base]\naws_access_key_id = %s\naws_secret_access_key = %s\n" % (KEY, SECRET))
        self.aws_file("config", "[profile dev]\nrole_arn = %s\nsource_profile = base\n" % ROLE_A)
        self.fake.script("sts", "AssumeRole", [self.redirect(301)])
        self.assert_refused(self.get(env=self.env(AWS_PROFILE="dev")), 301)
        self.assertEqual(self.fake.count("ecr"), 0)

    def sso_profile(self, document):
        self.aws_file("config", "[profile sso]\nsso_session = s\nsso_account_id = %s\nsso_role_name = Deployer\n\n"
                      "[sso-session s]\nsso_region = us-east-2\nsso_start_url = https://example.invalid/start\n"
                      % SSO_ACCOUNT)
        name = hashlib.sha1(b"s").hexdigest() + ".json"
        self.aws_file(os.path.join("sso", "cache", name), json.dumps(document))
        return self.env(AWS_PROFILE="sso")

    def test_sso_get_role_credentials(self):
        env = self.sso_profile({"accessToken": "sso-token-redirect", "expiresAt": iso8601(time.time() + 3600)})
        self.fake.sso_tokens = ["sso-token-redirect"]
        self.fake.script("sso", "GetRoleCredentials", [self.redirect(303)])
        self.assert_refused(self.get(env=env), 303)

    def test_sso_oidc_refresh(self):
        self.secrets.extend(["refresh-redirect", "client-secret-redirect"])
        env = self.sso_profile({"accessToken": "sso-token-redirect", "expiresAt": "2020-01-01T00:00:00Z",
                                "refreshToken": "refresh-redirect", "clientId": "client-redirect",
                                "clientSecret": "client-secret-redirect"})
        self.fake.script("oidc", "CreateToken", [self.redirect(308)])
        self.assert_refused(self.get(env=env), 308)
        self.assertEqual(self.fake.count("sso"), 0)

    def test_container_endpoint(self):
        self.fake.container_token = "Bearer container-secret"
        env = self.env(AWS_CONTAINER_CREDENTIALS_FULL_URI=self.fake.container_url,
                       AWS_CONTAINER_AUTHORIZATION_TOKEN="Bearer container-secret")
        self.fake.script("container", "container", [self.redirect()] * 3)
        self.assert_refused(self.get(env=env))
        self.assertEqual(self.fake.count("container"), 1, "a redirect is not retried")

    def test_imds_token_and_credentials(self):
        env = self.env(AWS_EC2_METADATA_DISABLED=None)
        for action in ("imds-token", "imds-role", "imds-creds"):
            with self.subTest(action=action):
                self.new_home()
                self.fake.clear()
                self.fake.script("imds", action, [self.redirect()])
                self.assert_refused(self.get(env=dict(env, HOME=self.home)))
                self.assertEqual(self.fake.count("ecr"), 0)


class RawServer(object):
    """A loopback server that answers each connection with serve(conn) after reading the
    request head; events records what happened ("hung up" when the client went away)."""

    def __init__(self, serve):
        self.serve = serve
        self.events = []
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(8)
        self.sock.settimeout(0.02)  # accept() wakes up to see close()
        self.url = "http://127.0.0.1:%d" % self.sock.getsockname()[1]
        self.done = threading.Event()
        self.thread = threading.Thread(target=self.run)
        self.thread.daemon = True
        self.thread.start()

    def run(self):
        while not self.done.is_set():
            try:
                conn, _ = self.sock.accept()
            except socket.timeout:
                continue
            except OSError:
                return
            with conn:
                conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                received = b""
                while b"\r\n\r\n" not in received:
                    data = conn.recv(65536)
                    if not data:
                        break
                    received += data
                try:
                    self.serve(conn)
                except (BrokenPipeError, ConnectionResetError):
                    self.events.append("hung up")

    def close(self):
        self.done.set()
        self.sock.close()
        self.thread.join(5)


def ecr_answer(password="raw-password-0001"):
    token = base64.b64encode(("AWS:" + password).encode("ascii")).decode("ascii")
    return json.dumps({"authorizationData": [{"authorizationToken": token, "expiresAt": time.time() + 43200,
                                              "proxyEndpoint": "https://" + REGISTRY}]}).encode("ascii")


class RawAnswerTest(unittest.TestCase):
    """Bodies as real servers and proxies send them, and endpoints that never finish."""

    def setUp(self):
        self.home = tempfile.mkdtemp(prefix="ecr-login-test-")
        self.addCleanup(shutil.rmtree, self.home, True)

    def get(self, serve, **extra):
        server = RawServer(serve)
        self.addCleanup(server.close)
        settings = dict(AWS_ACCESS_KEY_ID=KEY, AWS_SECRET_ACCESS_KEY=SECRET, AWS_ECR_DISABLE_CACHE="1",
                        AWS_MAX_ATTEMPTS="1")
        settings.update(extra)
        self.server = server
        return run_main(["get"], clean_env(self.home, server.url, **settings), REGISTRY)

    def assert_password(self, result, password="raw-password-0001"):
        code, out, err = result
        self.assertEqual((code, err), (0, ""), out)
        self.assertEqual(json.loads(out)["Secret"], password)

    def test_chunked_body(self):
        body = ecr_answer()
        chunks = b"".join(b"%x;ext=1\r\n%s\r\n" % (len(piece), piece) for piece in (body[:7], body[7:]))

        def serve(conn):
            conn.sendall(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n" + chunks + b"0\r\nX-T: 1\r\n\r\n")

        self.assert_password(self.get(serve))

    def test_body_that_ends_with_the_connection(self):
        def serve(conn):
            conn.sendall(b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.0 200 OK\r\nContent-Type: x\r\n\r\n" + ecr_answer())

        self.assert_password(self.get(serve))

    def test_a_body_cut_short_is_an_error(self):
        def serve(conn):
            conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 5000\r\n\r\n" + ecr_answer())

        code, out, err = self.get(serve)
        self.assertEqual((code, out), (1, NOT_FOUND))
        self.assertIn("closed mid-answer", err)

    def trickle(self, head):
        def serve(conn):
            conn.sendall(head)
            for _ in range(200):  # 20 s of one byte every 0.1 s, unless the client hangs up
                time.sleep(0.1)
                conn.sendall(b" ")
            self.server.events.append("finished")
        return serve

    def assert_given_up(self, result):
        code, out, err = result
        self.assertEqual((code, out), (1, NOT_FOUND))
        self.assertIn("timed out after 0.5s", err)
        self.assertIn("failed after 1 attempt", err)
        deadline = time.time() + 10
        while not self.server.events and time.time() < deadline:
            time.sleep(0.05)
        self.assertEqual(self.server.events, ["hung up"])

    def test_a_trickled_body_ends_at_the_total_timeout(self):
        head = b"HTTP/1.1 200 OK\r\nContent-Length: 100000\r\n\r\n"
        self.assert_given_up(self.get(self.trickle(head), AWS_ECR_HTTP_TIMEOUT="10", AWS_ECR_TOTAL_TIMEOUT="0.5"))

    def test_a_trickled_head_ends_at_the_http_timeout(self):
        self.assert_given_up(self.get(self.trickle(b"HTTP/1.1 200 OK\r\n"), AWS_ECR_HTTP_TIMEOUT="0.5",
                                      AWS_ECR_TOTAL_TIMEOUT="10"))


class ContainerAddressTest(ChainTestCase):
    """Plain http to the container endpoint only to loopback written as botocore reads it:
    strict IP literals (Python's ipaddress is the oracle), never names the resolver guesses."""

    CANDIDATES = ("127.0.0.1", "127.1.2.3", "127.255.255.255", "127.0.0.08", "127.0.0.010", "0127.0.0.1", "127.1",
                  "127.0.1", "127.0.0.1.", ".127.0.0.1", "127.0.0.256", "127.0.0.-1", "127.0.0.+1", "127.0.0. 1",
                  "127.0.0.1x", "128.0.0.1", "::1", "0:0:0:0:0:0:0:1", "0::1", "::0001", "0000::1", "::01:1",
                  "::00001", ":::1", "::1::", "1::1", "::ffff:1", "::", "0:0:0:0:0:0:0:0:1", "127.0.0.٣")

    def test_loopback_literals_match_ipaddress(self):
        for text in self.CANDIDATES:
            with self.subTest(host=text):
                try:
                    expected = ipaddress.ip_address(text).is_loopback
                except ValueError:
                    expected = False
                if sys.version_info < (3, 9, 5) and text.count(".") == 3 and ".0" in text:
                    continue  # older ipaddress accepted leading zeros (CVE-2021-29921)
                self.assertEqual(ecr_login.is_loopback_address(text), expected)

    def test_loose_addresses_are_refused_before_any_connection(self):
        for host in ("127.0.0.08", "127.1", "0127.0.0.1", "2130706433"):
            with self.subTest(host=host):
                env = self.env(AWS_CONTAINER_CREDENTIALS_FULL_URI="http://%s:%d/creds" % (host, self.fake.port))
                self.assert_not_found(self.get(env=env), "Unsupported host")
        self.assertEqual(self.fake.requests, [])

    def test_the_parsed_address_is_used(self):
        env = self.env(AWS_CONTAINER_CREDENTIALS_FULL_URI="http://127.0.0.1:%d%s" % (
            self.fake.port, self.fake.container_path))
        self.assert_ok(self.get(env=env))
        self.assertEqual(self.fake.count("container"), 1)


class ErrorCodeTest(ChainTestCase):
    """The AWS error code reaches the user in whatever form the answer carries it."""

    def setUp(self):
        ChainTestCase.setUp(self)
        self.add_keys(KEY, SECRET)

    def get_with(self, reply):
        self.fake.script("ecr", "GetAuthorizationToken", [reply])
        return self.get(env=self.env(AWS_ACCESS_KEY_ID=KEY, AWS_SECRET_ACCESS_KEY=SECRET, AWS_MAX_ATTEMPTS="1"))

    def test_xml_error_body(self):
        reply = sts_error("AccessDeniedException", "User is not authorized to call ecr", 403)
        self.assert_not_found(self.get_with(reply), "ECR answered AccessDeniedException: User is not authorized")

    def test_unnamespaced_xml_error_body(self):
        reply = Reply(status=400, body="<Response><Errors><Error><Code>InvalidParameterValue</Code><Message>bad"
                                       "</Message></Error></Errors></Response>")
        self.assert_not_found(self.get_with(reply), "ECR answered InvalidParameterValue: bad")

    def test_error_type_header_with_a_text_body(self):
        reply = Reply(status=403, body="Forbidden", headers={"x-amzn-ErrorType": "UnrecognizedClientException:http://"
                                                                                 "internal.amazon.com/coral/"})
        self.assert_not_found(self.get_with(reply), "ECR answered UnrecognizedClientException")

    def test_only_a_status(self):
        self.assert_not_found(self.get_with(Reply(status=403, body="<html>nope</html>")), "ECR answered HTTP 403")

    def test_sts_json_error(self):
        self.aws_file("credentials", "[base]\naws_access_key_id = %s\naws_secret_access_key = %s\n" % (KEY, SECRET))
        self.aws_file("config", "[profile dev]\nrole_arn = %s\nsource_profile = base\n" % ROLE_A)
        self.fake.script("sts", "AssumeRole", [Reply(status=403, body={"__type": "ExpiredTokenException",
                                                                        "message": "token expired"})])
        self.assert_not_found(self.get(env=self.env(AWS_PROFILE="dev")), "STS answered ExpiredTokenException: token expired")


# Runs inside a mount namespace whose /etc/ssl/certs is a test copy: one in-process get per
# case (argv[1]: {case: env}), printing {case: [exit code, stderr]}.
STORE_CHILD = """
import io, json, sys
sys.path.insert(0, sys.argv[2])
import ecr_login
results = {}
for case, env in json.loads(sys.argv[1]).items():
    out, err = io.BytesIO(), io.BytesIO()
    code = ecr_login.main(["docker-credential-ecr-login", "get"], env, stdin=io.BytesIO(sys.argv[3].encode()),
                          stdout=out, stderr=err)
    results[case] = [code, err.getvalue().decode("utf-8", "replace")]
print(json.dumps(results))
"""
SYSTEM_STORE = "/etc/ssl/certs"


# Runs one get in a fresh interpreter and prints its exit code and the modules it imported.
IMPORTS_CHILD = """
import io, sys
sys.path.insert(0, sys.argv[1])
before = set(sys.modules)
import ecr_login
code = ecr_login.main(["docker-credential-ecr-login", "get"], stdin=io.BytesIO(sys.argv[2].encode()),
                      stdout=io.BytesIO(), stderr=io.BytesIO())
sys.stdout.write("%d %s" % (code, " ".join(sorted(set(sys.modules) - before))))
"""
# What a get must never import: each costs milliseconds on every docker pull.
HEAVY_MODULES = ("urllib", "http", "email", "json", "hashlib", "hmac", "re", "xml", "datetime", "random", "base64",
                 "calendar", "tempfile", "shutil", "encodings.idna", "subprocess", "logging", "typing")


class ImportDietTest(ChainTestCase):
    """A cold get imports only socket (and ssl for https) beyond the warm path; a warm get
    not even those."""

    def imported(self, env):
        proc = subprocess.Popen([sys.executable, "-I", "-S", "-c", IMPORTS_CHILD, ROOT, REGISTRY], env=env,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        out, err = proc.communicate(timeout=60)
        code, _, modules = out.decode("ascii").partition(" ")
        self.assertEqual(code, "0", err)
        return set(modules.split())

    def assert_lean(self, modules, also_forbidden=(), allowed=()):
        heavy = sorted(name for name in set(modules) - set(allowed)
                       if name in HEAVY_MODULES + also_forbidden or name.split(".")[0] in HEAVY_MODULES)
        self.assertEqual(heavy, [])

    def test_cold_static_get_over_http(self):
        self.add_keys(KEY, SECRET)
        modules = self.imported(self.env(AWS_ACCESS_KEY_ID=KEY, AWS_SECRET_ACCESS_KEY=SECRET))
        self.assertIn("socket", modules)
        self.assert_lean(modules, ("ssl",))  # plain http needs no TLS
        self.assertEqual(self.fake.count("ecr"), 1)
        self.assert_lean(self.imported(self.env(AWS_ACCESS_KEY_ID=KEY, AWS_SECRET_ACCESS_KEY=SECRET)),
                         ("socket", "ssl"))  # warm: the token is cached now
        self.assertEqual(self.fake.count("ecr"), 1)

    def test_cold_assume_role_get(self):
        self.add_keys(KEY, SECRET)
        self.aws_file("credentials", "[base]\naws_access_key_id = %s\naws_secret_access_key = %s\n" % (KEY, SECRET))
        self.aws_file("config", "[profile dev]\nrole_arn = %s\nsource_profile = base\n" % ROLE_A)
        self.assert_lean(self.imported(self.env(AWS_PROFILE="dev")), ("ssl",))
        self.assertEqual((self.fake.count("sts"), self.fake.count("ecr")), (1, 1))

    def test_cold_get_over_tls(self):
        directory = tempfile.mkdtemp(prefix="ecr-login-pki-")
        self.addCleanup(shutil.rmtree, directory, True)
        pki = PKI(directory)
        fake = FakeAWS(tls_context=server_ssl_context(*pki.leaves["good"]))
        self.addCleanup(fake.close)
        fake.add_credentials(KEY, SECRET)
        modules = self.imported(clean_env(self.home, fake, AWS_ACCESS_KEY_ID=KEY, AWS_SECRET_ACCESS_KEY=SECRET,
                                          AWS_CA_BUNDLE=pki.root))
        self.assertIn("ssl", modules)
        ssl_itself = subprocess.check_output([sys.executable, "-I", "-S", "-c", "import sys; before = set(sys.modules); "
                                              "import ssl; print(' '.join(set(sys.modules) - before))"])
        allowed = ssl_itself.decode("ascii").split()  # base64 and re on some versions
        if sys.version_info < (3, 7):
            allowed.append("encodings.idna")  # 3.6's ssl checks the host name as text, encoded with IDNA
        self.assert_lean(modules, allowed=allowed)
        self.assertEqual(fake.count("ecr"), 1)


class XMLFieldsTest(unittest.TestCase):
    """The hand-written reader of AWS XML answers agrees with xml.etree on their shapes."""

    BODIES = (
        b'<AssumeRoleResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><AssumeRoleResult><Credentials>'
        b'<AccessKeyId>ASIA1</AccessKeyId><SecretAccessKey>s/+=&amp;&#x41;&#66;</SecretAccessKey><SessionToken>'
        b'\n  t&lt;k&gt;&quot;&apos;\n</SessionToken><Expiration>2030-01-01T00:00:00Z</Expiration></Credentials>'
        b'</AssumeRoleResult></AssumeRoleResponse>',
        b'<?xml version="1.0" encoding="UTF-8"?>\n<ErrorResponse><Error><Type>Sender</Type><Code attr="x">Throttling'
        b'</Code><Message>Rate exceeded</Message></Error><!-- a comment --><RequestId>1</RequestId></ErrorResponse>',
        b'<s:Envelope xmlns:s="urn:x"><s:Body><s:Code>Prefixed</s:Code><Message>caf\xc3\xa9</Message></s:Body>'
        b'</s:Envelope>',
        b'<Response><Errors><Error><Code>First</Code></Error><Error><Code>Second</Code></Error></Errors></Response>',
    )
    NAMES = ("AccessKeyId", "SecretAccessKey", "SessionToken", "Expiration", "Code", "Message", "RequestId")

    def test_same_text_as_elementtree(self):
        from xml.etree import ElementTree

        for body in self.BODIES:
            with self.subTest(body=body[:40]):
                expected = {}
                for element in ElementTree.fromstring(body).iter():
                    local = element.tag.rsplit("}", 1)[-1]
                    if local in self.NAMES and local not in expected:
                        expected[local] = (element.text or "").strip()
                self.assertEqual(ecr_login.xml_fields(body, self.NAMES), expected)

    def test_not_xml(self):
        for body in (b"", b"Forbidden", b'{"__type": "X"}', b"\xff\xfe<a>", b"<unclosed"):
            self.assertIsNone(ecr_login.xml_fields(body, self.NAMES), body)


class SystemStoreTest(unittest.TestCase):
    """The system store read lazily from its hashed directory, and in full when that fails:
    the same certificates are trusted and refused either way. /etc/ssl/certs is replaced by a
    test copy in a private mount namespace (root only; CI runs as root)."""

    @classmethod
    def setUpClass(cls):
        if os.name != "posix" or os.geteuid() != 0 or not shutil.which("unshare") \
                or not os.path.isdir(SYSTEM_STORE):
            if os.environ.get("CI") == "true":
                raise AssertionError("CI must run the system-store test: it needs root, unshare and " + SYSTEM_STORE)
            raise unittest.SkipTest("needs root, unshare and %s for a private mount namespace" % SYSTEM_STORE)
        cls.directory = tempfile.mkdtemp(prefix="ecr-login-pki-")
        try:
            cls.pki = PKI(cls.directory)
        except BaseException:
            shutil.rmtree(cls.directory, True)
            raise

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.directory, True)

    def setUp(self):
        self.home = tempfile.mkdtemp(prefix="ecr-login-test-")
        self.addCleanup(shutil.rmtree, self.home, True)
        self.fakes = {}
        for case, (chain, key) in self.pki.leaves.items():
            fake = FakeAWS(tls_context=server_ssl_context(chain, key))
            fake.add_credentials(KEY, SECRET)
            self.addCleanup(fake.close)
            self.fakes[case] = fake

    def run_with_store(self, store, **extra):
        cases = dict((case, clean_env(self.home, fake, AWS_ACCESS_KEY_ID=KEY, AWS_SECRET_ACCESS_KEY=SECRET,
                                      AWS_ECR_DISABLE_CACHE="1", AWS_MAX_ATTEMPTS="1", **extra))
                     for case, fake in self.fakes.items())
        script = 'mount --bind "$1" %s && shift && exec "$@"' % SYSTEM_STORE
        proc = subprocess.Popen(["unshare", "-m", "sh", "-c", script, "sh", store, sys.executable, "-c", STORE_CHILD,
                                 json.dumps(cases), ROOT, REGISTRY], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        out, err = proc.communicate(timeout=60)
        self.assertEqual(proc.returncode, 0, err.decode("utf-8", "replace"))
        return json.loads(out.decode("utf-8"))

    def check(self, results):
        self.assertEqual(results["good"], [0, ""])
        for case in ("wrong name", "expired", "self-signed", "other root"):
            with self.subTest(case=case):
                code, err = results[case]
                self.assertEqual(code, 1, err)
                self.assertRegex(err, "(?i)certificate|hostname", err)
                self.assertEqual(self.fakes[case].count("ecr"), 0, "a request got through an untrusted connection")
        self.assertEqual(self.fakes["good"].count("ecr"), 1)

    def test_lazy_hashed_directory(self):
        # The full store lacks the root: only the hashed lookup can trust the good server.
        pki = self.pki
        self.check(self.run_with_store(pki.store_directory("lazy", [pki.root, pki.decoy_root], [pki.decoy_root])))

    def test_full_store_when_the_hashed_directory_lacks_the_root(self):
        pki = self.pki
        self.check(self.run_with_store(pki.store_directory("full", [pki.decoy_root], [pki.root, pki.decoy_root])))

    def test_ssl_cert_file_still_adds_to_the_store(self):
        # As before: OpenSSL reads SSL_CERT_FILE from the process environment (so it is set for
        # the child too) and trusts its CAs besides the default directory's.
        pki = self.pki
        store = pki.store_directory("cert-file", [pki.decoy_root], [pki.decoy_root])
        os.environ["SSL_CERT_FILE"] = pki.root
        self.addCleanup(os.environ.pop, "SSL_CERT_FILE")
        self.check(self.run_with_store(store, SSL_CERT_FILE=pki.root))


if __name__ == "__main__":
    unittest.main()
