"""Differential test: for a matrix of environments and config files, botocore's credential
chain and the helper's must pick the same credentials, or both fail.

botocore is a dev/CI-only reference and is never imported by the helper. It runs in one child
process for the whole matrix: this interpreter if it has botocore, else the interpreter named by
ECR_LOGIN_REFERENCE_PYTHON (CI points it at a venv with a pinned botocore). Without either the
test is skipped, or fails under CI=true.

Nothing touches the network. IMDS is disabled in every case and no container variables are
set. botocore's STS and SSO calls are answered inside the child by a ``before-send`` hook that
records who signed them and returns canned credentials; the helper only plans its chain (and
runs credential_process, which is local). For role profiles the comparison is therefore the
key that signs the first AssumeRole call plus the roles assumed, in order.
"""

import hashlib
import json
import os
import shlex
import shutil
import subprocess
import sys
import tempfile
import time
import unittest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)

import ecr_login  # noqa: E402
from tests.vectors import skip_or_fail  # noqa: E402

REFERENCE_TIMEOUT = 60
REGISTRY = "123456789012.dkr.ecr.us-west-2.amazonaws.com"
ROLE_A = "arn:aws:iam::210987654321:role/role-a"
ROLE_B = "arn:aws:iam::210987654321:role/role-b"
ROLE_C = "arn:aws:iam::210987654321:role/role-c"
SSO_START_URL = "https://d-1234567890.awsapps.com/start"

PROCESS_SCRIPT = r'''
import json, sys
print(json.dumps({"Version": 1, "AccessKeyId": sys.argv[1], "SecretAccessKey": "process-secret",
                  "SessionToken": "process-token"}))
'''


def keys(name, key):
    return "[%s]\naws_access_key_id = %s\naws_secret_access_key = secret-of-%s\n" % (name, key, key)


def config_keys(name, key):
    return "[profile %s]\naws_access_key_id = %s\naws_secret_access_key = secret-of-%s\n" % (name, key, key)


ENV_KEYS = {"AWS_ACCESS_KEY_ID": "AKIDENV", "AWS_SECRET_ACCESS_KEY": "env-secret"}

# name: {"env": {...}, "config": text, "credentials": text}. "{home}" and "{process}" (a
# credential_process command printing the key id that follows it) are filled in per case.
MATRIX = {
    "env keys": {"env": ENV_KEYS},
    "env keys beat AWS_PROFILE": {"env": dict(ENV_KEYS, AWS_PROFILE="dev"), "credentials": keys("dev", "AKIDDEV")},
    "AWS_PROFILE from the credentials file": {"env": {"AWS_PROFILE": "dev"},
                                              "credentials": keys("default", "AKIDDEFAULT") + keys("dev", "AKIDDEV")},
    "AWS_PROFILE from the config file": {"env": {"AWS_PROFILE": "dev"}, "config": config_keys("dev", "AKIDDEVCONFIG")},
    "default profile": {"credentials": keys("default", "AKIDDEFAULT") + keys("dev", "AKIDDEV")},
    "AWS_DEFAULT_PROFILE alone": {"env": {"AWS_DEFAULT_PROFILE": "dev"},
                                  "credentials": keys("default", "AKIDDEFAULT") + keys("dev", "AKIDDEV")},
    "AWS_PROFILE and AWS_DEFAULT_PROFILE": {"env": {"AWS_PROFILE": "dev", "AWS_DEFAULT_PROFILE": "ops"},
                                            "credentials": keys("dev", "AKIDDEV") + keys("ops", "AKIDOPS")},
    "missing AWS_PROFILE": {"env": {"AWS_PROFILE": "ghost"}, "credentials": keys("default", "AKIDDEFAULT")},
    "missing AWS_PROFILE with env keys": {"env": dict(ENV_KEYS, AWS_PROFILE="ghost")},
    "missing AWS_DEFAULT_PROFILE": {"env": {"AWS_DEFAULT_PROFILE": "ghost"},
                                    "credentials": keys("default", "AKIDDEFAULT")},
    "empty AWS_ACCESS_KEY_ID": {"env": {"AWS_ACCESS_KEY_ID": "", "AWS_SECRET_ACCESS_KEY": "env-secret"},
                                "credentials": keys("default", "AKIDDEFAULT")},
    "[profile x] in the credentials file": {"env": {"AWS_PROFILE": "dev"},
                                            "credentials": keys("profile dev", "AKIDPREFIXED")},
    "access key without secret": {"env": {"AWS_ACCESS_KEY_ID": "AKIDENV"}, "credentials": keys("default", "AKIDDEF")},
    "secret without access key": {"env": {"AWS_SECRET_ACCESS_KEY": "env-secret"},
                                  "credentials": keys("default", "AKIDDEFAULT")},
    "credentials file beats config file": {"env": {"AWS_PROFILE": "dev"}, "credentials": keys("dev", "AKIDCREDS"),
                                           "config": config_keys("dev", "AKIDCONFIG")},
    "partial keys in the credentials file": {"env": {"AWS_PROFILE": "dev"},
                                             "credentials": "[dev]\naws_access_key_id = AKIDHALF\n"},
    "role with a static source_profile": {
        "env": {"AWS_PROFILE": "dev"}, "credentials": keys("base", "AKIDBASE"),
        "config": "[profile dev]\nrole_arn = %s\nsource_profile = base\n" % ROLE_A},
    "role chain three deep": {
        "env": {"AWS_PROFILE": "a"},
        "config": "[profile a]\nrole_arn = %s\nsource_profile = b\n[profile b]\nrole_arn = %s\nsource_profile = c\n"
                  "[profile c]\nrole_arn = %s\nsource_profile = d\n" % (ROLE_A, ROLE_B, ROLE_C)
                  + config_keys("d", "AKIDROOT")},
    "role source with keys and a role": {
        "env": {"AWS_PROFILE": "a"},
        "config": "[profile a]\nrole_arn = %s\nsource_profile = b\n[profile b]\nrole_arn = %s\nsource_profile = c\n"
                  "aws_access_key_id = AKIDB\naws_secret_access_key = b-secret\n" % (ROLE_A, ROLE_B)
                  + config_keys("c", "AKIDC")},
    "role self-sourcing with keys": {
        "env": {"AWS_PROFILE": "dev"}, "credentials": keys("dev", "AKIDSELF"),
        "config": "[profile dev]\nrole_arn = %s\nsource_profile = dev\n" % ROLE_A},
    "role self-sourcing without keys": {
        "env": {"AWS_PROFILE": "dev"}, "config": "[profile dev]\nrole_arn = %s\nsource_profile = dev\n" % ROLE_A},
    "role cycle": {
        "env": {"AWS_PROFILE": "a"},
        "config": "[profile a]\nrole_arn = %s\nsource_profile = b\n[profile b]\nrole_arn = %s\nsource_profile = a\n"
                  % (ROLE_A, ROLE_B)},
    "role beats static keys in the same profile": {
        "env": {"AWS_PROFILE": "dev"}, "credentials": keys("dev", "AKIDDEVKEYS") + keys("base", "AKIDBASE"),
        "config": "[profile dev]\nrole_arn = %s\nsource_profile = base\n" % ROLE_A},
    "role without a source": {"env": {"AWS_PROFILE": "dev"}, "config": "[profile dev]\nrole_arn = %s\n" % ROLE_A},
    "role with a missing source_profile": {
        "env": {"AWS_PROFILE": "dev"}, "config": "[profile dev]\nrole_arn = %s\nsource_profile = ghost\n" % ROLE_A},
    "role with source_profile and credential_source": {
        "env": {"AWS_PROFILE": "dev"}, "credentials": keys("base", "AKIDBASE"),
        "config": "[profile dev]\nrole_arn = %s\nsource_profile = base\ncredential_source = Environment\n" % ROLE_A},
    "credential_source Environment under AWS_PROFILE": {
        "env": dict(ENV_KEYS, AWS_PROFILE="dev"),
        "config": "[profile dev]\nrole_arn = %s\ncredential_source = Environment\n" % ROLE_A},
    "credential_process": {"env": {"AWS_PROFILE": "dev"},
                           "config": "[profile dev]\ncredential_process = {process} AKIDPROCESS\n"},
    "credentials file beats credential_process": {
        "env": {"AWS_PROFILE": "dev"}, "credentials": keys("dev", "AKIDCREDS"),
        "config": "[profile dev]\ncredential_process = {process} AKIDPROCESS\n"},
    "credential_process beats config file keys": {
        "env": {"AWS_PROFILE": "dev"},
        "config": "[profile dev]\ncredential_process = {process} AKIDPROCESS\naws_access_key_id = AKIDCONFIG\n"
                  "aws_secret_access_key = config-secret\n"},
    "web identity from the environment": {
        "env": {"AWS_ROLE_ARN": ROLE_A, "AWS_WEB_IDENTITY_TOKEN_FILE": "{home}/token.jwt",
                "AWS_ROLE_SESSION_NAME": "pod"}},
    "role profile beats web identity env": {
        "env": {"AWS_ROLE_ARN": ROLE_B, "AWS_WEB_IDENTITY_TOKEN_FILE": "{home}/token.jwt"},
        "credentials": keys("base", "AKIDBASE"),
        "config": "[default]\nrole_arn = %s\nsource_profile = base\n" % ROLE_A},
    "web identity profile": {
        "env": {"AWS_PROFILE": "wi"},
        "config": "[profile wi]\nrole_arn = %s\nweb_identity_token_file = {home}/token.jwt\n" % ROLE_C},
    "SSO legacy profile": {
        "env": {"AWS_PROFILE": "sso"},
        "config": "[profile sso]\nsso_start_url = %s\nsso_region = us-east-2\nsso_account_id = 111122223333\n"
                  "sso_role_name = Deployer\n" % SSO_START_URL},
    "nothing configured": {},
    # botocore AssumeRoleProvider._resolve_credentials_from_profile: a source profile with keys, or
    # without a role, resolves through ProfileProviderBuilder.providers (web identity, SSO,
    # credentials file, process, config file), each provider reading its own file only.
    "source keys in the credentials file, token only in the config file": {
        "env": {"AWS_PROFILE": "dev"}, "credentials": keys("base", "AKIDBASE"),
        "config": "[profile base]\naws_session_token = config-only-token\n"
                  "[profile dev]\nrole_arn = %s\nsource_profile = base\n" % ROLE_A},
    "source profile with SSO settings and static keys": {
        "env": {"AWS_PROFILE": "dev"},
        "config": "[profile base]\nsso_start_url = %s\nsso_region = us-east-2\nsso_account_id = 111122223333\n"
                  "sso_role_name = Deployer\naws_access_key_id = AKIDBASESSO\naws_secret_access_key = s\n"
                  "[profile dev]\nrole_arn = %s\nsource_profile = base\n" % (SSO_START_URL, ROLE_A)},
    "source profile with credential_process and config-file keys": {
        "env": {"AWS_PROFILE": "dev"},
        "config": "[profile base]\ncredential_process = {process} AKIDBASEPROCESS\naws_access_key_id = AKIDBASECFG\n"
                  "aws_secret_access_key = s\n[profile dev]\nrole_arn = %s\nsource_profile = base\n" % ROLE_A},
    "source profile with only a secret key and a role": {
        "env": {"AWS_PROFILE": "dev"}, "credentials": "[base]\naws_secret_access_key = lone-secret\n",
        "config": "[profile base]\nrole_arn = %s\nsource_profile = root\n[profile dev]\nrole_arn = %s\n"
                  "source_profile = base\n" % (ROLE_B, ROLE_A) + config_keys("root", "AKIDROOT")},
    # botocore SharedCredentialProvider/ConfigProvider.TOKENS and EnvProvider.TOKENS: the
    # security token name is looked up first.
    "aws_security_token beats aws_session_token": {
        "credentials": keys("default", "AKIDTOKENS") + "aws_session_token = session-token\n"
                                                       "aws_security_token = security-token\n"},
    # botocore/configloader.py _parse_section: a config header is split like shlex.split.
    "quoted profile name": {"env": {"AWS_PROFILE": "personal"},
                            "config": '[profile "personal"]\naws_access_key_id = AKIDQUOTED\naws_secret_access_key = s\n'},
    "quoted profile name with a space": {
        "env": {"AWS_PROFILE": "my name"},
        "config": "[profile 'my name']\naws_access_key_id = AKIDSPACED\naws_secret_access_key = s\n"},
    "non-ASCII profile name": {"env": {"AWS_PROFILE": "pr\u00f8d"},
                               "config": config_keys("pr\u00f8d", "AKIDNONASCII")},
    "credentials-file name with a space": {"env": {"AWS_PROFILE": "my name"},
                                           "credentials": keys("my name", "AKIDCREDSPACE")},
    "unquoted profile name with a space": {"env": {"AWS_PROFILE": "a b"}, "config": config_keys("a b", "AKIDAB")},
    "AWS_SECURITY_TOKEN beats AWS_SESSION_TOKEN": {
        "env": dict(ENV_KEYS, AWS_SESSION_TOKEN="env-session-token", AWS_SECURITY_TOKEN="env-security-token")},
}

# Cases where the helper deliberately differs from botocore: name -> (reason, helper's pick, botocore's pick).
EXPECTED_DIFFERENCES = {
    "AWS_PROFILE and AWS_DEFAULT_PROFILE": (
        "the helper reads AWS_PROFILE before AWS_DEFAULT_PROFILE, as the Go helper and every other SDK do; "
        "botocore reads AWS_DEFAULT_PROFILE first",
        ["keys", "AKIDDEV", None], ["keys", "AKIDOPS", None]),
}

# Runs under the reference interpreter: {case: env} on stdin, {case: outcome} on stdout.
REFERENCE_SCRIPT = r'''
import json, os, sys
from urllib.parse import parse_qs, urlsplit

import botocore.credentials
import botocore.session
import botocore.tokens
from botocore.awsrequest import AWSResponse

STS_NS = "https://sts.amazonaws.com/doc/2011-06-15/"


class Raw(object):
    def __init__(self, body):
        self.body = body

    def stream(self, **kwargs):
        yield self.body


def text(value):
    return value.decode("utf-8") if isinstance(value, bytes) else (value or "")


def outcome(env):
    os.environ.clear()
    os.environ.update(env)
    # botocore expands ~/.aws/sso/cache once, at import: point it at this case's HOME.
    sso_cache = os.path.join(env["HOME"], ".aws", "sso", "cache")
    for module in (botocore.credentials.SSOProvider, getattr(botocore.tokens, "SSOTokenProvider", None)):
        if module is not None and hasattr(module, "_SSO_TOKEN_CACHE_DIR"):
            module._SSO_TOKEN_CACHE_DIR = sso_cache
    calls = []

    def before_send(request, **kwargs):
        authorization = text(request.headers.get("Authorization"))
        signer = authorization.split("Credential=", 1)[1].split("/", 1)[0] if "Credential=" in authorization else None
        url = urlsplit(request.url)
        number = len(calls) + 1
        key = "ASIABOTOCORE%04d" % number
        if url.path.endswith("/federation/credentials"):
            query = parse_qs(url.query)
            calls.append({"action": "GetRoleCredentials", "signer": signer,
                          "account": query["account_id"][0], "role": query["role_name"][0],
                          "token": text(request.headers.get("x-amz-sso_bearer_token"))})
            body = json.dumps({"roleCredentials": {"accessKeyId": key, "secretAccessKey": "s", "sessionToken": "t",
                                                   "expiration": 4102444800000}}).encode()
            return AWSResponse(request.url, 200, {"Content-Type": "application/json"}, Raw(body))
        form = parse_qs(text(request.body))
        action = form["Action"][0]
        calls.append({"action": action, "signer": signer, "role_arn": form["RoleArn"][0],
                      "token": text(request.headers.get("X-Amz-Security-Token")) or None})
        body = ('<{0}Response xmlns="{1}"><{0}Result><AssumedRoleUser><AssumedRoleId>AROA:x</AssumedRoleId>'
                '<Arn>arn:aws:sts::210987654321:assumed-role/r/x</Arn></AssumedRoleUser><Credentials>'
                '<AccessKeyId>{2}</AccessKeyId><SecretAccessKey>s</SecretAccessKey><SessionToken>t</SessionToken>'
                '<Expiration>2100-01-01T00:00:00Z</Expiration></Credentials></{0}Result></{0}Response>'
                ).format(action, STS_NS, key).encode()
        return AWSResponse(request.url, 200, {"Content-Type": "text/xml"}, Raw(body))

    try:
        session = botocore.session.Session()
        session.register("before-send", before_send)
        credentials = session.get_credentials()
        if credentials is None:
            return {"error": "no credentials"}
        frozen = credentials.get_frozen_credentials()
        return {"method": credentials.method, "access_key": frozen.access_key, "token": frozen.token or None,
                "calls": calls}
    except Exception as error:
        return {"error": "%s: %s" % (type(error).__name__, str(error)[:300])}


cases = json.loads(sys.stdin.read())
json.dump(dict((name, outcome(env)) for name, env in cases.items()), sys.stdout)
'''

BOTOCORE_KINDS = {
    "env": "keys", "shared-credentials-file": "keys", "config-file": "keys", "custom-process": "keys",
    "assume-role": "assume-role", "assume-role-with-web-identity": "web-identity", "sso": "sso",
}


def reference_python():
    """The interpreter that has botocore: this one, or $ECR_LOGIN_REFERENCE_PYTHON; else None."""
    try:
        import botocore  # noqa: F401

        return sys.executable
    except ImportError:
        pass
    python = os.environ.get("ECR_LOGIN_REFERENCE_PYTHON", "").strip()
    return python or None


def run_reference(python, cases):
    """{case: outcome} from botocore in a child process."""
    env = {"PATH": os.environ.get("PATH", os.defpath), "LANG": "C.UTF-8", "HOME": tempfile.gettempdir()}
    if os.name == "nt" and "SYSTEMROOT" in os.environ:
        env["SYSTEMROOT"] = os.environ["SYSTEMROOT"]
    process = subprocess.Popen([python, "-c", REFERENCE_SCRIPT], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, env=env)
    try:
        out, err = process.communicate(json.dumps(cases).encode("utf-8"), timeout=REFERENCE_TIMEOUT)
    except subprocess.TimeoutExpired:
        process.kill()
        process.communicate()
        raise AssertionError("the botocore reference did not finish within %d s" % REFERENCE_TIMEOUT)
    if process.returncode != 0:
        raise AssertionError("the botocore reference (%s) failed: %s" % (python, err.decode("utf-8", "replace")))
    return json.loads(out.decode("utf-8"))


def botocore_pick(outcome):
    """What botocore picked, in the comparable form [kind, details...]."""
    if "error" in outcome:
        return ["error"]
    kind = BOTOCORE_KINDS.get(outcome["method"], outcome["method"])
    calls = outcome["calls"]
    if kind == "keys":
        return ["keys", outcome["access_key"], outcome["token"]]
    if kind == "assume-role":
        first = calls[0]
        source = ["sso", first["account"], first["role"]] if first["action"] == "GetRoleCredentials" else \
            [first["signer"], first["token"]]
        return ["assume-role", source, [call["role_arn"] for call in calls if "role_arn" in call]]
    if kind == "web-identity":
        return ["web-identity", calls[0]["signer"], calls[0]["role_arn"]]
    if kind == "sso":
        return ["sso", calls[0]["signer"], calls[0]["account"], calls[0]["role"], calls[0]["token"]]
    return [kind]


def helper_pick(ctx):
    """What the helper picks, in the same form; credential_process is run, nothing else."""
    try:
        source = ecr_login.plan_credentials(ctx)
        if isinstance(source, (ecr_login.StaticSource, ecr_login.ProcessSource)):
            credentials = source.fetch(ctx)
            return ["keys", credentials.access_key, credentials.token]
        if isinstance(source, ecr_login.AssumeRoleSource):
            roles = []
            while isinstance(source, ecr_login.AssumeRoleSource):
                roles.insert(0, source.role_arn)
                source = source.source
            if isinstance(source, ecr_login.WebIdentitySource):
                return ["assume-role", [None, None], [source.role_arn] + roles]  # the first call is unsigned
            if isinstance(source, ecr_login.SSOSource):
                return ["assume-role", ["sso", source.account_id, source.role_name], roles]
            credentials = source.fetch(ctx)  # static keys or credential_process
            return ["assume-role", [credentials.access_key, credentials.token], roles]
    except ecr_login.HelperError:
        return ["error"]
    if isinstance(source, ecr_login.WebIdentitySource):
        return ["web-identity", None, source.role_arn]
    if isinstance(source, ecr_login.SSOSource):
        with open(ecr_login.sso_token_path(ctx, source)) as handle:
            token = json.load(handle)["accessToken"]
        return ["sso", None, source.account_id, source.role_name, token]
    # botocore's method names for the last two providers
    return ["container-role" if isinstance(source, ecr_login.ContainerSource) else "iam-role"]


def matrix_envs(root):
    """{case: env} for MATRIX, each case with its own HOME under root (its files, a web
    identity token and a live SSO token cache entry)."""
    envs = {}
    script = os.path.join(root, "process script", "creds.py")
    os.makedirs(os.path.dirname(script))
    with open(script, "w") as handle:
        handle.write(PROCESS_SCRIPT)
    process = " ".join(shlex.quote(word) for word in (sys.executable, "-S", script))  # -S: no site start-up cost
    for number, (name, case) in enumerate(sorted(MATRIX.items())):
        home = os.path.join(root, "home%02d" % number)
        os.makedirs(os.path.join(home, ".aws", "sso", "cache"))

        def fill(text):
            return text.replace("{home}", home).replace("{process}", process)

        for file_name in ("config", "credentials"):
            if file_name in case:
                with open(os.path.join(home, ".aws", file_name), "w", encoding="utf-8") as handle:
                    handle.write(fill(case[file_name]))
        with open(os.path.join(home, "token.jwt"), "w") as handle:
            handle.write("web-identity-token")
        cache = os.path.join(home, ".aws", "sso", "cache", hashlib.sha1(SSO_START_URL.encode()).hexdigest() + ".json")
        with open(cache, "w") as handle:
            json.dump({"accessToken": "sso-access-token", "expiresAt": time.strftime(
                "%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() + 7200)), "region": "us-east-2",
                "startUrl": SSO_START_URL}, handle)
        env = {"HOME": home, "AWS_EC2_METADATA_DISABLED": "true", "AWS_DEFAULT_REGION": "us-west-2",
               "AWS_ENDPOINT_URL": "http://127.0.0.1:9", "AWS_MAX_ATTEMPTS": "1",
               "AWS_ECR_LOG_FILE": "off", "AWS_ECR_DISABLE_CACHE": "1"}
        env.update(dict((key, fill(value)) for key, value in case.get("env", {}).items()))
        envs[name] = env
    return envs


class BotocoreChainTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.python = reference_python()
        cls.root = tempfile.mkdtemp(prefix="ecr-login-botocore-")
        cls.envs = matrix_envs(cls.root)
        cls.reference = None
        if cls.python is not None:
            try:
                cls.reference = run_reference(cls.python, cls.envs)
            except Exception:
                shutil.rmtree(cls.root, True)
                raise

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.root, True)

    def setUp(self):
        if self.python is None:
            skip_or_fail("botocore is not importable and ECR_LOGIN_REFERENCE_PYTHON is not set; "
                         "the botocore differential test needs one of them")

    def helper(self, name):
        ctx = ecr_login.Request(ecr_login.Context(dict(self.envs[name])), ecr_login.parse_registry(REGISTRY))
        return helper_pick(ctx)

    def test_matrix_is_large_enough(self):
        self.assertGreaterEqual(len(MATRIX), 15)
        self.assertEqual(sorted(set(EXPECTED_DIFFERENCES) - set(MATRIX)), [])

    def test_same_credentials_or_both_fail(self):
        for name in sorted(MATRIX):
            with self.subTest(case=name):
                ours, theirs = self.helper(name), botocore_pick(self.reference[name])
                if name in EXPECTED_DIFFERENCES:
                    reason, expected_ours, expected_theirs = EXPECTED_DIFFERENCES[name]
                    self.assertEqual((ours, theirs), (expected_ours, expected_theirs), reason)
                else:
                    self.assertEqual(ours, theirs, "helper %r, botocore %r" % (ours, self.reference[name]))

    def test_every_kind_of_source_is_compared(self):
        kinds = set(botocore_pick(outcome)[0] for outcome in self.reference.values())
        self.assertEqual(kinds, {"keys", "assume-role", "web-identity", "sso", "error"})


if __name__ == "__main__":
    unittest.main()
