"""A cached token never outlives the credentials that minted it.

ECR's expiresAt always says 12 hours, but ECR refuses a token once the temporary credentials
that minted it have expired (kaniko #3199, IRSA: "Your Authorization Token is invalid" after an
hour; bazel-contrib/rules_img #715). The cache is keyed on the credential source, so a warm get
resolves no credentials and would otherwise serve such a token for 6 hours.

Each case runs the helper in this process with a clock the test controls (time.time and
time.time_ns patched here; the shipped code has no clock override), with credentials that
expire 20 minutes out, and checks that:
- the cache entry's ExpiresAt is the credentials' expiry (so the Go helper reading cache.json
  never serves it longer either) and TokenExpiresAt keeps ECR's own;
- 10 minutes later the token is still served from the cache, with no call at all;
- 16 minutes later (past the expiry less the 5-minute margin) the credentials are fetched
  again and ECR is asked for a new token.
Static keys, which do not expire, keep the half-life rule of the 12-hour token.
"""

import io
import json
import os
import sys
import time
import unittest
from unittest import mock

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)

import ecr_login  # noqa: E402
from tests.fakeaws import iso8601  # noqa: E402
from tests.helpers import HelperCase, python_command, write_file  # noqa: E402

REGION = "eu-west-1"
REGISTRY = "123456789012.dkr.ecr.%s.amazonaws.com" % REGION
ROLE = "arn:aws:iam::123456789012:role/puller"
BASE_KEY, BASE_SECRET = "AKIDLIFETIMEBASE0001", "lifetime-base-secret"
ENV_KEY, ENV_SECRET, ENV_TOKEN = "ASIALIFETIMEENV00001", "lifetime-env-secret", "lifetime-env-token"
CREDENTIALS_LIFETIME = 20 * 60
STILL_CACHED = 10 * 60   # well before the expiry less the margin
PAST_MARGIN = 16 * 60    # past 20 min - 5 min
# credential_process: prints the document the test wrote, and counts its runs.
PROCESS_SCRIPT = '''import sys
with open(sys.argv[2], "a") as runs:
    runs.write("run\\n")
with open(sys.argv[1]) as document:
    sys.stdout.write(document.read())
'''


class Clock(object):
    """The real time plus an offset the test moves forward."""

    def __init__(self):
        self.real = time.time
        self.offset = 0.0

    def time(self):
        return self.real() + self.offset

    def time_ns(self):
        return int(self.time() * 1e9)

    def advance(self, seconds):
        self.offset += seconds


class TokenLifetimeTest(HelperCase):
    registry = REGISTRY

    def setUp(self):
        self.clock = Clock()
        self.fake_options = {"clock": self.clock.time}
        super().setUp()
        for name in ("sts_lifetime", "sso_lifetime", "container_lifetime", "imds_lifetime"):
            setattr(self.fake, name, CREDENTIALS_LIFETIME)
        patches = [mock.patch.object(time, "time", self.clock.time)]
        if hasattr(time, "time_ns"):
            patches.append(mock.patch.object(time, "time_ns", self.clock.time_ns))
        for patch in patches:
            patch.start()
            self.addCleanup(patch.stop)

    def assert_served(self, env):
        code, out, err = self.get(env=env)
        self.assertEqual((code, err), (0, ""), out)
        self.assertIn(json.loads(out)["Secret"], self.fake.minted)

    def cache_entry(self):
        with open(os.path.join(self.home, ".ecr", "cache.json")) as handle:
            (entry,) = json.load(handle)["Registries"].values()
        return entry

    def calls(self, service, action):
        return (self.fake.count(service, action), self.fake.count("ecr", "GetAuthorizationToken"))

    # ---- the sources, each (env, what counts the credential fetches)

    def assume_role(self):
        self.fake.add_credentials(BASE_KEY, BASE_SECRET)
        write_file(os.path.join(self.home, ".aws", "credentials"),
                   "[base]\naws_access_key_id = %s\naws_secret_access_key = %s\n" % (BASE_KEY, BASE_SECRET))
        write_file(os.path.join(self.home, ".aws", "config"),
                   "[profile puller]\nrole_arn = %s\nsource_profile = base\n" % ROLE)
        return self.env(AWS_PROFILE="puller"), lambda: self.fake.count("sts", "AssumeRole")

    def web_identity(self):
        token_file = write_file(os.path.join(self.home, "token.jwt"), "eyJhbGciOiJSUzI1NiJ9.lifetime.sig\n")
        env = self.env(AWS_ROLE_ARN=ROLE, AWS_WEB_IDENTITY_TOKEN_FILE=token_file)
        return env, lambda: self.fake.count("sts", "AssumeRoleWithWebIdentity")

    def sso(self):
        import hashlib

        write_file(os.path.join(self.home, ".aws", "config"),
                   "[profile sso]\nsso_session = corp\nsso_account_id = 123456789012\nsso_role_name = Puller\n\n"
                   "[sso-session corp]\nsso_region = us-east-1\nsso_start_url = https://d-1.awsapps.com/start\n")
        name = hashlib.sha1(b"corp").hexdigest() + ".json"
        write_file(os.path.join(self.home, ".aws", "sso", "cache", name), json.dumps(
            {"accessToken": "lifetime-sso-token", "expiresAt": iso8601(self.clock.time() + 8 * 3600)}))
        return self.env(AWS_PROFILE="sso"), lambda: self.fake.count("sso", "GetRoleCredentials")

    def container(self):
        env = self.env(AWS_CONTAINER_CREDENTIALS_FULL_URI=self.fake.container_url)
        return env, lambda: self.fake.count("container", "container")

    def imds(self):
        return self.env(AWS_EC2_METADATA_DISABLED=None), lambda: self.fake.count("imds", "imds-creds")

    def credential_process(self):
        document = os.path.join(self.home, "process.json")
        runs = os.path.join(self.home, "process.runs")
        script = write_file(os.path.join(self.home, "process.py"), PROCESS_SCRIPT)

        def write_document():  # fresh credentials, 20 minutes from the (moved) clock
            self.fake.add_credentials("ASIALIFETIMEPROC0001", "lifetime-process-secret", "lifetime-process-token")
            write_file(document, json.dumps({
                "Version": 1, "AccessKeyId": "ASIALIFETIMEPROC0001", "SecretAccessKey": "lifetime-process-secret",
                "SessionToken": "lifetime-process-token",
                "Expiration": iso8601(self.clock.time() + CREDENTIALS_LIFETIME)}))

        def count():
            write_document()
            if not os.path.exists(runs):
                return 0
            with open(runs) as handle:
                return len(handle.read().splitlines())

        write_document()
        write_file(os.path.join(self.home, ".aws", "config"), "[default]\ncredential_process = %s\n" % python_command(
            script, document, str(runs)))
        return self.env(), count

    SOURCES = ("assume_role", "web_identity", "sso", "container", "imds", "credential_process")

    def test_every_expiring_source_limits_the_cached_token(self):
        for name in self.SOURCES:
            with self.subTest(name):
                self.fake.clear()
                self.new_home()
                env, fetches = getattr(self, name)()
                started = self.clock.time()
                self.assert_served(env)
                self.assertEqual((fetches(), self.fake.count("ecr")), (1, 1))
                entry = self.cache_entry()
                expires = ecr_login.parse_timestamp(entry["ExpiresAt"])
                token_expires = ecr_login.parse_timestamp(entry["TokenExpiresAt"])
                self.assertAlmostEqual(expires, started + CREDENTIALS_LIFETIME, delta=5)
                self.assertAlmostEqual(token_expires, started + self.fake.token_lifetime, delta=5)

                self.clock.advance(STILL_CACHED)
                self.assert_served(env)
                self.assertEqual((fetches(), self.fake.count("ecr")), (1, 1), "served from the cache")

                self.clock.advance(PAST_MARGIN - STILL_CACHED)
                self.assert_served(env)
                self.assertEqual((fetches(), self.fake.count("ecr")), (2, 2),
                                 "the credentials were not fetched again, or ECR not asked again")

    def test_static_keys_keep_the_half_life_of_the_token(self):
        self.fake.add_credentials(BASE_KEY, BASE_SECRET)
        env = self.env(AWS_ACCESS_KEY_ID=BASE_KEY, AWS_SECRET_ACCESS_KEY=BASE_SECRET)
        started = self.clock.time()
        self.assert_served(env)
        entry = self.cache_entry()
        self.assertNotIn("TokenExpiresAt", entry)
        self.assertAlmostEqual(ecr_login.parse_timestamp(entry["ExpiresAt"]), started + 12 * 3600, delta=5)
        self.clock.advance(5 * 3600)
        self.assert_served(env)
        self.assertEqual(self.fake.count("ecr"), 1)
        self.clock.advance(3600 + 60)  # past 6 h: half of the token's life
        self.assert_served(env)
        self.assertEqual(self.fake.count("ecr"), 2)

    def test_environment_credentials_with_an_expiration(self):
        """AWS_CREDENTIAL_EXPIRATION (botocore's EnvProvider reads it) limits the token like any
        expiry; once they have expired, the get fails saying so, with no request AWS would refuse."""
        self.fake.add_credentials(ENV_KEY, ENV_SECRET, ENV_TOKEN)

        def env_expiring_in(seconds):
            return self.env(AWS_ACCESS_KEY_ID=ENV_KEY, AWS_SECRET_ACCESS_KEY=ENV_SECRET, AWS_SESSION_TOKEN=ENV_TOKEN,
                            AWS_CREDENTIAL_EXPIRATION=iso8601(self.clock.time() + seconds))

        old = env_expiring_in(CREDENTIALS_LIFETIME)
        self.assert_served(old)
        self.assertAlmostEqual(ecr_login.parse_timestamp(self.cache_entry()["ExpiresAt"]),
                               ecr_login.parse_timestamp(old["AWS_CREDENTIAL_EXPIRATION"]), delta=1)
        self.clock.advance(STILL_CACHED)
        self.assert_served(old)
        self.assertEqual(self.fake.count("ecr"), 1)
        self.clock.advance(PAST_MARGIN - STILL_CACHED)
        code, out, err = self.get(env=old)
        self.assertEqual((code, out), (1, ecr_login.NOT_FOUND + "\n"))
        self.assertIn("AWS_CREDENTIAL_EXPIRATION", err)
        self.assertIn("get new ones", err)
        self.assertEqual(err.count("\n"), 1, err)
        self.assertEqual(self.fake.count("ecr"), 1, "a request was signed with expired credentials")
        self.clock.advance(CREDENTIALS_LIFETIME)
        self.assertIn("expired at", self.get(env=old)[2])
        # Renewed in the environment (same key id, a later expiration): ECR is asked again.
        self.assert_served(env_expiring_in(CREDENTIALS_LIFETIME))
        self.assertEqual(self.fake.count("ecr"), 2)

    def test_a_malformed_expiration_is_a_config_error(self):
        code, out, err = self.get(env=self.env(AWS_ACCESS_KEY_ID=ENV_KEY, AWS_SECRET_ACCESS_KEY=ENV_SECRET,
                                           AWS_CREDENTIAL_EXPIRATION="tomorrow"))
        self.assertEqual(code, 1)
        self.assertIn("AWS_CREDENTIAL_EXPIRATION is not an ISO 8601 time", err)
        self.assertEqual(self.fake.count("ecr"), 0)

    def test_doctor_says_which_time_limits_the_entry(self):
        env, _ = self.assume_role()
        self.assert_served(env)
        stdout = io.BytesIO()
        ecr_login.main([ecr_login.PROGRAM, "doctor", REGISTRY], env, stdin=io.BytesIO(b""), stdout=stdout,
                       stderr=io.BytesIO())
        report = stdout.getvalue().decode("utf-8")
        self.assertIn("when the credentials that minted it expire", report)
        self.assertIn(self.cache_entry()["ExpiresAt"][:16], report.replace(" ", "T"))


if __name__ == "__main__":
    unittest.main()
