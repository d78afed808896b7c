"""The features beyond the docker protocol, end to end as the installed program: the kubelet
credential provider, get-login-password, configure, a profile per registry (by the helper's
name or its own config.json), doctor, MFA prompts on the terminal, and log control.

Most runs call main() in this process with argv[0] the path of a copy of the built zipapp,
under the name that decides its role (tests/test_zipapp.py covers the archive itself), and an
environment built from scratch (helpers.clean_env: PATH kept, no AWS_* inherited, IMDS off,
short timeouts, every endpoint at the loopback fake) with its own HOME. What only a process
shows runs as a child in a new session: a pty as its controlling terminal (MFA, prompting
credential_process), no terminal at all, its network connections, concurrent configures.
"""

import hashlib
import json
import os
import re
import select
import shutil
import stat
import subprocess
import sys
import tempfile
import time
import unittest

from tests.fakeaws import json_error
from tests.helpers import (
    mode_of, CHILD_PYTHON, NOT_FOUND, PROGRAM, HelperCase, Result, child_argv, clean_env, log_path, python_command, read_text,
    require_a_second_user, run_main, write_file, zipapp_path)

USAGE = "Usage: docker-credential-ecr-login <store|get|erase|list|version>\n"
RUN_TIMEOUT = 15.0

ACCOUNT = "123456789012"
REGION = "us-west-2"
HOST = "%s.dkr.ecr.%s.amazonaws.com" % (ACCOUNT, REGION)
OTHER_ACCOUNT = "210987654321"
OTHER_HOST = "%s.dkr.ecr.%s.amazonaws.com" % (OTHER_ACCOUNT, REGION)
THIRD_ACCOUNT = "333344445555"

# Static keys the tests configure; the fake learns them (add_credentials) so that the SigV4
# verifier can check every signature made with them.
ENV_KEYS = ("AKIAFEATENV000001234", "envSecretKey0000000000000000000000000000")
DEFAULT_KEYS = ("AKIAFEATDEFAULT05555", "defaultSecretKey00000000000000000000000")
PROD_KEYS = ("AKIAFEATPROD00005678", "prodSecretKey000000000000000000000000000")
DEV_KEYS = ("AKIAFEATDEV000009876", "devSecretKey0000000000000000000000000000")
DEV_SESSION_TOKEN = "devSessionToken000000000000000000000000000000000000"
BASE_KEYS = ("AKIAFEATBASE00004321", "baseSecretKey000000000000000000000000000")

KUBELET_V1 = "credentialprovider.kubelet.k8s.io/v1"
KUBELET_V1BETA1 = "credentialprovider.kubelet.k8s.io/v1beta1"
KUBELET_PROGRAM = "ecr-credential-provider"
ROLE_ANNOTATION = "eks.amazonaws.com/ecr-role-arn"

MFA_SERIAL = "arn:aws:iam::%s:mfa/alice" % ACCOUNT
MFA_PROMPT = "Enter MFA code for %s: " % MFA_SERIAL

# Makes the pty slave (fd argv[1]) the controlling terminal of this new session, then runs the
# helper. Done in a child interpreter rather than a preexec_fn, which is unsafe next to the
# fake's threads.
CTTY_WRAPPER = """\
import fcntl, os, sys, termios
fd = int(sys.argv[1])
fcntl.ioctl(fd, termios.TIOCSCTTY, 0)
os.close(fd)
os.execv(sys.executable, [sys.executable, "-S"] + sys.argv[2:])
"""

# Put in a directory on PYTHONPATH: records every socket connect the helper attempts (one
# line each in $ECR_TEST_CONNECT_LOG) and refuses all but loopback ones at once.
CONNECT_RECORDER = """\
import os, socket
_log = os.environ.get("ECR_TEST_CONNECT_LOG")
_connect, _connect_ex = socket.socket.connect, socket.socket.connect_ex

def _record(address):
    with open(_log, "a") as handle:
        handle.write("%r\\n" % (address,))
    host = address[0] if isinstance(address, tuple) else str(address)
    if host not in ("127.0.0.1", "::1", "localhost"):
        raise OSError(101, "network blocked by the test")

def connect(self, address):
    _record(address)
    return _connect(self, address)

def connect_ex(self, address):
    _record(address)
    return _connect_ex(self, address)

if _log:
    socket.socket.connect, socket.socket.connect_ex = connect, connect_ex
"""

GO_DURATION = re.compile(r"^(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?$")


def go_duration_seconds(text):
    """Seconds in a Go duration string of whole seconds such as 6h0m0s, 29m59s or 0s."""
    match = GO_DURATION.match(text or "")
    if not text or not match:
        raise AssertionError("%r is not a Go duration of whole seconds" % (text,))
    hours, minutes, seconds = (int(part or 0) for part in match.groups())
    return hours * 3600 + minutes * 60 + seconds


def read_bytes(path):
    with open(path, "rb") as handle:
        return handle.read()


def file_state(path):
    """What must not change when a file is left untouched: bytes, mtime, inode, mode."""
    info = os.stat(path)
    return read_bytes(path), info.st_mtime_ns, info.st_ino, stat.S_IMODE(info.st_mode)


class FeatureCase(HelperCase):
    """The harness with the built zipapp installed under the names that change what it does
    (copied once per class), static keys the fake knows, and children run as that program."""

    @classmethod
    def setUpClass(cls):
        cls.dist = tempfile.mkdtemp(prefix="ecr-login-features-")
        cls.app = os.path.join(cls.dist, PROGRAM)
        cls.kubelet_app = os.path.join(cls.dist, KUBELET_PROGRAM)
        cls.prod_app = os.path.join(cls.dist, PROGRAM + "-prod")
        for path in (cls.app, cls.kubelet_app, cls.prod_app):
            shutil.copy2(zipapp_path(), path)

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.dist, True)

    def setUp(self):
        super().setUp()
        for keys in (ENV_KEYS, DEFAULT_KEYS, PROD_KEYS, BASE_KEYS):
            self.add_keys(*keys)
        self.add_keys(DEV_KEYS[0], DEV_KEYS[1], DEV_SESSION_TOKEN)

    # ---- environment and files

    def env_with_keys(self, **extra):
        return self.env(AWS_ACCESS_KEY_ID=ENV_KEYS[0], AWS_SECRET_ACCESS_KEY=ENV_KEYS[1], **extra)

    def write_aws_files(self, credentials="", config=""):
        if credentials:
            write_file(self.home_path(".aws", "credentials"), credentials)
        if config:
            write_file(self.home_path(".aws", "config"), config)

    def write_profiles(self):
        self.write_aws_files(credentials=(
            "[default]\naws_access_key_id = %s\naws_secret_access_key = %s\n"
            "[prod]\naws_access_key_id = %s\naws_secret_access_key = %s\n" % (DEFAULT_KEYS + PROD_KEYS)))

    def write_helper_config(self, registries, path=None):
        path = path or self.home_path(".ecr", "config.json")
        write_file(path, json.dumps({"registries": registries}))
        return path

    def forget_tokens(self):
        """Remove the token cache, so the next get fetches a token again."""
        path = self.home_path(".ecr", "cache.json")
        if os.path.exists(path):
            os.unlink(path)

    def log_path(self):
        return log_path(self.env())

    # ---- running the helper

    def run_app(self, args, env, stdin=b"", program=None):
        """main() in this process as the installed zipapp (or a renamed copy) would run: its
        path is argv[0], which decides the helper's role."""
        return self.run_main(args, env, stdin, program=program or self.app)

    def get_app(self, server_url=HOST, env=None, program=None, **extra):
        """get in this process, server_url and a newline on stdin as a shell pipes it."""
        return self.run_app(["get"], self.env(**extra) if env is None else env, server_url + "\n", program)

    def get_child(self, server_url=HOST, env=None, program=None, **extra):
        """get in a child process, for what only a process shows: its connections, or having
        no controlling terminal (this process may have one)."""
        return HelperCase.get_child(self, server_url, env, program or self.app, **extra)

    def get_on_terminal(self, server_url, env, answer=b"123456\n", timeout=10.0, prompt=MFA_PROMPT):
        """Run get with a pty as the controlling terminal and the server URL on a stdin pipe;
        type answer once the prompt (by default the MFA one) shows. Returns (Result, what the terminal showed)."""
        if not hasattr(os, "openpty") or sys.platform == "win32":
            self.skipTest("needs a POSIX pseudo-terminal")
        master, slave = os.openpty()
        self.addCleanup(os.close, master)
        # The slave stays open here too: while no process holds it, reads of the master fail
        # (EIO on Linux), as between the wrapper closing it and the helper opening /dev/tty.
        self.addCleanup(os.close, slave)
        stdin_read, stdin_write = os.pipe()
        try:
            os.write(stdin_write, (server_url + "\n").encode("utf-8"))
            os.close(stdin_write)
            started = time.monotonic()
            proc = subprocess.Popen(
                CHILD_PYTHON + ["-c", CTTY_WRAPPER, str(slave), self.app, "get"], stdin=stdin_read,
                stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, cwd=self.home,
                start_new_session=True, pass_fds=(slave,))
        finally:
            os.close(stdin_read)
        deadline = started + timeout
        shown = b""
        try:
            while prompt.encode() not in shown and time.monotonic() < deadline and proc.poll() is None:
                shown += self.read_terminal(master, min(deadline, time.monotonic() + 0.05))
            if prompt.encode() in shown:
                os.write(master, answer)
            out, err = proc.communicate(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.communicate()
            raise AssertionError("get on a terminal did not finish; the terminal showed %r" % shown)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
        while True:
            chunk = self.read_terminal(master, time.monotonic() + 0.05)
            if not chunk:
                break
            shown += chunk
        result = Result(proc.returncode, out.decode("utf-8", "replace"), err.decode("utf-8", "replace"))
        return result, shown.decode("utf-8", "replace")

    @staticmethod
    def read_terminal(master, deadline):
        """Some bytes from the pty master, or b"" at the deadline or when the slave is gone."""
        ready = select.select([master], [], [], max(0.0, deadline - time.monotonic()))[0]
        if not ready:
            return b""
        try:
            return os.read(master, 4096)
        except OSError:  # EIO: nobody holds the terminal open
            return b""

    # ---- checks

    def assert_no_traceback(self, result):
        self.assertNotIn("Traceback", result.err, result)
        self.assertNotIn("Traceback", result.out, result)

    def assert_failed(self, result, *reason_parts):
        """Outside the docker protocol: exit 1, nothing on stdout, the reason on stderr."""
        self.assertEqual((result.code, result.out), (1, ""), result)
        self.assertTrue(result.err.strip(), result)
        for part in reason_parts:
            self.assertIn(part, result.err)
        self.assert_no_traceback(result)

    def assert_no_secrets(self, text, *also):
        self.assertEqual(self.fake.secrets_in(text), [], text)
        for secret in also:
            self.assertNotIn(secret, text)

    def ecr_call(self):
        rec = self.fake.last("ecr", "GetAuthorizationToken")
        self.assertIsNotNone(rec, "no ECR GetAuthorizationToken call was made")
        return rec


# ============================================================================================
# 1. The kubelet image credential provider
# ============================================================================================


class KubeletProviderTest(FeatureCase):
    IMAGE = HOST + "/team/app:1.2"

    def request(self, api_version=KUBELET_V1, **fields):
        document = {"apiVersion": api_version, "kind": "CredentialProviderRequest", "image": self.IMAGE}
        document.update(fields)
        return json.dumps(document)

    def invocations(self):
        """The kubelet runs the provider as ecr-credential-provider; the verb works too."""
        return (("verb kubelet", self.app, ["kubelet"]), ("ecr-credential-provider", self.kubelet_app, []))

    def run_kubelet(self, how, request, env):
        program, args = dict((label, (path, args)) for label, path, args in self.invocations())[how]
        return self.run_app(args, env, request, program=program)

    # The fields of the kubelet's CredentialProviderResponse (kubernetes
    # staging/src/k8s.io/kubelet/pkg/apis/credentialprovider/v1/types.go); the kubelet decodes
    # strictly, so any other field makes it refuse the answer.
    RESPONSE_FIELDS = ["apiVersion", "auth", "cacheDuration", "cacheKeyType", "kind"]

    def assert_response(self, result, api_version, lifetime, cache_seconds=None):
        """The answer for a token of `lifetime` seconds, cached by the kubelet for half of it
        (or cache_seconds, when its credentials end sooner)."""
        self.assertEqual(result.code, 0, result)
        self.assert_no_traceback(result)
        response = json.loads(result.out)
        self.assertEqual(sorted(response), self.RESPONSE_FIELDS)
        self.assertEqual(response["apiVersion"], api_version)
        self.assertEqual(response["kind"], "CredentialProviderResponse")
        self.assertEqual(response["cacheKeyType"], "Registry")
        duration = go_duration_seconds(response["cacheDuration"])
        expected = lifetime / 2 if cache_seconds is None else cache_seconds
        self.assertTrue(expected - 30 <= duration <= expected, response["cacheDuration"])
        self.assertEqual(response["auth"], {HOST: {"username": "AWS", "password": self.ecr_passwords()[-1]}})
        return response

    # What the kubelet writes on stdin (Go's json.Marshal of CredentialProviderRequest).
    FIXTURES = {
        KUBELET_V1: '{"kind":"CredentialProviderRequest","apiVersion":"credentialprovider.kubelet.k8s.io/v1",'
                    '"image":"%s/team/app:1.2"}' % HOST,
        KUBELET_V1BETA1: '{\n  "kind": "CredentialProviderRequest",\n  "apiVersion": '
                         '"credentialprovider.kubelet.k8s.io/v1beta1",\n  "image": "%s/team/app@sha256:%s"\n}\n'
                         % (HOST, "0" * 64),
    }

    def test_v1_and_v1beta1_through_the_verb_and_the_provider_name(self):
        env = self.env_with_keys()
        for label, program, args in self.invocations():
            for api_version in (KUBELET_V1, KUBELET_V1BETA1):
                with self.subTest(label, api_version=api_version):
                    result = self.run_app(args, env, self.FIXTURES[api_version], program=program)
                    response = self.assert_response(result, api_version, 12 * 3600)
                    # Go's Duration.String(): "6h0m0s" or, a second later, "5h59m59s"
                    self.assertRegex(response["cacheDuration"], r"^(6h0m0s|5h59m[0-5]?[0-9]s)$")
        rec = self.ecr_call()
        self.assertEqual(rec.auth["access_key_id"], ENV_KEYS[0])
        self.assertEqual((rec.auth["region"], rec.json), (REGION, {"registryIds": [ACCOUNT]}))

    def test_cache_duration_is_half_the_remaining_token_life(self):
        self.fake.token_lifetime = 3600
        result = self.run_kubelet("ecr-credential-provider", self.request(), self.env_with_keys())
        response = self.assert_response(result, KUBELET_V1, 3600)
        self.assertRegex(response["cacheDuration"], r"^(30m0s|29m[0-5]?[0-9]s)$")

    def test_service_account_token_assumes_the_annotated_role_by_web_identity(self):
        role = "arn:aws:iam::%s:role/image-puller" % ACCOUNT
        sa_token = "eyJhbGciOiJSUzI1NiJ9.fake-service-account-token.c2lnbmF0dXJl"
        request = self.request(serviceAccountToken=sa_token, serviceAccountAnnotations={ROLE_ANNOTATION: role})
        env = self.env(AWS_ECR_LOG_LEVEL="debug")  # no static keys: the token must be enough
        for how in ("verb kubelet", "ecr-credential-provider"):
            with self.subTest(how):
                self.fake.clear()
                self.forget_tokens()
                result = self.run_kubelet(how, request, env)
                # The role session (the fake's 1 h) ends long before the 12 h token: the kubelet
                # may keep the answer until 5 min before it does, not for 6 h.
                self.assert_response(result, KUBELET_V1, 12 * 3600, cache_seconds=self.fake.sts_lifetime - 300)
                self.assertEqual(self.fake.count("sts", "AssumeRoleWithWebIdentity"), 1)
                sts = self.fake.last("sts", "AssumeRoleWithWebIdentity")
                self.assertFalse(sts.signed, "AssumeRoleWithWebIdentity must be unsigned")
                self.assertEqual(sts.form["RoleSessionName"], "ecr-credential-provider")
                self.assertEqual((sts.form["RoleArn"], sts.form["WebIdentityToken"]), (role, sa_token))
                rec = self.ecr_call()
                self.assertEqual(rec.auth["access_key_id"], self.fake.access_key_ids[-1])
                self.assertEqual(rec.headers["x-amz-security-token"],
                                 self.fake.credentials[self.fake.access_key_ids[-1]][1])
                self.assertNotIn(sa_token, result.err + self.log_text())
                self.assert_no_secrets(result.err + self.log_text())

    def test_a_host_that_is_not_ecr_falls_back_to_the_default_region_as_upstream_does(self):
        mirror = "registry.example.com"
        request = self.request(image=mirror + "/team/app:1.2")
        self.write_aws_files(config="[default]\nregion = ap-southeast-2\n")
        for how, extra, region in (("verb kubelet", {"AWS_REGION": "eu-west-1"}, "eu-west-1"),
                                   ("ecr-credential-provider", {"AWS_DEFAULT_REGION": "eu-north-1"}, "eu-north-1"),
                                   ("verb kubelet", {}, "ap-southeast-2")):
            with self.subTest(how, region=region):
                self.forget_tokens()
                result = self.run_kubelet(how, request, self.env_with_keys(**extra))
                self.assertEqual(result.code, 0, result)
                response = json.loads(result.out)
                self.assertEqual(response["auth"], {mirror: {"username": "AWS", "password": self.ecr_passwords()[-1]}})
                call = self.ecr_call()
                self.assertEqual((call.auth["region"], call.json), (region, {}),
                                 "the caller's registry in the default region, asked with no registry id")

    def test_the_helper_itself_answers_a_request_on_stdin_with_no_action(self):
        result = self.run_app([], self.env_with_keys(), self.FIXTURES[KUBELET_V1])
        self.assert_response(result, KUBELET_V1, 12 * 3600)
        for stdin in (b"", HOST.encode("ascii"), b'{"kind": "Pod"}'):
            with self.subTest(stdin=stdin):
                other = self.run_app([], self.env_with_keys(), stdin)
                self.assertEqual((other.code, other.out), (1, USAGE), other)

    def test_bad_requests_fail_with_a_reason_and_no_output(self):
        cases = [
            ("non-ECR image", self.request(image="docker.io/library/nginx:latest"), "docker.io"),
            ("wrong apiVersion", self.request("credentialprovider.kubelet.k8s.io/v2"), "v2"),
            ("wrong kind", json.dumps({"apiVersion": KUBELET_V1, "kind": "Pod", "image": self.IMAGE}), "kind"),
            ("empty image", self.request(image=""), "image"),
            ("malformed JSON", '{"apiVersion": "%s", "kind": ' % KUBELET_V1, "JSON"),
            ("not an object", json.dumps([self.IMAGE]), "object"),
            ("no input", "", "object"),
        ]
        env = self.env_with_keys()
        for index, (label, request, reason) in enumerate(cases):
            how = ("verb kubelet", "ecr-credential-provider")[index % 2]  # both ways, alternately
            with self.subTest(label, how=how):
                self.assert_failed(self.run_kubelet(how, request, env), reason)
        self.assertEqual(self.fake.count(), 0)


# ============================================================================================
# 2. get-login-password
# ============================================================================================


class GetLoginPasswordTest(FeatureCase):
    def test_prints_only_the_password_and_the_second_call_is_cached(self):
        env = self.env_with_keys()
        first = self.run_app(["get-login-password", HOST], env)
        self.assertEqual((first.code, first.err), (0, ""), first)
        self.assertEqual(first.out, self.ecr_passwords()[-1] + "\n")
        self.assertEqual(self.fake.count(), 1)
        second = self.run_app(["get-login-password", "https://" + HOST], env)
        self.assertEqual((second.code, second.out, second.err), (0, first.out, ""), second)
        self.assertEqual(self.fake.count(), 1, "the second call must be served from the token cache")

    def test_failure_gives_the_reason_on_stderr_and_nothing_on_stdout(self):
        self.fake.script("ecr", "GetAuthorizationToken", [json_error(
            "AccessDeniedException", "User is not authorized to perform: ecr:GetAuthorizationToken", 400)])
        result = self.run_app(["get-login-password", HOST], self.env_with_keys())
        self.assert_failed(result, "AccessDeniedException", "not authorized")
        self.assert_failed(self.run_app(["get-login-password", "docker.io"], self.env_with_keys()), "docker.io")
        self.assertEqual(self.fake.count(), 1)


    def test_the_aws_cli_form_asks_for_the_callers_own_registry_in_the_region(self):
        env = self.env_with_keys()
        first = self.run_app(["get-login-password", "--region", "eu-central-1"], env)
        self.assertEqual((first.code, first.err), (0, ""), first)
        self.assertEqual(first.out, self.ecr_passwords()[-1] + "\n")
        call = self.ecr_call()
        self.assertEqual(call.json, {}, "no registryIds: the token is for the caller's account, as in the AWS CLI")
        self.assertEqual((call.auth["region"], call.auth["access_key_id"]), ("eu-central-1", ENV_KEYS[0]))
        again = self.run_app(["get-login-password", "--region=eu-central-1"], env)
        self.assertEqual((again.code, again.out), (0, first.out), again)
        self.assertEqual(self.fake.count(), 1, "the second call must be served from the token cache")

    def test_profile_option_and_the_profiles_region(self):
        self.write_profiles()
        self.write_aws_files(config="[profile prod]\nregion = ap-south-1\n")
        result = self.run_app(["get-login-password", "--profile", "prod"], self.env_with_keys())
        self.assertEqual((result.code, result.err), (0, ""), result)
        call = self.ecr_call()
        self.assertEqual((call.auth["region"], call.auth["access_key_id"]), ("ap-south-1", PROD_KEYS[0]),
                         "--profile beats environment keys, as the AWS CLI's --profile does")
        self.assertEqual(call.json, {})

    def test_without_a_region_anywhere_it_says_so(self):
        result = self.run_app(["get-login-password"], self.env_with_keys())
        self.assert_failed(result, "specify a region")
        self.assertEqual(self.fake.count(), 0)
        self.assertEqual(self.run_app(["get-login-password", "--region"], self.env_with_keys()).code, 2)
        mismatch = self.run_app(["get-login-password", "--region", "eu-west-1", HOST], self.env_with_keys())
        self.assert_failed(mismatch, "eu-west-1", REGION)


# ============================================================================================
# 3. configure
# ============================================================================================


class ConfigureCase(FeatureCase):
    RICH_CONFIG = {
        "auths": {"https://index.docker.io/v1/": {"auth": "dXNlcjpwYXNzd29yZA=="}, "ghcr.io": {}},
        "credsStore": "desktop",
        "credHelpers": {"gcr.io": "gcloud", "999999999999.dkr.ecr.us-east-1.amazonaws.com": "desktop"},
        "experimental": "enabled",
        "proxies": {"default": {"httpsProxy": "http://proxy.example:3128"}},
        "HttpHeaders": {"User-Agent": "Docker-Client/24.0 (linux)"},
        "someFutureKey": [1, 2.5, None, True, {"nested": "\u00e9t\u00e9"}],
    }

    def config_path(self):
        return self.home_path(".docker", "config.json")

    def write_config(self, text, mode=0o600):
        return write_file(self.config_path(), text, mode)

    def read_config(self, path=None):
        return json.loads(read_text(path or self.config_path()))

    def configure_env(self, **extra):
        """env() with this zipapp (and its -prod copy) first on PATH, as installed."""
        extra.setdefault("PATH", self.dist + os.pathsep + os.environ.get("PATH", os.defpath))
        return self.env(**extra)

    def configure(self, *args, **extra):
        return self.run_app(["configure"] + list(args), self.configure_env(**extra))

    def assert_configured(self, result, *hosts):
        self.assertEqual((result.code, result.err), (0, ""), result)
        for host in hosts:
            self.assertIn("credHelpers[%s]" % host, result.out)


class ConfigureTest(ConfigureCase):
    def test_no_config_file_creates_a_private_one(self):
        result = self.configure(HOST)
        self.assert_configured(result, HOST)
        self.assertIn(self.config_path(), result.out)
        self.assertIn("(none) -> ecr-login", result.out)
        self.assertEqual(self.read_config(), {"credHelpers": {HOST: "ecr-login"}})
        self.assertEqual(mode_of(self.config_path()), 0o600)
        self.assertEqual(mode_of(os.path.dirname(self.config_path())), 0o700)
        self.assertEqual(self.fake.count(), 0, "configure needs no AWS call")

    def test_empty_object_gets_a_cred_helpers_entry(self):
        self.write_config("{}")
        self.assert_configured(self.configure("https://%s/v2/" % HOST, OTHER_HOST), HOST, OTHER_HOST)
        self.assertEqual(self.read_config(), {"credHelpers": {HOST: "ecr-login", OTHER_HOST: "ecr-login"}})

    def test_everything_else_in_the_config_is_kept(self):
        self.write_config(json.dumps(self.RICH_CONFIG, indent=4))
        result = self.configure(HOST)
        self.assert_configured(result, HOST)
        document = self.read_config()
        expected = json.loads(json.dumps(self.RICH_CONFIG))
        expected["credHelpers"][HOST] = "ecr-login"
        self.assertEqual(document, expected)
        with open(self.config_path()) as handle:
            order = list(json.load(handle, object_pairs_hook=lambda pairs: [k for k, _ in pairs]))
        self.assertEqual(order, list(self.RICH_CONFIG), "top-level key order is kept")
        self.assertEqual(mode_of(self.config_path()), 0o600)

    def test_a_second_run_changes_no_byte(self):
        self.write_config(json.dumps(self.RICH_CONFIG))
        self.assert_configured(self.configure(HOST, OTHER_HOST), HOST, OTHER_HOST)
        before = file_state(self.config_path())
        time.sleep(0.02)
        again = self.configure(HOST, "https://" + OTHER_HOST)
        self.assertEqual((again.code, again.err), (0, ""), again)
        self.assertIn("already configured", again.out)
        self.assertEqual(file_state(self.config_path()), before)

    def test_the_files_mode_is_kept(self):
        for mode in (0o640,):  # 0600 is kept too: see test_everything_else_in_the_config_is_kept
            with self.subTest(mode=oct(mode)):
                self.write_config('{"auths": {}}', mode)
                self.assert_configured(self.configure(HOST), HOST)
                self.assertEqual(mode_of(self.config_path()), mode)

    def test_invalid_json_is_refused_and_left_untouched(self):
        for text in ('{"credHelpers": {', '["not", "an", "object"]', '{"credHelpers": "ecr-login"}'):
            with self.subTest(text):
                self.write_config(text)
                before = file_state(self.config_path())
                result = self.configure(HOST)
                self.assert_failed(result, self.config_path())
                self.assertEqual(file_state(self.config_path()), before)

    def test_remove_takes_away_only_its_own_entries(self):
        self.write_config(json.dumps(self.RICH_CONFIG))
        self.assert_configured(self.configure(HOST), HOST)
        self.assert_configured(self.configure("--profile", "prod", OTHER_HOST), OTHER_HOST)
        foreign = "999999999999.dkr.ecr.us-east-1.amazonaws.com"
        result = self.configure("--remove", HOST, OTHER_HOST, foreign)
        self.assertEqual((result.code, result.err), (0, ""), result)
        self.assertIn("removed credHelpers[%s]" % HOST, result.out)
        self.assertIn("removed credHelpers[%s]" % OTHER_HOST, result.out)
        self.assertNotIn(foreign, result.out)
        self.assertEqual(self.read_config(), json.loads(json.dumps(self.RICH_CONFIG)))
        before = file_state(self.config_path())
        again = self.configure("--remove", HOST)
        self.assertEqual((again.code, again.err), (0, ""), again)
        self.assertIn("already without these entries", again.out)
        self.assertEqual(file_state(self.config_path()), before)

    def test_remove_of_the_last_entry_drops_cred_helpers(self):
        self.write_config('{"auths": {}}')
        self.assert_configured(self.configure(HOST), HOST)
        self.assert_configured(self.configure("--remove", HOST), HOST)
        self.assertEqual(self.read_config(), {"auths": {}})

    def test_a_symlinked_config_stays_a_symlink(self):
        target = write_file(self.home_path("dotfiles", "docker.json"), '{"credsStore": "pass"}', 0o600)
        os.makedirs(self.home_path(".docker"))
        os.symlink(target, self.config_path())
        self.assert_configured(self.configure(HOST), HOST)
        self.assertTrue(os.path.islink(self.config_path()))
        self.assertEqual(self.read_config(target), {"credsStore": "pass", "credHelpers": {HOST: "ecr-login"}})
        self.assertEqual(os.listdir(self.home_path("dotfiles")), ["docker.json"])
        self.assertEqual(sorted(os.listdir(self.home_path(".docker"))), ["config.json", "config.json.lock"])

    def test_docker_config_variable_is_honoured(self):
        directory = self.home_path("elsewhere", "docker")
        result = self.configure(HOST, DOCKER_CONFIG=directory)
        self.assert_configured(result, HOST)
        path = os.path.join(directory, "config.json")
        self.assertIn(path, result.out)
        self.assertEqual(self.read_config(path), {"credHelpers": {HOST: "ecr-login"}})
        self.assertEqual(mode_of(path), 0o600)
        self.assertFalse(os.path.exists(self.home_path(".docker")))

    def test_a_host_that_is_not_ecr_is_refused(self):
        self.write_config('{"auths": {}}')
        before = file_state(self.config_path())
        for host in ("registry.example.com",):
            with self.subTest(host):
                self.assert_failed(self.configure(HOST, host), host)
                self.assertEqual(file_state(self.config_path()), before)

    def test_profile_option_names_the_profile_helper(self):
        self.write_config(json.dumps({"credHelpers": {HOST: "ecr-login"}}))
        result = self.configure("--profile", "prod", HOST)
        self.assert_configured(result, HOST)
        self.assertIn("ecr-login -> ecr-login-prod", result.out)
        self.assertEqual(self.read_config(), {"credHelpers": {HOST: "ecr-login-prod"}})

    def test_usage_errors(self):
        for args in ([], ["--bogus", HOST], ["--remove"], ["--profile"], ["--fallback", "pass", "--remove"]):
            with self.subTest(args):
                code, out, err = run_main(["configure"] + args, self.env())  # in this process: usage only
                self.assertEqual((code, out), (2, ""), err)
                self.assertIn("usage", err)
                if "--bogus" in args:
                    self.assertIn("unknown option --bogus", err)
        self.assertFalse(os.path.exists(self.home_path(".docker")))

    def test_typos_in_a_registry_are_named(self):
        result = self.configure("%s.dkr.ecr.us-wset-2.amazonaws.com" % ACCOUNT)
        self.assertEqual(result.code, 0, "an unknown region is a hint, not a refusal: %r" % (result,))
        self.assertIn("is us-wset-2 a region? known: us-west-2", result.err)
        self.assertEqual(self.read_config(), {"credHelpers": {"%s.dkr.ecr.us-wset-2.amazonaws.com" % ACCOUNT: "ecr-login"}})
        refused = self.configure("12345678901.dkr.ecr.us-west-2.amazonaws.com")
        self.assert_failed(refused, "the account id '12345678901' is not 12 digits")

    def test_a_profile_helper_missing_from_path_gets_the_command_that_creates_it(self):
        bin_dir = self.home_path("bin")
        os.makedirs(bin_dir)
        shutil.copy2(self.app, os.path.join(bin_dir, PROGRAM))
        path = bin_dir + os.pathsep + os.environ.get("PATH", os.defpath)
        result = self.configure("--profile", "dev", HOST, PATH=path)
        self.assertEqual(result.code, 0, result)
        self.assertEqual(self.read_config(), {"credHelpers": {HOST: "ecr-login-dev"}})
        link = os.path.join(bin_dir, PROGRAM + "-dev")
        command = "ln -s %s %s" % (os.path.join(bin_dir, PROGRAM), link)
        self.assertIn(command, result.err)
        self.assertEqual(result.err.count("\n"), 1, result)
        subprocess.check_call(command.split())
        again = self.configure("--profile", "dev", HOST, PATH=path)
        self.assertEqual((again.code, again.err), (0, ""), again)
        self.assertIn("already configured", again.out)

    def test_a_directory_or_fifo_in_place_of_the_config_is_refused_in_one_line(self):
        os.makedirs(self.config_path())
        result = self.configure(HOST)
        self.assert_failed(result, self.config_path(), "not a regular file")
        self.assertEqual(result.err.count("\n"), 1, result)
        os.rmdir(self.config_path())
        os.mkfifo(self.config_path(), 0o600)
        result = self.run_child(["configure", HOST], self.configure_env(), program=self.app)  # a hang: its timeout
        self.assert_failed(result, self.config_path(), "not a regular file")
        self.assertTrue(stat.S_ISFIFO(os.lstat(self.config_path()).st_mode))
        listed = self.run_child(["list"], self.configure_env(), program=self.app)  # list reads it too
        self.assertEqual((listed[0], listed[1]), (0, "{}\n"), listed)

    def test_a_file_where_the_docker_directory_should_be_is_named(self):
        write_file(self.home_path(".docker"), "not a directory")
        result = self.configure(HOST)
        self.assert_failed(result, self.config_path(), "nothing was changed")
        self.assertEqual(result.err.count("\n"), 1, result)
        self.assertEqual(read_text(self.home_path(".docker")), "not a directory")

    def test_twenty_concurrent_runs_lose_no_entry(self):
        self.write_config(json.dumps(self.RICH_CONFIG))
        hosts = ["%012d.dkr.ecr.us-east-1.amazonaws.com" % (100000000000 + number) for number in range(20)]
        env = self.env()
        runs = [subprocess.Popen(child_argv(["configure", host], program=self.app), env=env, stdout=subprocess.PIPE,
                                 stderr=subprocess.PIPE) for host in hosts]
        results = [(run.wait(RUN_TIMEOUT), run.stdout.read(), run.stderr.read()) for run in runs]
        for run in runs:
            run.stdout.close()
            run.stderr.close()
        self.assertEqual([code for code, _, _ in results], [0] * 20, results)
        helpers = self.read_config()["credHelpers"]
        for host in hosts:
            self.assertEqual(helpers.get(host), "ecr-login", host)
        self.assertEqual(helpers["gcr.io"], "gcloud")
        self.assertEqual(len(helpers), 22)
        self.assertEqual(sorted(os.listdir(self.home_path(".docker"))), ["config.json", "config.json.lock"])


# A user whose HOME is writable by them and whose Docker config was left to root (sudo docker
# login). Runs as a real second uid; as root, the permission checks would not apply.
OTHER_UID = 65534
SYSTEM_PATH = "/usr/local/bin:/usr/bin:/bin"  # the test interpreter may live where uid 65534 cannot go


class ConfigureAsAnotherUserTest(ConfigureCase):
    def setUp(self):
        require_a_second_user()
        ConfigureCase.setUp(self)
        os.chmod(self.home, 0o755)
        self.user_home = os.path.join(self.home, "user")
        os.mkdir(self.user_home, 0o700)
        os.chown(self.user_home, OTHER_UID, OTHER_UID)
        self.user_app = os.path.join(self.home, PROGRAM)
        shutil.copy2(self.app, self.user_app)
        os.chmod(self.user_app, 0o755)
        if shutil.which("python3", path=SYSTEM_PATH) is None:
            self.fail("uid %d needs a python3 on %s" % (OTHER_UID, SYSTEM_PATH))

    def configure_as_user(self, *args):
        env = clean_env(self.user_home, self.fake, PATH=SYSTEM_PATH)
        command = ["setpriv", "--reuid=%d" % OTHER_UID, "--regid=%d" % OTHER_UID, "--clear-groups",
                   self.user_app, "configure"] + list(args)
        proc = subprocess.run(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=self.user_home,
                              timeout=RUN_TIMEOUT)
        return Result(proc.returncode, proc.stdout.decode("utf-8", "replace"), proc.stderr.decode("utf-8", "replace"))

    def docker_dir(self):
        return os.path.join(self.user_home, ".docker")

    def test_a_config_only_root_can_read_is_refused_and_kept(self):
        directory = self.docker_dir()
        os.mkdir(directory, 0o700)
        os.chown(directory, OTHER_UID, OTHER_UID)
        path = write_file(os.path.join(directory, "config.json"), json.dumps(self.RICH_CONFIG), 0o600)
        before = file_state(path)
        result = self.configure_as_user(HOST)
        self.assert_failed(result, path, "Permission denied", "nothing was changed",
                           "sudo chown -R %d:%d %s" % (OTHER_UID, OTHER_UID, directory))
        self.assertEqual(result.err.count("\n"), 1, result)
        self.assertEqual(file_state(path), before)
        self.assertEqual(self.read_config(path), self.RICH_CONFIG)

    def test_a_docker_directory_only_root_can_write_is_refused(self):
        os.mkdir(self.docker_dir(), 0o755)
        result = self.configure_as_user(HOST)
        self.assert_failed(result, os.path.join(self.docker_dir(), "config.json"), "Permission denied",
                           "sudo chown -R %d:%d %s" % (OTHER_UID, OTHER_UID, self.docker_dir()))
        self.assertEqual(result.err.count("\n"), 1, result)
        self.assertEqual(os.listdir(self.docker_dir()), [])

    def test_a_read_only_docker_directory_of_the_user_is_refused(self):
        os.mkdir(self.docker_dir(), 0o500)
        os.chown(self.docker_dir(), OTHER_UID, OTHER_UID)
        result = self.configure_as_user(HOST)
        self.assert_failed(result, "Permission denied", "chmod u+rwx %s" % self.docker_dir())
        self.assertEqual(os.listdir(self.docker_dir()), [])


# ============================================================================================
# 4. A profile per registry
# ============================================================================================


class ProfilePerRegistryTest(FeatureCase):
    def test_profile_suffixed_binary_uses_that_profile_over_environment_keys(self):
        self.write_profiles()
        env = self.env_with_keys()
        self.assert_token(self.get_app(env=env, program=self.prod_app))
        self.assertEqual(self.ecr_call().auth["access_key_id"], PROD_KEYS[0])
        self.assert_token(self.get_app(OTHER_HOST, env=env), OTHER_HOST)
        self.assertEqual(self.ecr_call().auth["access_key_id"], ENV_KEYS[0], "the plain name keeps the env keys")

    def test_profile_suffixed_binary_with_a_missing_profile_is_not_found(self):
        self.write_aws_files(credentials="[default]\naws_access_key_id = %s\naws_secret_access_key = %s\n"
                                         % DEFAULT_KEYS)
        self.assert_not_found(self.get_app(env=self.env_with_keys(), program=self.prod_app), "prod")
        self.assertEqual(self.fake.count(), 0)

    def test_helper_config_maps_a_host_to_a_profile(self):
        self.write_profiles()
        other_dir = self.home_path("cache-elsewhere")
        layouts = [
            ("~/.ecr/config.json", self.home_path(".ecr", "config.json"), {}),
            ("AWS_ECR_CACHE_DIR", os.path.join(other_dir, "config.json"), {"AWS_ECR_CACHE_DIR": other_dir}),
            ("AWS_ECR_CONFIG_FILE", self.home_path("ecr-helper.json"),
             {"AWS_ECR_CONFIG_FILE": self.home_path("ecr-helper.json")}),
        ]
        for label, path, extra in layouts:
            with self.subTest(label):
                self.write_helper_config({HOST: {"profile": "prod"}}, path)
                env = self.env_with_keys(**extra)
                self.assert_token(self.get_app(env=env))
                self.assertEqual(self.ecr_call().auth["access_key_id"], PROD_KEYS[0])
                if not extra:  # once is enough for the host the config does not name
                    self.assert_token(self.get_app(OTHER_HOST, env=env), OTHER_HOST)
                    self.assertEqual(self.ecr_call().auth["access_key_id"], ENV_KEYS[0], "an unmapped host")
                self.assertEqual(self.fake.count("ecr"), 1 if extra else 2)
                os.unlink(path)
                for directory in (self.home_path(".ecr"), other_dir):  # the next layout starts cold
                    if os.path.exists(os.path.join(directory, "cache.json")):
                        os.unlink(os.path.join(directory, "cache.json"))
                self.fake.clear()

    def test_custom_host_and_mirror_names_get_the_mapped_registrys_token(self):
        self.write_helper_config({
            "registry.example.com": {"registry": "222222222222.dkr.ecr.eu-west-1.amazonaws.com"},
            "docker-hub-mirror.corp.example": {"account": "333333333333", "region": "ap-southeast-2"},
        })
        env = self.env_with_keys()
        cases = [("https://registry.example.com", "222222222222", "eu-west-1"),
                 ("docker-hub-mirror.corp.example:443", "333333333333", "ap-southeast-2")]
        for server_url, account, region in cases:
            with self.subTest(server_url):
                self.assert_token(self.get_app(server_url, env=env), server_url)
                rec = self.ecr_call()
                self.assertEqual(rec.json, {"registryIds": [account]})
                self.assertEqual((rec.auth["region"], rec.auth["access_key_id"]), (region, ENV_KEYS[0]))
        self.assertEqual(self.fake.count(), 2)

    def test_role_arn_in_the_helper_config_is_assumed_with_the_profiles_keys(self):
        self.write_profiles()
        role = "arn:aws:iam::444444444444:role/puller"
        self.write_helper_config({"registry.example.com": {"profile": "prod", "role_arn": role, "registry": HOST}})
        result = self.get_app("registry.example.com", env=self.env_with_keys())
        self.assert_token(result, "registry.example.com")
        sts = self.fake.last("sts", "AssumeRole")
        self.assertIsNotNone(sts, "no STS AssumeRole call")
        self.assertEqual((sts.auth["access_key_id"], sts.form["RoleArn"]), (PROD_KEYS[0], role))
        self.assertEqual(sts.auth["region"], REGION)
        role_key = self.fake.access_key_ids[-1]
        self.assertEqual(self.ecr_call().auth["access_key_id"], role_key)

    def test_invalid_helper_config_is_not_found_with_a_reason_naming_the_file(self):
        path = write_file(self.home_path(".ecr", "config.json"), '{"registries": {')
        result = self.get_app(env=self.env_with_keys())
        self.assert_not_found(result, path)
        self.assertEqual(self.fake.count(), 0)


# ============================================================================================
# 4b. A fallback helper for the registries that are not ECR
# ============================================================================================

# docker-credential-fake: records each call (action, stdin) as a JSON line in $FAKE_HELPER_LOG
# and answers like a real store: a login it keeps, not-found for others, one noisy failure.
FAKE_HELPER = """\
#!%s
import json, os, sys
action, data = sys.argv[1], sys.stdin.buffer.read().decode("utf-8")
with open(os.environ["FAKE_HELPER_LOG"], "a") as log:
    log.write(json.dumps([action, data]) + "\\n")
if action == "list":
    print(json.dumps({"https://index.docker.io/v1/": "hubuser", "ghcr.io": "octocat"}))
elif action == "get" and data.strip() == "https://index.docker.io/v1/":
    print(json.dumps({"ServerURL": data.strip(), "Username": "hubuser", "Secret": "hub-password"}))
elif action == "get" and data.strip() == "noisy.example":
    sys.stderr.write("fake: the keychain is locked\\n")
    sys.exit(3)
elif action == "get":
    print("credentials not found in native keychain")
    sys.exit(1)
"""
HUB = "https://index.docker.io/v1/"


class FallbackHelperTest(FeatureCase):
    def setUp(self):
        FeatureCase.setUp(self)
        self.bin_dir = self.home_path("bin")
        os.makedirs(self.bin_dir)
        write_file(os.path.join(self.bin_dir, "docker-credential-fake"), FAKE_HELPER % python_command(), 0o755)
        self.calls_log = self.home_path("fake-helper.log")

    def env(self, **extra):
        extra.setdefault("PATH", os.pathsep.join((self.bin_dir, self.dist, os.environ.get("PATH", os.defpath))))
        return FeatureCase.env(self, FAKE_HELPER_LOG=self.calls_log, AWS_ACCESS_KEY_ID=ENV_KEYS[0],
                               AWS_SECRET_ACCESS_KEY=ENV_KEYS[1], **extra)

    def calls(self):
        if not os.path.exists(self.calls_log):
            return []
        with open(self.calls_log) as handle:
            return [json.loads(line) for line in handle]

    def docker_config(self):
        return json.loads(read_text(self.home_path(".docker", "config.json")))

    def test_configure_fallback_then_every_action_goes_where_it_belongs(self):
        result = self.run_app(["configure", "--fallback", "fake"], self.env())
        self.assertEqual((result.code, result.err), (0, ""), result)
        self.assertIn("credsStore: (none) -> ecr-login", result.out)
        self.assertEqual(self.docker_config(), {"credsStore": "ecr-login"})
        self.assertEqual(json.loads(read_text(self.home_path(".ecr", "config.json"))), {"fallback": "fake"})
        env = self.env()

        hub = self.get_app(HUB, env=env)
        self.assertEqual((hub.code, hub.err), (0, ""), hub)
        self.assertEqual(json.loads(hub.out), {"ServerURL": HUB, "Username": "hubuser", "Secret": "hub-password"})
        self.assertEqual(self.calls(), [["get", HUB + "\n"]], "the same stdin, byte for byte")

        self.assert_token(self.get_app(env=env))  # ECR: ours, never the fallback's
        self.assertEqual(len(self.calls()), 1)

        noisy = self.get_app("noisy.example", env=env)
        self.assertEqual((noisy.code, noisy.out, noisy.err), (3, "", "fake: the keychain is locked\n"))
        missing = self.get_app("quay.io", env=env)
        self.assert_not_ours(missing)

        login = '{"ServerURL":"quay.io","Username":"me","Secret":"quay-password"}'
        self.assertEqual(self.run_app(["store"], env, login).code, 0)
        self.assertEqual(self.calls()[-1], ["store", login])
        ecr_login_attempt = self.run_app(["store"], env, '{"ServerURL":"%s","Username":"AWS","Secret":"x"}' % HOST)
        self.assertEqual((ecr_login_attempt.code, ecr_login_attempt.out), (1, "not implemented\n"))
        self.assertIn("no login is needed", ecr_login_attempt.err)
        self.assertEqual(self.run_app(["erase"], env, "quay.io\n").code, 0)
        self.assertEqual(self.calls()[-1], ["erase", "quay.io\n"])
        self.assertEqual(self.run_app(["erase"], env, HOST + "\n").code, 1)

        listed = self.run_app(["list"], env)
        self.assertEqual((listed.code, listed.err), (0, ""), listed)
        self.assertEqual(json.loads(listed.out), {HUB: "hubuser", "ghcr.io": "octocat", "https://" + HOST: "AWS"})
        sent = [data for _, data in self.calls()]
        self.assertFalse([data for data in sent if HOST in data], "an ECR host was sent to the fallback")
        self.assert_no_secrets(read_text(self.calls_log))

    def test_without_a_fallback_docker_hub_gets_not_found_and_a_silent_stderr_from_the_zipapp(self):
        for server_url in (HUB, "ghcr.io", "localhost:5000"):
            with self.subTest(server_url):
                result = self.get_app(server_url, env=self.env())
                self.assert_not_ours(result)
        self.assertEqual(self.calls(), [])

    def test_the_environment_variable_names_a_fallback_too(self):
        env = self.env(AWS_ECR_FALLBACK_HELPER="fake")
        self.assertEqual(json.loads(self.get_app(HUB, env=env).out)["Secret"], "hub-password")
        self.assertEqual(self.calls(), [["get", HUB + "\n"]])

    def test_without_a_fallback_nothing_is_run(self):
        self.assert_not_ours(self.get(HUB))
        self.assertEqual(run_main(["list"], self.env()), (0, "{}\n", ""))
        self.assertEqual(self.calls(), [])

    def test_a_missing_fallback_is_named_and_list_still_answers(self):
        env = self.env(AWS_ECR_FALLBACK_HELPER="nosuchstore")
        result = self.get_app(HUB, env=env)
        self.assertEqual((result.code, result.out), (1, NOT_FOUND), result)
        self.assertIn("docker-credential-nosuchstore", result.err)
        self.assertIn("AWS_ECR_FALLBACK_HELPER", result.err)
        listed = self.run_app(["list"], env)
        self.assertEqual((listed.code, listed.out, listed.err), (0, "{}\n", ""))

    def test_names_that_are_not_another_helper_are_refused(self):
        # In this process: nothing is run, so nothing needs the zipapp's own start.
        for name in ("../../bin/sh", "ecr-login", "ecr-login-prod", "-x", "a b"):
            with self.subTest(name):
                code, out, err = run_main(["get"], self.env(AWS_ECR_FALLBACK_HELPER=name), HUB)
                self.assertEqual((code, out), (1, NOT_FOUND), err)
                self.assertIn("fallback helper", err)
                self.assertNotIn("Traceback", err)
                code, out, err = run_main(["configure", "--fallback", name], self.env())
                self.assertNotEqual(code, 0, err)
        self.assertFalse(os.path.exists(self.home_path(".docker", "config.json")))
        self.assertEqual(self.calls(), [])

    def test_an_existing_creds_store_is_switched_only_with_consent(self):
        path = write_file(self.home_path(".docker", "config.json"), json.dumps(
            {"auths": {HUB: {}}, "credsStore": "fake"}))
        before = file_state(path)
        refused = self.run_app(["configure", "--fallback", "fake"], self.env())
        self.assert_failed(refused, "credsStore", "fake", "--switch-creds-store")
        self.assertEqual(file_state(path), before)
        self.assertFalse(os.path.exists(self.home_path(".ecr", "config.json")))
        switched = self.run_app(["configure", "--switch-creds-store"], self.env())
        self.assertEqual((switched.code, switched.err), (0, ""), switched)
        self.assertIn("credsStore: fake -> ecr-login", switched.out)
        self.assertEqual(self.docker_config(), {"auths": {HUB: {}}, "credsStore": "ecr-login"})
        self.assertEqual(json.loads(read_text(self.home_path(".ecr", "config.json"))), {"fallback": "fake"})
        self.assertEqual(json.loads(self.get_app(HUB, env=self.env()).out)["Secret"], "hub-password")
        again = self.run_app(["configure", "--fallback", "fake"], self.env())
        self.assertEqual((again.code, again.err), (0, ""), again)
        self.assertIn("already configured", again.out)

    def test_a_fallback_is_not_kept_in_a_cache_directory_that_would_be_ignored(self):
        shared = self.home_path("shared")
        os.makedirs(shared)
        os.chmod(shared, 0o777)  # anyone may write here: the helper uses no cache in it
        result = self.run_app(["configure", "--fallback", "fake"], self.env(AWS_ECR_CACHE_DIR=os.path.join(shared, "ecr")))
        self.assert_failed(result, "would be ignored", "AWS_ECR_FALLBACK_HELPER")
        self.assertFalse(os.path.exists(self.home_path(".docker", "config.json")))

    def test_a_fallback_not_on_path_is_noted_by_configure(self):
        result = self.run_app(["configure", "--fallback", "pass"], self.env())
        self.assertEqual(result.code, 0, result)
        self.assertIn("docker-credential-pass", result.err)
        self.assertIn("not on PATH", result.err)


# ============================================================================================
# 5. doctor
# ============================================================================================


class DoctorTest(FeatureCase):
    def connect_recorder(self):
        """(PYTHONPATH dir with the recording sitecustomize, path of the connect log)."""
        directory = os.path.join(self.home, "site")
        write_file(os.path.join(directory, "sitecustomize.py"), CONNECT_RECORDER)
        return directory, os.path.join(self.home, "connects.log")

    def test_static_keys_report_and_token_ok_without_showing_secrets(self):
        self.write_aws_files(credentials="[dev]\naws_access_key_id = %s\naws_secret_access_key = %s\n"
                                         "aws_session_token = %s\n" % (DEV_KEYS + (DEV_SESSION_TOKEN,)))
        result = self.run_app(["doctor", HOST], self.env(AWS_PROFILE="dev"))
        self.assertEqual((result.code, result.err), (0, ""), result)
        out = result.out
        self.assertIn("static keys ****" + DEV_KEYS[0][-4:], out)
        self.assertIn("profile: dev", out)
        self.assertIn(self.fake.url, out)
        self.assertIn(self.home_path(".ecr", "cache.json"), out)
        self.assertIn("cache directory: %s (trusted:" % self.home_path(".ecr"), out)
        self.assertIn(self.log_path(), out)
        self.assertIn("token: OK", out)
        self.assertEqual(self.ecr_call().auth["access_key_id"], DEV_KEYS[0])
        self.assertTrue(self.ecr_passwords())
        self.assert_no_secrets(out + result.err, DEV_KEYS[0], DEV_KEYS[1], DEV_SESSION_TOKEN)

    def test_environment_keys_are_named_masked(self):
        result = self.run_app(["doctor", HOST], self.env_with_keys())
        self.assertEqual((result.code, result.err), (0, ""), result)
        self.assertIn("static keys ****%s from the environment" % ENV_KEYS[0][-4:], result.out)
        self.assertIn("token: OK", result.out)
        self.assert_no_secrets(result.out + result.err, ENV_KEYS[0], ENV_KEYS[1])

    def test_fresh_machine_gets_advice_without_asking_aws(self):
        for args in (["doctor"], ["doctor", HOST]):
            with self.subTest(args):
                result = self.run_app(args, self.env())
                self.assertEqual(result.code, 1, result)
                self.assertIn("No AWS credentials are configured", result.out)
                self.assertIn("aws configure", result.out)
                self.assertIn("AWS_ACCESS_KEY_ID", result.out)
                self.assert_no_traceback(result)
        self.assertEqual(self.fake.count(), 0)

    def test_fresh_machine_with_imds_enabled_makes_no_network_attempt_without_a_registry(self):
        site_dir, connect_log = self.connect_recorder()
        env = self.env(AWS_EC2_METADATA_DISABLED=None, AWS_EC2_METADATA_SERVICE_ENDPOINT=None,
                       AWS_METADATA_SERVICE_TIMEOUT="5", PYTHONPATH=site_dir, ECR_TEST_CONNECT_LOG=connect_log)
        result = self.run_child(["doctor"], env, program=self.app, site=True)  # site loads the recorder
        self.assertEqual(result.code, 1, result)
        self.assertIn("No AWS credentials are configured", result.out)
        self.assert_no_traceback(result)
        self.assertFalse(os.path.exists(connect_log), read_text(connect_log) if os.path.exists(connect_log) else "")
        self.assertEqual(self.fake.count(), 0)

    def test_connect_recorder_sees_a_real_request(self):
        # The recorder the test above relies on does see the helper's connections.
        site_dir, connect_log = self.connect_recorder()
        env = self.env_with_keys(PYTHONPATH=site_dir, ECR_TEST_CONNECT_LOG=connect_log)
        self.assert_token(self.run_child(["get"], env, HOST + "\n", program=self.app, site=True))
        self.assertIn(str(self.fake.port), read_text(connect_log))

    def test_failing_token_is_exit_1_with_the_aws_reason(self):
        self.fake.script("ecr", "GetAuthorizationToken", [json_error(
            "AccessDeniedException", "User: arn:aws:iam::%s:user/ci is not authorized" % ACCOUNT, 403)])
        result = self.run_app(["doctor", HOST], self.env_with_keys())
        self.assertEqual(result.code, 1, result)
        self.assertIn("token: FAILED", result.out)
        self.assertIn("AccessDeniedException", result.out)
        self.assertIn("is not authorized", result.out)
        self.assert_no_traceback(result)
        self.assert_no_secrets(result.out + result.err, ENV_KEYS[0], ENV_KEYS[1])


    # ---- Docker's side: the config Docker reads, the route for the registry, the program on PATH

    def doctor_with_docker(self, docker_config, *args, **extra):
        """doctor for HOST with env keys, a Docker config (a dict, or None for none) and this
        zipapp (with its -prod copy) on PATH after any directories in extra["before"]."""
        before = extra.pop("before", [])
        if docker_config is not None:
            write_file(self.home_path(".docker", "config.json"), json.dumps(docker_config))
        path = os.pathsep.join(before + [self.dist, os.environ.get("PATH", os.defpath)])
        return self.run_app(["doctor"] + list(args) + [HOST], self.env_with_keys(PATH=path, **extra))

    def verdict(self, result):
        last = result.out.rstrip("\n").split("\n")[-1]
        self.assertTrue(last.startswith("verdict: "), result)
        return last[len("verdict: "):]

    def test_a_routed_registry_gets_an_ok_verdict_naming_the_program(self):
        for config in ({"credHelpers": {HOST: "ecr-login"}}, {"credsStore": "ecr-login"}):
            with self.subTest(config):
                result = self.doctor_with_docker(config)
                self.assertEqual((result.code, result.err), (0, ""), result)
                self.assertIn("docker config: %s (found)" % self.home_path(".docker", "config.json"), result.out)
                self.assertEqual(self.verdict(result), "Docker will use %s for %s: OK" % (self.app, HOST))

    def test_docker_config_variable_is_the_config_doctor_reads(self):
        directory = self.home_path("ci-docker")
        write_file(os.path.join(directory, "config.json"), json.dumps({"credHelpers": {HOST: "ecr-login"}}))
        result = self.doctor_with_docker({"credHelpers": {}}, DOCKER_CONFIG=directory)
        self.assertIn("docker config: %s (found, from DOCKER_CONFIG)" % os.path.join(directory, "config.json"),
                      result.out)
        self.assertTrue(self.verdict(result).endswith(": OK"), result)

    def test_a_registry_docker_does_not_route_here_gets_the_fix(self):
        cases = [
            (None, "routes %s to no helper" % HOST),
            ({"auths": {}}, "routes %s to no helper" % HOST),
            ({"credsStore": "desktop"}, "Docker asks docker-credential-desktop for %s, not this helper" % HOST),
            ({"credHelpers": {"https://" + HOST: "ecr-login"}}, "Docker looks up the bare host"),
        ]
        for config, fix in cases:
            with self.subTest(config):
                if os.path.exists(self.home_path(".docker", "config.json")):
                    os.unlink(self.home_path(".docker", "config.json"))
                result = self.doctor_with_docker(config)
                self.assertEqual(result.code, 0, "the token still works: %r" % (result,))
                verdict = self.verdict(result)
                self.assertTrue(verdict.startswith("fix: "), verdict)
                self.assertIn(fix, verdict)
                self.assertIn("%s configure %s" % (PROGRAM, HOST), verdict)

    def test_a_go_helper_earlier_on_path_is_named_as_the_trap(self):
        shadow = self.home_path("usr-bin")
        write_file(os.path.join(shadow, PROGRAM), b"\x7fELF\x02\x01\x01" + b"\x00" * 100, 0o755)
        result = self.doctor_with_docker({"credHelpers": {HOST: "ecr-login"}}, before=[shadow])
        self.assertIn("first %s on PATH: %s" % (PROGRAM, os.path.join(shadow, PROGRAM)), result.out)
        verdict = self.verdict(result)
        self.assertIn("%s is not this helper (a compiled program: the Go helper?" % os.path.join(shadow, PROGRAM),
                      verdict)
        self.assertIn("put %s before it on PATH" % self.dist, verdict)

    def test_a_profile_helper_must_exist_on_path(self):
        self.write_profiles()
        ok = self.doctor_with_docker({"credHelpers": {HOST: "ecr-login-prod"}})
        self.assertIn("credHelpers[%s]: ecr-login-prod" % HOST, ok.out)
        self.assertEqual(self.verdict(ok), "Docker will use %s for %s: OK" % (self.prod_app, HOST))
        missing = self.doctor_with_docker({"credHelpers": {HOST: "ecr-login-dev"}})
        verdict = self.verdict(missing)
        self.assertIn("ln -s %s %s" % (self.app, os.path.join(self.dist, PROGRAM + "-dev")), verdict)

    def test_progress_line_then_cache_or_aws_says_where_the_token_came_from(self):
        first = self.doctor_with_docker({"credsStore": "ecr-login"})
        lines = first.out.split("\n")
        asking = [index for index, line in enumerate(lines) if line.startswith("asking ECR for a token (up to 5 s")]
        token = [index for index, line in enumerate(lines) if line.startswith("token: OK from AWS")]
        self.assertTrue(asking and token and asking[0] < token[0], first)
        self.assertEqual(self.fake.count("ecr"), 1)
        second = self.doctor_with_docker(None)
        self.assertIn("token: OK from the cache (--no-cache asks AWS)", second.out)
        self.assertNotIn("asking ECR", second.out)
        self.assertEqual(self.fake.count("ecr"), 1)
        forced = self.doctor_with_docker(None, "--no-cache")
        self.assertIn("token: OK from AWS", forced.out)
        self.assertEqual(self.fake.count("ecr"), 2)
        self.assert_no_secrets(first.out + second.out + forced.out, ENV_KEYS[1])

    def test_typos_and_ignored_settings_are_named(self):
        typo_host = "%s.dkr.ecr.us-wset-2.amazonaws.com" % ACCOUNT
        result = self.run_app(["doctor", typo_host], self.env_with_keys(
            AWS_ECR_LOG_LEVEL="verbose", AWS_ECR_LOG_MAX_BYTES="1MB", AWS_ECR_IGNORE_CREDS_STORAGE="TRUE"))
        self.assertIn("hint: is us-wset-2 a region? known: us-west-2", result.out)
        self.assertIn("ignored: AWS_ECR_LOG_LEVEL='verbose' is not one of debug, info, warning, error, off", result.out)
        self.assertIn("ignored: AWS_ECR_LOG_MAX_BYTES='1MB'", result.out)
        self.assertIn("ignored: AWS_ECR_IGNORE_CREDS_STORAGE='TRUE': only exactly true counts", result.out)
        bad_account = self.run_app(["doctor", "12345678901.dkr.ecr.us-west-2.amazonaws.com"], self.env_with_keys())
        self.assertEqual(bad_account.code, 1, bad_account)
        self.assertIn("the account id '12345678901' is not 12 digits", bad_account.out + bad_account.err)
        self.assert_no_traceback(bad_account)

    def test_an_expired_sso_session_gets_the_sso_login_advice(self):
        self.write_aws_files(config="[profile corp]\nsso_session = corp\nsso_account_id = %s\nsso_role_name = Pull\n"
                                    "[sso-session corp]\nsso_start_url = https://corp.awsapps.com/start\n"
                                    "sso_region = us-east-1\n" % ACCOUNT)
        write_file(self.home_path(".aws", "sso", "cache", hashlib.sha1(b"corp").hexdigest() + ".json"),
                   json.dumps({"accessToken": "expired-sso-access-token", "expiresAt": "2020-01-01T00:00:00Z"}))
        result = self.run_app(["doctor", HOST], self.env(AWS_PROFILE="corp"))
        self.assertEqual(result.code, 1, result)
        self.assertIn("token: FAILED", result.out)
        self.assertIn("aws sso login --profile corp", result.out)
        self.assertNotIn("No AWS credentials are configured", result.out)
        self.assertNotIn("expired-sso-access-token", result.out)


# ============================================================================================
# 6. MFA on the terminal
# ============================================================================================


class MFATest(FeatureCase):
    ROLE = "arn:aws:iam::%s:role/admin" % ACCOUNT

    def setUp(self):
        FeatureCase.setUp(self)
        self.write_aws_files(
            credentials="[base]\naws_access_key_id = %s\naws_secret_access_key = %s\n" % BASE_KEYS,
            config="[profile mfa]\nrole_arn = %s\nsource_profile = base\nmfa_serial = %s\nregion = %s\n"
                   % (self.ROLE, MFA_SERIAL, REGION))

    def mfa_env(self):
        return self.env(AWS_PROFILE="mfa")

    def test_mfa_code_is_asked_once_on_the_terminal_and_the_role_is_reused(self):
        result, shown = self.get_on_terminal(HOST, self.mfa_env())
        self.assertIn(MFA_PROMPT, shown)
        self.assert_token(result)
        sts = self.fake.last("sts", "AssumeRole")
        self.assertIsNotNone(sts, "no STS AssumeRole call")
        self.assertEqual(sts.form["SerialNumber"], MFA_SERIAL)
        self.assertEqual(sts.form["TokenCode"], "123456")
        self.assertEqual((sts.form["RoleArn"], sts.auth["access_key_id"]), (self.ROLE, BASE_KEYS[0]))
        self.assertEqual(self.ecr_call().auth["access_key_id"], self.fake.access_key_ids[-1])

        roles = self.home_path(".ecr", "roles")
        files = os.listdir(roles)
        self.assertEqual(len(files), 1, files)
        self.assertTrue(files[0].endswith(".json"), files)
        self.assertEqual(mode_of(roles), 0o700)
        self.assertEqual(mode_of(os.path.join(roles, files[0])), 0o600)

        # Another registry (other account, same region: a new ECR call) on the terminal: no prompt.
        second, shown = self.get_on_terminal(OTHER_HOST, self.mfa_env(), answer=b"", timeout=5.0)
        self.assert_token(second, OTHER_HOST)
        self.assertNotIn("MFA", shown)
        # A third with no terminal at all can only succeed from the cached role credentials.
        third_host = "%s.dkr.ecr.%s.amazonaws.com" % (THIRD_ACCOUNT, REGION)
        third = self.get_child(third_host, env=self.mfa_env())
        self.assert_token(third, third_host)
        self.assertEqual(self.fake.count("sts"), 1, "the role credentials must be reused")
        self.assertEqual(self.fake.count("ecr"), 3)
        self.assertEqual([rec.json["registryIds"] for rec in self.fake.find("ecr")],
                         [[ACCOUNT], [OTHER_ACCOUNT], [THIRD_ACCOUNT]])
        self.assertEqual(set(rec.auth["access_key_id"] for rec in self.fake.find("ecr")),
                         set([self.fake.access_key_ids[-1]]))
        self.assert_no_secrets(self.log_text() + result.err + second.err + third.err, BASE_KEYS[1])

    def test_bad_code_is_refused_before_any_sts_call(self):
        result, shown = self.get_on_terminal(HOST, self.mfa_env(), answer=b"12ab\n")
        self.assertIn(MFA_PROMPT, shown)
        self.assert_not_found(result, "6 digits")
        self.assertEqual(self.fake.count(), 0)

    def test_without_a_terminal_it_is_not_found_saying_so(self):
        result = self.get_child(env=self.mfa_env())
        self.assert_not_found(result, "no terminal", MFA_SERIAL)
        self.assertEqual(self.fake.count(), 0)


class InteractiveProcessTest(FeatureCase):
    """credential_process programs that prompt (aws-vault, Okta): the terminal is their stdin
    and their stderr shows on it while they run."""

    PROMPT = "Okta password for alice: "
    SCRIPT = """\
import json, sys
sys.stderr.write(%r)
sys.stderr.flush()
answer = sys.stdin.readline().strip()
if answer != "hunter2":
    sys.stderr.write("wrong password\\nsecond line\\n")
    sys.exit(4)
print(json.dumps({"Version": 1, "AccessKeyId": %r, "SecretAccessKey": %r}))
"""

    def setUp(self):
        FeatureCase.setUp(self)
        script = self.home_path("prompting-process.py")
        write_file(script, self.SCRIPT % (self.PROMPT, PROD_KEYS[0], PROD_KEYS[1]))
        self.write_aws_files(config="[profile okta]\ncredential_process = %s\n" % python_command(script))

    def test_the_prompt_shows_on_the_terminal_and_the_answer_is_read_from_it(self):
        result, shown = self.get_on_terminal(HOST, self.env(AWS_PROFILE="okta"), b"hunter2\n", prompt=self.PROMPT)
        self.assertIn(self.PROMPT, shown)
        self.assert_token(result)
        self.assertEqual(self.ecr_call().auth["access_key_id"], PROD_KEYS[0])
        self.assertNotIn(self.PROMPT, result.err, "the prompt goes to the terminal, not into Docker's stderr")

    def test_a_failure_names_the_first_line_of_what_it_said(self):
        result, shown = self.get_on_terminal(HOST, self.env(AWS_PROFILE="okta"), b"guess\n", prompt=self.PROMPT)
        self.assertIn("wrong password", shown)
        self.assert_not_found(result, "status 4", "wrong password")
        self.assertNotIn("second line", result.err)
        self.assertEqual(self.fake.count(), 0)

    def test_without_a_terminal_its_stdin_is_empty(self):
        result = self.get_child(env=self.env(AWS_PROFILE="okta"))
        self.assert_not_found(result, "status 4", self.PROMPT.strip())
        self.assertEqual(self.fake.count(), 0)


# ============================================================================================
# 7. Log control
# ============================================================================================


class LogTest(FeatureCase):
    def test_default_level_logs_the_fetch_and_nothing_on_a_cached_get(self):
        env = self.env_with_keys()
        self.assert_token(self.get_app(env=env))
        text = read_text(self.log_path())
        self.assertIn("level=info", text)
        self.assertIn(HOST, text)
        before = read_bytes(self.log_path())
        self.assert_token(self.get_app(env=env))
        self.assertEqual(self.fake.count(), 1)
        self.assertEqual(read_bytes(self.log_path()), before, "a cached get at the default level logs nothing")

    def test_debug_level_logs_each_call(self):
        env = self.env_with_keys(AWS_ECR_LOG_LEVEL="debug")
        self.assert_token(self.get_app(env=env))
        lines = read_text(self.log_path()).splitlines()
        self.assert_token(self.get_app(env=env))
        later = read_text(self.log_path()).splitlines()
        self.assertEqual(later[:len(lines)], lines)
        added = later[len(lines):]
        self.assertTrue(added, "a cached get at debug level logs a line")
        self.assertTrue(all("level=debug" in line and HOST in line for line in added), added)

    def test_log_file_variable_redirects_and_off_writes_none(self):
        custom = self.home_path("logs", "helper.log")
        self.assert_token(self.get_app(env=self.env_with_keys(AWS_ECR_LOG_FILE=custom)))
        self.assertIn(HOST, read_text(custom))
        self.assertEqual(mode_of(custom), 0o600)
        self.assertEqual(mode_of(os.path.dirname(custom)), 0o700)
        self.assertFalse(os.path.exists(self.home_path(".ecr", "log")))

        for value in ("off", "/dev/null"):
            with self.subTest(value):
                self.forget_tokens()
                env = self.env_with_keys(AWS_ECR_LOG_FILE=value, AWS_ECR_LOG_LEVEL="debug")
                self.assert_token(self.get_app(env=env))
                self.assert_not_ours(self.get_app("docker.io", env=env))
                self.assertFalse(os.path.exists(self.home_path(".ecr", "log")))
                self.assertEqual(os.listdir(self.home_path("logs")), ["helper.log"])

    def test_small_max_bytes_rotates_to_one_old_file(self):
        env = self.env_with_keys(AWS_ECR_LOG_LEVEL="debug", AWS_ECR_LOG_MAX_BYTES="100")
        for _ in range(4):
            self.assert_token(self.get_app(env=env))
        directory = os.path.dirname(self.log_path())
        self.assertEqual(sorted(os.listdir(directory)), ["ecr-login.log", "ecr-login.log.1"])
        self.assertLess(os.path.getsize(self.log_path()), 400)
        self.assertEqual(mode_of(self.log_path() + ".1"), 0o600)

    def test_log_is_private_and_holds_no_secrets(self):
        from tests.fakeaws import Reply

        self.write_aws_files(credentials="[dev]\naws_access_key_id = %s\naws_secret_access_key = %s\n"
                                         "aws_session_token = %s\n" % (DEV_KEYS + (DEV_SESSION_TOKEN,)))
        self.fake.script("ecr", "GetAuthorizationToken", [Reply(status=500, body={"message": "oops"})])
        env = self.env(AWS_PROFILE="dev", AWS_ECR_LOG_LEVEL="debug")
        result = self.get_app(env=env)
        self.assert_token(result)
        self.assertEqual(self.fake.count("ecr"), 2)
        self.assert_token(self.get_app(env=env))
        self.assert_not_ours(self.get_app("docker.io", env=env))
        text = read_text(self.log_path())
        self.assertIn("attempt 1 failed", text)
        self.assertEqual(mode_of(self.log_path()), 0o600)
        self.assertEqual(mode_of(os.path.dirname(self.log_path())), 0o700)
        self.assert_no_secrets(text, DEV_KEYS[0], DEV_KEYS[1], DEV_SESSION_TOKEN)


if __name__ == "__main__":
    unittest.main()
