"""The credential chain against the shared cross-SDK test vectors (read in place from
../shared/vectors, never copied here):

- smithy-rs ``assume-role-tests.json``: profiles -> the planned provider chain, or an error;
- smithy-rs ``ecs-tests.json`` and aws-sdk-php's container fixtures: env -> container URL,
  request headers, or an error;
- smithy-rs ``imds-endpoint-tests.json``: env + config file -> the IMDS token URL, or an error;
- smithy-rs ``default-credential-provider-chain/*`` and ``profile-provider/*``: a virtual
  filesystem, an environment and recorded HTTP traffic -> credentials, or an error. The
  recorded answers are replayed from a loopback server; the helper's own choice of URL is kept
  and compared with the recorded one, so nothing ever leaves 127.0.0.1;
- aws-sdk-kotlin's IMDS credentials spec: scripted IMDS answers -> two successive resolutions.

Error texts are the Rust/PHP SDKs' wording: only "an error happened" is compared.

Cases where the helper deliberately differs from those SDKs (it follows botocore, or a feature
is out of scope) are listed in the DIVERGENCES dicts with the reason. They are not skipped:
each one is run and the test asserts that it really does diverge, so a list that goes stale
fails the suite.
"""

import json
import os
import socketserver
import sys
import threading
import time
import unittest
from http.server import BaseHTTPRequestHandler, HTTPServer
from unittest import mock
from urllib.parse import parse_qs, urlsplit

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)

import ecr_login  # noqa: E402
from tests.helpers import DEAD_ENDPOINT, make_home, write_file  # noqa: E402
from tests.vectors import vectors_dir  # noqa: E402

RS_TEST_DATA = ("smithy-rs-aws-config", "aws", "rust-runtime", "aws-config", "test-data")
PHP_ECS = ("aws-sdk-php-ecs", "tests", "Credentials", "fixtures", "ecs", "uri-token-resolution.json")
KOTLIN_IMDS = ("aws-sdk-kotlin-imds", "aws-runtime", "aws-config", "common", "test", "aws", "sdk", "kotlin", "runtime",
               "auth", "credentials", "imdsCredentialsTestSpec.json")
RECORDED_SUITES = ("default-credential-provider-chain", "profile-provider")
# The vector counts this file was written against: a case that disappears must not go unnoticed.
EXPECTED_COUNTS = {
    "assume-role": 28, "ecs": 11, "php-ecs": 13, "imds-endpoint": 14,
    "default-credential-provider-chain": 29, "profile-provider": 18, "kotlin-imds": 13,
}
# Environment variables of the recorded cases that hold file paths (rooted in the case's fs/).
PATH_VARIABLES = ("HOME", "AWS_CONFIG_FILE", "AWS_SHARED_CREDENTIALS_FILE", "AWS_WEB_IDENTITY_TOKEN_FILE",
                  "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE")
# Profile keys of the recorded cases that hold file paths.
PATH_KEYS = ("web_identity_token_file",)
# Request headers whose recorded value the helper must send unchanged.
COMPARED_HEADERS = ("x-amz-security-token", "x-amz-sso_bearer_token", "x-aws-ec2-metadata-token",
                    "x-aws-ec2-metadata-token-ttl-seconds")
FUTURE_OFFSET = 7200  # recorded expirations are rewritten to now + this

ASSUME_ROLE_DIVERGENCES = {
    "SSO token profile selected":
        "a profile with only sso_session (no sso_account_id/sso_role_name) configures an SSO *token* "
        "for Rust's token-provider chain; the helper needs AWS credentials and, like botocore (whose SSO "
        "provider needs sso_account_id or sso_role_name), gets none from it (the same profile is an error in "
        "Rust's own profile-provider/invalid_sso_credentials_config)",
}

ECS_DIVERGENCES = {}
PHP_ECS_DIVERGENCES = {}

IMDS_ENDPOINT_DIVERGENCES = {
    "explicit endpoint override":
        "endpoint_override is a programmatic Rust setting; the helper has only the environment "
        "variable and the profile key, so it uses the profile's endpoint mode instead",
    "explicit mode override":
        "mode_override is a programmatic Rust setting; the helper has only the environment variable "
        "and the profile key, so it uses the profile's IPv4",
}

RECORDED_DIVERGENCES = {
    "default-credential-provider-chain/environment_variables_blank":
        "blank (whitespace-only) AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY are used verbatim, as "
        "botocore does; Rust trims them and treats them as unset",
    "default-credential-provider-chain/imds_default_chain_retries":
        "IMDS defaults to botocore's 1 attempt (AWS_METADATA_SERVICE_NUM_ATTEMPTS), so a 503 is not "
        "retried; Rust retries. With AWS_METADATA_SERVICE_NUM_ATTEMPTS=2 the helper agrees (checked)",
    "profile-provider/credential_process":
        "credential_process runs without a shell (split with shlex, as botocore does); this case "
        "pipes 'echo ... | base64 --decode', so echo prints the pipe as text",
    "profile-provider/credential_process_account_id_fallback":
        "credential_process runs without a shell (shlex, as botocore); the case uses a shell pipe",
}
_EXTENDED = ("the security-credentials-extended API (AccountId) is not used: Kotlin reverted it, and "
             "botocore and Go never called it; the helper lists roles on the legacy path, which this case "
             "does not answer")
_PROFILE_NAME = ("ec2InstanceProfileName is a programmatic Kotlin setting; the helper always lists the "
                 "instance's role, which this case does not answer on the legacy path")
KOTLIN_IMDS_DIVERGENCES = {
    "Test IMDS credentials provider returns valid credentials with account ID": _EXTENDED,
    "Test IMDS credentials provider with a given profile name returns valid credentials with account ID":
        _PROFILE_NAME + "; " + _EXTENDED,
    "Test IMDS credentials provider when profile is unstable returns valid credentials with account ID": _EXTENDED,
    "Test IMDS credentials provider when account ID is unavailable returns valid credentials": _EXTENDED,
    "Test IMDS credentials provider with a given profile name when account ID is unavailable returns valid "
    "credentials": _PROFILE_NAME + "; " + _EXTENDED,
    "Test IMDS credentials provider when account ID is unavailable when profile is unstable returns valid "
    "credentials": _EXTENDED,
    "Test IMDS credentials provider with a given profile name against legacy API returns valid credentials":
        _PROFILE_NAME,
}

# Divergent cases that agree once a setting is changed: (case, extra environment).
AGREES_WITH = {
    "default-credential-provider-chain/imds_default_chain_retries": {"AWS_METADATA_SERVICE_NUM_ATTEMPTS": "2"},
}


def load_json(path):
    with open(path, "rb") as handle:
        return json.loads(handle.read().decode("utf-8"))


def case_names(cases, key):
    """Unique names for cases: the doc string, with " (2)" etc. for repeats."""
    names, seen = [], {}
    for case in cases:
        name = case[key]
        seen[name] = seen.get(name, 0) + 1
        names.append(name if seen[name] == 1 else "%s (%d)" % (name, seen[name]))
    return names


class DivergenceAssertions(unittest.TestCase):
    def check_case(self, name, differences, divergences):
        """No differences, or (for a listed divergence) at least one."""
        if name in divergences:
            self.assertTrue(differences, "%s is listed as divergent (%s) but agrees now: update the list" % (
                name, divergences[name]))
        else:
            self.assertEqual(differences, [], name)

    def check_divergences_exist(self, divergences, names):
        self.assertEqual(sorted(set(divergences) - set(names)), [], "divergences for cases that do not exist")


# ============================================================================================
# assume-role-tests.json: the planned chain
# ============================================================================================


def planned(planner, env):
    """The Source a planner of ecr_login.CHAIN plans for env (the default profile), or None."""
    return planner(ecr_login.Request(ecr_login.Context(env)), "default", True)[0]


def chain_of(source):
    """The planned source as the vector's ProfileChain: innermost first."""
    if isinstance(source, ecr_login.AssumeRoleSource):
        role = {"role_arn": source.role_arn}
        if source.session_name:
            role["role_session_name"] = source.session_name
        if source.external_id:
            role["external_id"] = source.external_id
        return chain_of(source.source) + [{"AssumeRole": role}]
    if isinstance(source, ecr_login.StaticSource):
        if source.origin == "the environment":
            return [{"NamedSource": "Environment"}]
        keys = {"access_key_id": source.credentials.access_key, "secret_access_key": source.credentials.secret_key}
        if source.credentials.account_id:
            keys["account_id"] = source.credentials.account_id
        return [{"AccessKey": keys}]
    if isinstance(source, ecr_login.WebIdentitySource):
        web = {"role_arn": source.role_arn, "web_identity_token_file": source.token_file}
        if source.session_name:
            web["role_session_name"] = source.session_name
        return [{"WebIdentityToken": web}]
    if isinstance(source, ecr_login.SSOSource):
        sso = {"sso_account_id": source.account_id, "sso_region": source.region, "sso_role_name": source.role_name,
               "sso_start_url": source.start_url}
        if source.session_name:
            sso["sso_session"] = source.session_name
        return [{"Sso": sso}]
    if isinstance(source, ecr_login.ContainerSource):
        return [{"NamedSource": "EcsContainer"}]
    if isinstance(source, ecr_login.IMDSSource):
        return [{"NamedSource": "Ec2InstanceMetadata"}]
    if isinstance(source, ecr_login.ProcessSource):
        return [{"CredentialProcess": source.command}]
    raise AssertionError("unknown source %r" % (source,))


def profile_file_text(profiles, sso_sessions):
    lines = []
    for name in sorted(profiles):
        lines.append("[default]" if name == "default" else "[profile %s]" % name)
        lines.extend("%s = %s" % item for item in sorted(profiles[name].items()))
        lines.append("")
    for name in sorted(sso_sessions):
        lines.append("[sso-session %s]" % name)
        lines.extend("%s = %s" % item for item in sorted(sso_sessions[name].items()))
        lines.append("")
    return "\n".join(lines)


def assume_role_cases():
    """[(name, case)] of assume-role-tests.json."""
    cases = load_json(os.path.join(vectors_dir(*RS_TEST_DATA), "assume-role-tests.json"))
    return list(zip(case_names(cases, "docs"), cases))


def assume_role_env(test, case):
    """The environment of one assume-role case: its profiles in a config file of a new HOME."""
    home = make_home(test)
    config = write_file(os.path.join(home, "config"), profile_file_text(
        case["input"]["profiles"], case["input"].get("sso_sessions", {})))
    # IMDS stays enabled (credential_source = Ec2InstanceMetadata must resolve) but points at a
    # closed loopback port; planning never connects anyway.
    return {"HOME": home, "AWS_CONFIG_FILE": config, "AWS_SHARED_CREDENTIALS_FILE": os.path.join(home, "none"),
            "AWS_PROFILE": case["input"]["selected_profile"], "AWS_EC2_METADATA_SERVICE_ENDPOINT": DEAD_ENDPOINT}


class AssumeRoleVectorsTest(DivergenceAssertions):
    def plan(self, case):
        """("chain", [...]) or ("error", message) for one case."""
        env = assume_role_env(self, case)
        registry = ecr_login.parse_registry("123456789012.dkr.ecr.us-east-1.amazonaws.com")
        ctx = ecr_login.Request(ecr_login.Context(env), registry)
        try:
            source = ecr_login.plan_credentials(ctx)
        except ecr_login.HelperError as error:
            return "error", str(error)
        if isinstance(source, (ecr_login.ContainerSource, ecr_login.IMDSSource)):
            # The Rust suite tests the profile provider alone; the helper's chain going on past
            # the profile to the container or IMDS means the profile gave no credentials.
            return "error", "the profile provides no credentials (the chain falls through to %s)" % type(source).__name__
        return "chain", chain_of(source)

    def test_assume_role_vectors(self):
        cases = assume_role_cases()
        self.assertEqual(len(cases), EXPECTED_COUNTS["assume-role"])
        self.check_divergences_exist(ASSUME_ROLE_DIVERGENCES, [name for name, _ in cases])
        for name, case in cases:
            with self.subTest(case=name):
                kind, result = self.plan(case)
                expected = case["output"]
                differences = []
                if "Error" in expected:
                    if kind != "error":
                        differences.append("planned %r instead of an error like %r" % (result, expected["Error"]))
                elif kind == "error":
                    differences.append("error %r instead of %r" % (result, expected["ProfileChain"]))
                elif result != expected["ProfileChain"]:
                    differences.append("chain %r instead of %r" % (result, expected["ProfileChain"]))
                self.check_case(name, differences, ASSUME_ROLE_DIVERGENCES)


# ============================================================================================
# Container provider: ecs-tests.json and aws-sdk-php's fixtures
# ============================================================================================


class RecordingTransport(object):
    """Stands in for ecr_login.http_request: records each request and answers 200 with
    credentials, without any socket."""

    def __init__(self):
        self.requests = []

    def __call__(self, ctx, method, url, headers, body, timeout, use_proxy=True):
        self.requests.append((method, url, dict(headers)))
        expiration = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() + 3600))
        document = {"AccessKeyId": "ASIACONTAINER", "SecretAccessKey": "secret", "Token": "token",
                    "Expiration": expiration}
        return ecr_login.Response(200, {}, json.dumps(document).encode("utf-8"))


class ContainerVectorsTest(DivergenceAssertions):
    def test_ecs_uri_vectors(self):
        document = load_json(os.path.join(vectors_dir(*RS_TEST_DATA), "ecs-tests.json"))
        cases = document["tests"]
        self.assertEqual(len(cases), EXPECTED_COUNTS["ecs"])
        names = case_names(cases, "docs")
        self.check_divergences_exist(ECS_DIVERGENCES, names)
        for name, case in zip(names, cases):
            with self.subTest(case=name):
                try:
                    source = planned(ecr_login.plan_container, dict(case["env"]))
                    outcome = ("ok", source.url) if source is not None else ("error", "not configured")
                except ecr_login.HelperError as error:
                    outcome = ("error", str(error))
                expected = case["result"]
                differences = []
                if "Ok" in expected and outcome != ("ok", expected["Ok"]):
                    differences.append("%r instead of %r" % (outcome, expected["Ok"]))
                if "ErrorContains" in expected and outcome[0] != "error":
                    differences.append("URL %r instead of an error" % (outcome[1],))
                self.check_case(name, differences, ECS_DIVERGENCES)

    def php_case(self, case):
        """(outcome, recorded requests) for one aws-sdk-php fixture."""
        home = make_home(self)
        env = dict(case["env"], HOME=home)
        token_file = case.get("token_file")
        if "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE" in env:
            env["AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE"] = os.path.join(home, "token")
            if token_file and token_file["type"] == "success":
                write_file(env["AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE"], token_file["content"])
        transport = RecordingTransport()
        try:
            source = planned(ecr_login.plan_container, env)
            if source is None:
                return ("error", "not configured"), []
            with mock.patch.object(ecr_login, "http_request", transport):
                credentials = source.fetch(ecr_login.Request(ecr_login.Context(env)))
            return ("ok", credentials.access_key), transport.requests
        except ecr_login.HelperError as error:
            return ("error", str(error)), transport.requests

    def test_php_container_fixtures(self):
        cases = load_json(vectors_dir(*PHP_ECS))
        self.assertEqual(len(cases), EXPECTED_COUNTS["php-ecs"])
        names = case_names(cases, "description")
        self.check_divergences_exist(PHP_ECS_DIVERGENCES, names)
        for name, case in zip(names, cases):
            with self.subTest(case=name):
                outcome, requests = self.php_case(case)
                expect = case["expect"]
                differences = []
                if expect["type"] == "error":
                    if outcome[0] != "error":
                        differences.append("credentials instead of an error like %r" % expect["reason"])
                    if requests:
                        differences.append("a request was made before the error: %r" % (requests,))
                elif outcome[0] != "ok":
                    differences.append("error %r" % (outcome[1],))
                else:
                    (method, url, headers), = requests
                    wanted = expect["request"]
                    if (method, url) != (wanted["method"], wanted["uri"]):
                        differences.append("%s %s instead of %s %s" % (method, url, wanted["method"], wanted["uri"]))
                    for header, value in wanted["headers"].items():
                        if headers.get(header) != value:
                            differences.append("%s: %r instead of %r" % (header, headers.get(header), value))
                    if "Authorization" not in wanted["headers"] and "Authorization" in headers:
                        differences.append("an Authorization header that was not asked for")
                self.check_case(name, differences, PHP_ECS_DIVERGENCES)


# ============================================================================================
# imds-endpoint-tests.json: the IMDS token URL
# ============================================================================================


class IMDSEndpointVectorsTest(DivergenceAssertions):
    def token_url(self, case):
        home = make_home(self)
        for relative, text in case["fs"].items():
            write_file(os.path.join(home, relative), text)
        env = {"HOME": home}
        for name, value in case["env"].items():
            env[name] = os.path.join(home, value) if name in ("AWS_CONFIG_FILE", "AWS_SHARED_CREDENTIALS_FILE") \
                else value
        try:
            source = planned(ecr_login.plan_imds, env)
        except ecr_login.HelperError as error:
            return "error", str(error)
        if source is None:
            return "error", "IMDS is disabled"
        return "ok", source.endpoint + "/latest/api/token"

    def test_imds_endpoint_vectors(self):
        document = load_json(os.path.join(vectors_dir(*RS_TEST_DATA), "imds-config", "imds-endpoint-tests.json"))
        cases = document["tests"]
        self.assertEqual(len(cases), EXPECTED_COUNTS["imds-endpoint"])
        names = case_names(cases, "docs")
        self.check_divergences_exist(IMDS_ENDPOINT_DIVERGENCES, names)
        for name, case in zip(names, cases):
            with self.subTest(case=name):
                outcome = self.token_url(case)
                expected = case["result"]
                differences = []
                if "Ok" in expected and outcome != ("ok", expected["Ok"]):
                    differences.append("%r instead of %r" % (outcome, expected["Ok"]))
                if "Err" in expected and outcome[0] != "error":
                    differences.append("%r instead of an error like %r" % (outcome[1], expected["Err"]))
                self.check_case(name, differences, IMDS_ENDPOINT_DIVERGENCES)


# ============================================================================================
# Recorded cases: fs/ + env.json + http-traffic.json -> test-case.json
# ============================================================================================


class Exchange(object):
    """One recorded request and its answer."""

    def __init__(self, number):
        self.number = number
        self.method = self.uri = None
        self.headers = {}
        self.body = ""
        self.status = None
        self.response_headers = {}
        self.response_body = ""

    @property
    def key(self):
        return request_key(self.method, self.uri, self.body)


def request_key(method, url, body):
    """What the replay matches on: method, path and (for query-protocol calls) the Action."""
    if isinstance(body, bytes):
        body = body.decode("utf-8", "replace")
    action = parse_qs(body or "").get("Action", [""])[0] if method == "POST" else ""
    return method, urlsplit(url).path.rstrip("/") or "/", action


def load_exchanges(path):
    exchanges = {}
    for event in load_json(path)["events"]:
        number, action = event["connection_id"], event["action"]
        exchange = exchanges.setdefault(number, Exchange(number))
        if "Request" in action:
            request = action["Request"]["request"]
            exchange.method, exchange.uri = request["method"], request["uri"]
            exchange.headers = dict((name.lower(), values[0]) for name, values in request["headers"].items())
        elif "Response" in action:
            response = action["Response"]["response"]["Ok"]
            exchange.status = response["status"]
            exchange.response_headers = dict((name.lower(), values[0]) for name, values in response["headers"].items())
        elif "Data" in action:
            text = action["Data"]["data"]["Utf8"]
            if action["Data"]["direction"] == "Request":
                exchange.body += text
            else:
                exchange.response_body += text
    return [exchanges[number] for number in sorted(exchanges)]


def with_future_expiration(body, future):
    """A recorded answer with its expiration moved to the future (the helper refuses
    credentials that expire within 5 minutes, and every recorded one is long past)."""
    iso = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(future))
    start = body.find("<Expiration>")
    if start >= 0:
        end = body.find("</Expiration>", start)
        return body[:start] + "<Expiration>%s" % iso + body[end:]
    try:
        document = json.loads(body)
    except ValueError:
        return body
    if isinstance(document, dict) and "Expiration" in document:
        document["Expiration"] = iso
    elif isinstance(document, dict) and isinstance(document.get("roleCredentials"), dict):
        document["roleCredentials"]["expiration"] = future * 1000
    else:
        return body
    return json.dumps(document)


class _ReplayHandler(BaseHTTPRequestHandler):
    def do_GET(self):
        length = int(self.headers.get("Content-Length") or 0)
        if length:
            self.rfile.read(length)
        exchange = self.server.replay.by_number.get(self.headers.get("X-Replay-Exchange", ""))
        if exchange is None:
            status, content_type, body = 404, "text/plain", b"no recorded answer"
        else:
            status = exchange.status
            content_type = exchange.response_headers.get("content-type", "text/plain")
            body = exchange.response_body.encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_PUT = do_POST = do_GET

    def log_message(self, *args):
        pass


class _ReplayServer(socketserver.ThreadingMixIn, HTTPServer):
    daemon_threads = True

    def server_bind(self):
        socketserver.TCPServer.server_bind(self)  # no reverse DNS lookup
        self.server_name, self.server_port = self.server_address[:2]


class Replay(object):
    """A loopback server answering with recorded responses, and a stand-in for
    ecr_login.http_request that sends every request there: it keeps the URL the helper chose,
    picks the recorded exchange (method + path + Action, in recorded order) and tells the
    server which answer to give. sticky: the last recorded answer for a request is given again
    to any later identical request (a resource such as the IMDS role list stays as it is)."""

    def __init__(self, exchanges, sticky=False):
        self.exchanges = exchanges
        self.sticky = sticky
        self.by_number = dict((str(exchange.number), exchange) for exchange in exchanges)
        self.queues = {}
        for exchange in exchanges:
            self.queues.setdefault(exchange.key, []).append(exchange)
        self.sent = []  # (method, url, headers, body, exchange or None)
        self.server = _ReplayServer(("127.0.0.1", 0), _ReplayHandler)
        self.server.replay = self
        self.url = "http://127.0.0.1:%d" % self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.01})
        self.thread.daemon = True
        self.thread.start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(5)

    def transport(self, real_request):
        def request(ctx, method, url, headers, body, timeout, use_proxy=True):
            queue = self.queues.get(request_key(method, url, body or b""))
            exchange = None
            if queue:
                exchange = queue[0] if self.sticky and len(queue) == 1 else queue.pop(0)
            self.sent.append((method, url, dict((name.lower(), value) for name, value in headers.items()),
                              body or b"", exchange))
            parts = urlsplit(url)
            local = self.url + (parts.path or "/") + ("?" + parts.query if parts.query else "")
            headers = dict(headers, **{"X-Replay-Exchange": str(exchange.number) if exchange else "none"})
            return real_request(ctx, method, local, headers, body, timeout, use_proxy=False)

        return request

    def differences(self, inputs):
        """How the requests the helper made differ from the recording. inputs: the case's
        environment values and file contents."""
        found = []
        for method, url, headers, body, exchange in self.sent:
            if exchange is None:
                found.append("unrecorded request %s %s" % (method, url))
                continue
            # What the case gave the helper before this request: its inputs and the earlier answers.
            provided = inputs + "".join(e.response_body for e in self.exchanges if e.number < exchange.number)
            found.extend(request_differences(method, url, headers, body, exchange, provided))
        unused = [exchange for queue in self.queues.values() for exchange in queue]
        found.extend("recorded request %s %s was not made" % (e.method, e.uri) for e in unused)
        return found


def compare_secret_value(name, ours, recorded, provided):
    """A recorded key id or token must be sent as recorded when the case provided it. Some
    recordings were spliced from other runs (ecs_assume_role is signed with the IMDS case's key,
    web_identity_token_source_profile carries another session's token): then the helper must
    send a value the case did provide, i.e. the credentials the chain really got."""
    if recorded in provided:
        return [] if ours == recorded else ["%s %r instead of %r" % (name, ours, recorded)]
    if ours and ours in provided:
        return []
    return ["%s %r, which the case never provided" % (name, ours)]


def request_differences(method, url, headers, body, exchange, provided):
    found = []
    ours, theirs = urlsplit(url), urlsplit(exchange.uri)
    if (ours.scheme, ours.netloc, ours.path or "/") != (theirs.scheme, theirs.netloc, theirs.path or "/"):
        found.append("%s %s instead of %s" % (method, url.split("?")[0], exchange.uri.split("?")[0]))
    if parse_qs(ours.query) != parse_qs(theirs.query):
        found.append("query %r instead of %r" % (ours.query, theirs.query))
    recorded_auth = exchange.headers.get("authorization", "")
    our_auth = headers.get("authorization", "")
    if recorded_auth.startswith("AWS4-HMAC-SHA256") != our_auth.startswith("AWS4-HMAC-SHA256"):
        found.append("%s %s: signed %s instead of %s" % (method, url, bool(our_auth), bool(recorded_auth)))
    elif recorded_auth.startswith("AWS4-HMAC-SHA256"):
        key = lambda value: value.split("Credential=", 1)[1].split("/", 1)[0]  # noqa: E731
        found.extend(compare_secret_value("signing key id", key(our_auth), key(recorded_auth), provided))
    for name in COMPARED_HEADERS:
        if name == "x-amz-security-token" and name in exchange.headers:
            found.extend(compare_secret_value(name, headers.get(name), exchange.headers[name], provided))
        elif headers.get(name) != exchange.headers.get(name):
            found.append("%s: %r instead of %r" % (name, headers.get(name), exchange.headers.get(name)))
    if method == "POST":
        ours_form = parse_qs(body.decode("utf-8") if isinstance(body, bytes) else body)
        theirs_form = parse_qs(exchange.body)
        # Recorded role ARNs, tokens and session names were edited by hand in several cases and
        # no longer match their inputs; the chain's own ARNs are checked by the assume-role suite.
        for name in ("Action", "Version"):
            if ours_form.get(name) != theirs_form.get(name):
                found.append("%s %r instead of %r" % (name, ours_form.get(name), theirs_form.get(name)))
        if sorted(ours_form) != sorted(theirs_form):
            found.append("form fields %s instead of %s" % (sorted(ours_form), sorted(theirs_form)))
    return found


def copy_fs(source, root):
    """The case's virtual filesystem under root, with absolute paths in profiles re-rooted."""
    for directory, _, files in os.walk(source):
        for name in files:
            path = os.path.join(directory, name)
            target = os.path.join(root, os.path.relpath(path, source))
            with open(path, "rb") as handle:
                text = handle.read().decode("utf-8")
            if os.path.basename(target) in ("config", "credentials"):
                text = reroot_profile_paths(text, root)
            write_file(target, text)


def reroot_profile_paths(text, root):
    lines = []
    for line in text.split("\n"):
        key, equals, value = line.partition("=")
        if equals and key.strip().lower() in PATH_KEYS and value.strip().startswith("/"):
            line = "%s= %s" % (key, root + value.strip())
        lines.append(line)
    return "\n".join(lines)


def recorded_env(test, suite, name):
    """(env, the text of every input) of one recorded case, its fs/ copied into a new
    directory that the test removes and its paths rooted there."""
    folder = vectors_dir(*(RS_TEST_DATA + (suite, name)))
    root = make_home(test)
    if os.path.isdir(os.path.join(folder, "fs")):
        copy_fs(os.path.join(folder, "fs"), root)
    env, inputs = {}, ""
    for directory, _, files in os.walk(root):
        for file_name in files:
            with open(os.path.join(directory, file_name), "rb") as handle:
                inputs += handle.read().decode("utf-8") + "\n"
    for variable, value in load_json(os.path.join(folder, "env.json")).items():
        inputs += value + "\n"
        env[variable] = root + value if variable in PATH_VARIABLES and value.startswith("/") else value
    env.setdefault("HOME", os.path.join(root, "home"))  # never the developer's own HOME
    env.update({"AWS_ECR_DISABLE_CACHE": "1", "AWS_ECR_LOG_FILE": "off", "AWS_ECR_RETRY_DELAY": "0.01"})
    if suite == "profile-provider":
        # That suite runs Rust's profile provider alone: no container or IMDS after it.
        env["AWS_EC2_METADATA_DISABLED"] = "true"
    return env, inputs


def recorded_case_names(suite):
    return sorted(os.listdir(vectors_dir(*(RS_TEST_DATA + (suite,)))))


class RecordedVectorsTest(DivergenceAssertions):
    def run_recorded(self, suite, name, extra_env=None):
        """(differences, outcome) of one recorded case."""
        folder = vectors_dir(*(RS_TEST_DATA + (suite, name)))
        case = load_json(os.path.join(folder, "test-case.json"))
        env, inputs = recorded_env(self, suite, name)
        env.update(extra_env or {})

        future = int(time.time()) + FUTURE_OFFSET
        exchanges = []
        if os.path.exists(os.path.join(folder, "http-traffic.json")):
            exchanges = load_exchanges(os.path.join(folder, "http-traffic.json"))
        for exchange in exchanges:
            exchange.response_body = with_future_expiration(exchange.response_body, future)
        replay = Replay(exchanges)
        self.addCleanup(replay.close)

        outcome = self.resolve(suite, env, replay)
        expected = case["result"]
        differences = []
        if "Ok" in expected:
            if outcome[0] == "error":
                differences.append("error: %s" % outcome[1])
            else:
                differences.extend(credential_differences(outcome[1], expected["Ok"], future))
            differences.extend(replay.differences(inputs))
        elif outcome[0] != "error":
            differences.append("credentials %r instead of an error like %r" % (outcome[1], expected["ErrorContains"]))
        return differences, outcome

    def resolve(self, suite, env, replay):
        """("ok", Credentials) or ("error", message): plan and fetch with the SDK's region
        standing in for the registry's (the helper takes its region from the registry host)."""
        try:
            profile = None
            if suite == "profile-provider":
                # Rust's profile provider ignores environment keys, like botocore's
                # Session(profile=...): the helper's equivalent is a selected profile.
                profile = env.get("AWS_PROFILE") or "default"
            ctx = ecr_login.Request(ecr_login.Context(env, profile),
                                    ecr_login.parse_registry("123456789012.dkr.ecr.%s.amazonaws.com" % region_of(env)))
            with mock.patch.object(ecr_login, "http_request", replay.transport(ecr_login.http_request)):
                source = ecr_login.plan_credentials(ctx)
                return "ok", source.fetch(ctx)
        except ecr_login.HelperError as error:
            return "error", str(error)

    def check_suite(self, suite):
        names = recorded_case_names(suite)
        self.assertEqual(len(names), EXPECTED_COUNTS[suite])
        self.check_divergences_exist(
            [case for case in RECORDED_DIVERGENCES if case.startswith(suite + "/")],
            ["%s/%s" % (suite, name) for name in names])
        for name in names:
            key = "%s/%s" % (suite, name)
            with self.subTest(case=key):
                differences, _ = self.run_recorded(suite, name)
                self.check_case(key, differences, RECORDED_DIVERGENCES)
                if key in AGREES_WITH:
                    differences, _ = self.run_recorded(suite, name, AGREES_WITH[key])
                    self.assertEqual(differences, [], "%s with %s" % (key, AGREES_WITH[key]))

    def test_default_credential_provider_chain(self):
        self.check_suite("default-credential-provider-chain")

    def test_profile_provider(self):
        self.check_suite("profile-provider")


# ============================================================================================
# aws-sdk-kotlin's IMDS credentials spec: two successive resolutions against scripted answers
# ============================================================================================


def kotlin_exchanges(case):
    """The spec's GETs as replayable exchanges, plus answers to the token PUTs it leaves out."""
    exchanges = []
    for number, expectation in enumerate(case["expectations"]):
        exchange = Exchange(number)
        exchange.method, exchange.uri = "GET", "http://169.254.169.254" + expectation["get"]
        exchange.status = expectation["response"]["status"]
        body = expectation["response"].get("body", "")
        exchange.response_body = json.dumps(body) if isinstance(body, dict) else body
        exchanges.append(exchange)
    for number in range(len(exchanges), len(exchanges) + 4):
        exchange = Exchange(number)
        exchange.method, exchange.uri, exchange.status = "PUT", "http://169.254.169.254/latest/api/token", 200
        exchange.response_body = "kotlin-spec-token"
        exchanges.append(exchange)
    return exchanges


class KotlinIMDSVectorsTest(DivergenceAssertions):
    def resolve_twice(self, case):
        """The outcome of each of the case's resolutions: "credentials" (with the account id),
        "no credentials" (IMDS is off) or "error"."""
        future = int(time.time()) + FUTURE_OFFSET
        exchanges = kotlin_exchanges(case)
        for exchange in exchanges:
            exchange.response_body = with_future_expiration(exchange.response_body, future)
        # The spec lists the role list once because Kotlin remembers the role between
        # resolutions; the helper (like botocore) asks IMDS again, which answers the same.
        replay = Replay(exchanges, sticky=True)
        self.addCleanup(replay.close)
        env = dict(case["config"].get("envVars") or {}, HOME=make_home(self), AWS_ECR_LOG_FILE="off")
        outcomes = []
        for _ in case["outcomes"]:
            ctx = ecr_login.Request(ecr_login.Context(env))
            source = ecr_login.plan_imds(ctx, "default", True)[0]
            if source is None:
                outcomes.append({"result": "no credentials"})
                continue
            try:
                with mock.patch.object(ecr_login, "http_request", replay.transport(ecr_login.http_request)):
                    credentials = source.fetch(ctx)
            except ecr_login.HelperError:
                outcomes.append({"result": "error"})
                continue
            outcome = {"result": "credentials"}
            if credentials.account_id:
                outcome["accountId"] = credentials.account_id
            outcomes.append(outcome)
        return outcomes

    def test_kotlin_imds_spec(self):
        cases = load_json(vectors_dir(*KOTLIN_IMDS))
        self.assertEqual(len(cases), EXPECTED_COUNTS["kotlin-imds"])
        names = case_names(cases, "summary")
        self.check_divergences_exist(KOTLIN_IMDS_DIVERGENCES, names)
        for name, case in zip(names, cases):
            with self.subTest(case=name):
                # "invalid profile" is Kotlin's error for a role that does not exist.
                expected = [outcome if outcome["result"] != "invalid profile" else {"result": "error"}
                            for outcome in case["outcomes"]]
                actual = self.resolve_twice(case)
                differences = [] if actual == expected else ["%r instead of %r" % (actual, expected)]
                self.check_case(name, differences, KOTLIN_IMDS_DIVERGENCES)


def region_of(env):
    """AWS_REGION, AWS_DEFAULT_REGION, the selected profile's region, else us-east-1."""
    region = env.get("AWS_REGION") or env.get("AWS_DEFAULT_REGION")
    if not region:
        try:
            region = ecr_login.SharedConfig(env).setting("region")
        except ecr_login.HelperError:
            region = None
    return region or "us-east-1"


def credential_differences(credentials, expected, future):
    found = []
    actual = {"access_key_id": credentials.access_key, "secret_access_key": credentials.secret_key,
              "session_token": credentials.token, "account_id": credentials.account_id}
    for name in ("access_key_id", "secret_access_key", "session_token", "account_id"):
        if actual[name] != expected.get(name):
            found.append("%s %r instead of %r" % (name, actual[name], expected.get(name)))
    # Recorded expirations were moved to `future`; one that was not recorded must stay unset.
    if "expiry" in expected and credentials.expiry != future:
        found.append("expiry %r instead of %r (the rewritten recorded value)" % (credentials.expiry, future))
    if "expiry" not in expected and credentials.expiry is not None:
        found.append("an expiry %r where none was expected" % (credentials.expiry,))
    return found


if __name__ == "__main__":
    unittest.main()
