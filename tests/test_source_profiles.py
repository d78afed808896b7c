"""Source profiles resolved as botocore resolves them, end to end, and doctor reporting the
chain's own decisions.

The cases are facts read from botocore/credentials.py (AssumeRoleProvider.
_resolve_credentials_from_profile and ProfileProviderBuilder.providers): a source profile that
has static keys in either file, or no role of its own, is resolved through the profile
providers in order (web identity, SSO, credentials-file keys, credential_process, config-file
keys), each of which reads its own file only; a source profile with only a role is assumed in
turn. tests/test_botocore_chain.py runs the same configurations through botocore itself; here
the fake STS records which key and session token signed the AssumeRole call, so the cases
also run where botocore is not installed.
"""

import io
import os
import sys
import unittest
from unittest import mock

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)

import ecr_login  # noqa: E402
from tests.fakeaws import FakeAWS  # noqa: E402
from tests.helpers import DEAD_ENDPOINT, PROGRAM, clean_env, make_home, python_command, run_main, write_file  # noqa
from tests.test_botocore_chain import matrix_envs  # noqa: E402
from tests.test_vectors_chain import (  # noqa: E402
    RECORDED_SUITES, assume_role_cases, assume_role_env, recorded_case_names, recorded_env)

REGISTRY = "123456789012.dkr.ecr.eu-west-1.amazonaws.com"
ROLE = "arn:aws:iam::123456789012:role/deployer"
ROLE_BASE = "arn:aws:iam::123456789012:role/base-role"
SSO_START_URL = "https://d-1234567890.awsapps.com/start"
PROCESS = '''import json
print(json.dumps({"Version": 1, "AccessKeyId": "AKIDBASEPROCESS00001", "SecretAccessKey": "base-process-secret",
                  "SessionToken": "base-process-token"}))
'''
DEV = "[profile dev]\nrole_arn = %s\nsource_profile = base\n" % ROLE

# name: (credentials file, config file, what signs AssumeRole: (key id, session token) or
# "sso" for the SSO role credentials). Each case cites the botocore fact it checks.
CASES = {
    # SharedCredentialProvider reads key, secret and token from the credentials file only; the
    # config file's aws_session_token belongs to ConfigProvider, which is never reached.
    "credentials-file keys never take the config file's token": (
        "[base]\naws_access_key_id = AKIDBASEFILE00000001\naws_secret_access_key = base-file-secret\n",
        "[profile base]\naws_session_token = config-only-token\n" + DEV,
        ("AKIDBASEFILE00000001", None)),
    # SSOProvider comes before both key providers.
    "SSO settings beat static keys in the source profile": (
        "",
        "[profile base]\nsso_start_url = %s\nsso_region = us-east-2\nsso_account_id = 111122223333\n"
        "sso_role_name = Deployer\naws_access_key_id = AKIDBASESSO000000001\naws_secret_access_key = s\n%s"
        % (SSO_START_URL, DEV),
        "sso"),
    # ProcessProvider comes before ConfigProvider.
    "credential_process beats config-file keys in the source profile": (
        "",
        "[profile base]\ncredential_process = {process}\naws_access_key_id = AKIDBASECFG000000001\n"
        "aws_secret_access_key = s\n" + DEV,
        ("AKIDBASEPROCESS00001", "base-process-token")),
    # _has_static_credentials is true, so the source profile's own role_arn is not assumed.
    "keys in the source profile win over its own role": (
        "[base]\naws_access_key_id = AKIDBASEKEYS00000001\naws_secret_access_key = base-keys-secret\n"
        "aws_session_token = base-keys-token\n",
        "[profile base]\nrole_arn = %s\nsource_profile = root\n[profile root]\naws_access_key_id = AKIDROOT\n"
        "aws_secret_access_key = r\n%s" % (ROLE_BASE, DEV),
        ("AKIDBASEKEYS00000001", "base-keys-token")),
    # SharedCredentialProvider.TOKENS: aws_security_token is looked up before aws_session_token.
    "aws_security_token is read before aws_session_token": (
        "[base]\naws_access_key_id = AKIDBASETOKENS000001\naws_secret_access_key = t\n"
        "aws_session_token = session-name-token\naws_security_token = security-name-token\n",
        DEV,
        ("AKIDBASETOKENS000001", "security-name-token")),
}


class SourceProfileTest(unittest.TestCase):
    def setUp(self):
        self.fake = FakeAWS()
        self.addCleanup(self.fake.close)

    def run_case(self, credentials, config):
        home = make_home(self)
        script = write_file(os.path.join(home, "process.py"), PROCESS)
        config = config.replace("{process}", python_command(script))
        if credentials:
            write_file(os.path.join(home, ".aws", "credentials"), credentials)
        write_file(os.path.join(home, ".aws", "config"), config)
        if "sso_start_url" in config:
            import hashlib
            import json

            write_file(os.path.join(home, ".aws", "sso", "cache", hashlib.sha1(SSO_START_URL.encode()).hexdigest()
                                    + ".json"), json.dumps({"accessToken": "source-sso-token",
                                                            "expiresAt": "2099-01-01T00:00:00Z"}))
        env = clean_env(home, self.fake, AWS_PROFILE="dev", AWS_ECR_RETRY_DELAY="0.01")
        stdout, stderr = io.BytesIO(), io.BytesIO()
        code = ecr_login.main([ecr_login.PROGRAM, "get"], env, stdin=io.BytesIO(REGISTRY.encode()),
                              stdout=stdout, stderr=stderr)
        return code, stderr.getvalue().decode("utf-8")

    def test_source_profiles_as_botocore_resolves_them(self):
        for name, (credentials, config, signer) in sorted(CASES.items()):
            with self.subTest(name):
                self.fake.clear()
                code, err = self.run_case(credentials, config)
                self.assertEqual((code, err), (0, ""))
                (assume,) = self.fake.find("sts", "AssumeRole")
                self.assertEqual(assume.form["RoleArn"], ROLE)
                if signer == "sso":
                    (sso,) = self.fake.find("sso", "GetRoleCredentials")
                    self.assertEqual((sso.query["account_id"], sso.query["role_name"]), ("111122223333", "Deployer"))
                    minted = self.fake.access_key_ids[0]
                    signer = (minted, self.fake.credentials[minted][1])
                self.assertEqual((assume.auth["access_key_id"], assume.headers.get("x-amz-security-token")), signer)


class DoctorChainTest(unittest.TestCase):
    """doctor's list of sources is the chain's own walk: the line of the source it picked says
    what it picked, no line contradicts the outcome, and nothing after the pick is listed."""

    PROFILES = {
        "static keys in the credentials file": ("[dev]\naws_access_key_id = AKIDDOCTOR0000000001\n"
                                                "aws_secret_access_key = s\n", ""),
        "SSO profile missing its start URL": ("", "[profile dev]\nsso_account_id = 111122223333\n"
                                                  "sso_role_name = Deployer\n"),
        "token-only sso-session profile": ("", "[profile dev]\nsso_session = corp\n[sso-session corp]\n"
                                               "sso_region = us-east-1\nsso_start_url = %s\n" % SSO_START_URL),
        "role from a source profile": ("[base]\naws_access_key_id = AKIDDOCTORBASE000001\naws_secret_access_key = s\n",
                                       DEV),
        "credential_process": ("", "[profile dev]\ncredential_process = /bin/true\n"),
    }

    def doctor(self, credentials, config):
        home = make_home(self)
        if credentials:
            write_file(os.path.join(home, ".aws", "credentials"), credentials)
        write_file(os.path.join(home, ".aws", "config"), config or "[profile dev]\n")
        env = clean_env(home, None, AWS_PROFILE="dev")
        stdout = io.BytesIO()
        ecr_login.main([ecr_login.PROGRAM, "doctor"], env, stdin=io.BytesIO(b""), stdout=stdout,
                       stderr=io.BytesIO())
        lines = stdout.getvalue().decode("utf-8").splitlines()
        start = lines.index("credential sources, in the order they are tried:") + 1
        end = next(i for i in range(start, len(lines)) if lines[i].startswith("  => "))
        ctx = ecr_login.Request(ecr_login.Context(env))
        try:
            outcome = ecr_login.plan_credentials(ctx).describe()
        except ecr_login.HelperError as error:
            outcome = str(error)
        return lines[start:end], lines[end][len("  => "):], outcome

    def test_the_report_is_the_walk_of_the_chain(self):
        for name, (credentials, config) in sorted(self.PROFILES.items()):
            with self.subTest(name):
                tried, verdict, outcome = self.doctor(credentials, config)
                self.assertEqual(verdict, outcome)
                self.assertTrue(tried, "no source listed")
                names = [line.split("  ")[1] for line in tried]
                self.assertEqual(len(names), len(set(names)), tried)
                if "configured for SSO" in verdict:  # a broken SSO profile: never "SSO not in profile"
                    self.assertFalse([line for line in tried if line.split()[0] == "SSO"], tried)
                elif not verdict.startswith("no AWS credentials"):
                    self.assertTrue(tried[-1].endswith(verdict), (tried, verdict))
                if "token-only" in name:
                    (sso_line,) = [line for line in tried if line.split()[0] == "SSO"]
                    self.assertIn("token-only", sso_line)
                    self.assertIn("no AWS credentials found", verdict)


class DoctorAgreesWithGetTest(unittest.TestCase):
    """doctor cannot disagree with get: over every credential-chain vector the suite uses
    (tests/test_botocore_chain.py's matrix, smithy-rs's assume-role cases and its recorded
    chains), the source on doctor's "=>" line is the one a get hands to fetch_token, and when
    the get fails before that, doctor's line is its reason. Nothing is fetched: fetch_token
    notes the source and fails, and any HTTP request is noted and refused."""

    def vectors(self):
        """[(case name, env, the helper's name)] of every vector."""
        cases = [("botocore: " + name, env, PROGRAM) for name, env in sorted(matrix_envs(make_home(self)).items())]
        cases += [("assume-role: " + name, assume_role_env(self, case), PROGRAM) for name, case in assume_role_cases()]
        for suite in RECORDED_SUITES:
            for name in recorded_case_names(suite):
                env = recorded_env(self, suite, name)[0]
                if env.get("AWS_EC2_METADATA_DISABLED") != "true":
                    env["AWS_EC2_METADATA_SERVICE_ENDPOINT"] = DEAD_ENDPOINT
                # That suite runs Rust's profile provider alone: the helper's is a chosen profile.
                chosen = "-" + (env.get("AWS_PROFILE") or "default") if suite == "profile-provider" else ""
                cases.append(("%s: %s" % (suite, name), env, PROGRAM + chosen))
        return cases

    def test_doctor_names_the_source_get_uses(self):
        fetched, requests = [], []

        def note_fetch(request, source, stale_entry):
            fetched.append(source.describe())
            raise ecr_login.CredentialsError("stopped before fetching")

        def refuse_request(request, method, url, *args, **kwargs):
            requests.append(url)
            raise ecr_login.AWSError("no request may leave this test")

        outcomes = {"fetched": 0, "failed": 0}
        for name, env, program in self.vectors():
            with self.subTest(case=name), mock.patch.object(ecr_login, "fetch_token", note_fetch), \
                    mock.patch.object(ecr_login, "http_request", refuse_request):
                del fetched[:]
                got = run_main(["get"], dict(env), REGISTRY, program)
                by_get = list(fetched)
                doctor = run_main(["doctor", REGISTRY], dict(env), "", program)
                verdicts = [line[len("  => "):] for line in doctor.out.splitlines() if line.startswith("  => ")]
                self.assertEqual(len(verdicts), 1, doctor)
                if by_get:
                    self.assertEqual(by_get, verdicts, (got, doctor))
                    self.assertIn(fetched[1:], ([], verdicts))  # doctor's own try, when it makes one
                else:
                    self.assertIn(verdicts[0], got.err)
                outcomes["fetched" if by_get else "failed"] += 1
                self.assertEqual(requests, [])
        self.assertGreater(min(outcomes.values()), 20, outcomes)


class EnvironmentBeatsProfileTest(unittest.TestCase):
    """A setting given in the environment wins without the profile's value being parsed at
    all (botocore reads the environment first and stops there): a malformed
    metadata_service_timeout in the profile must not break IMDS when the variable is set."""

    def plan(self, **extra):
        home = make_home(self)
        write_file(os.path.join(home, ".aws", "config"),
                   "[default]\nmetadata_service_timeout = abc\nmetadata_service_num_attempts = many\n")
        env = clean_env(home, None, AWS_EC2_METADATA_DISABLED=None, **extra)
        return ecr_login.plan_credentials(ecr_login.Request(ecr_login.Context(env)))

    def test_environment_values_win_unparsed_profile_values(self):
        source = self.plan(AWS_METADATA_SERVICE_TIMEOUT="0.5", AWS_METADATA_SERVICE_NUM_ATTEMPTS="2")
        self.assertEqual((source.timeout, source.attempts), (0.5, 2))

    def test_without_the_variable_the_profile_value_is_an_error_naming_it(self):
        with self.assertRaises(ecr_login.ConfigError) as raised:
            self.plan(AWS_METADATA_SERVICE_TIMEOUT=None, AWS_METADATA_SERVICE_NUM_ATTEMPTS="2")
        self.assertIn("metadata_service_timeout", str(raised.exception))


if __name__ == "__main__":
    unittest.main()
