"""The HTTP layer as an attacker or a broken network would try it: redirects (never followed,
so no credential reaches a second host), endpoints that trickle their answer (an overall
deadline), container endpoint addresses (strict parsing) and error codes in any body format.

Every test runs the helper in-process against tests.fakeaws.FakeAWS on 127.0.0.1.
"""

import hashlib
import json
import os
import socket
import sys
import time
import unittest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)

import ecr_login  # noqa: E402
from tests.fakeaws import Reply, iso8601  # noqa: E402
from tests.test_chain import REGION, REGISTRY, ROLE_A, ChainTestCase  # noqa: E402
from tests.test_cli import LoopbackProxy  # noqa: E402

KEY, SECRET, SESSION_TOKEN = "AKIDHTTPTEST00001", "http-test-secret-0001", "http-test-session-0001"
SSO_ACCOUNT = "111122223333"


class SilentListener(object):
    """A loopback port that accepts connections into its backlog and never answers;
    connections() says how many arrived (0 means nothing at all was sent to it)."""

    def __init__(self):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.url = "http://127.0.0.1:%d" % self.sock.getsockname()[1]

    def connections(self):
        self.sock.setblocking(False)
        count = 0
        while True:
            try:
                conn, _ = self.sock.accept()
            except (BlockingIOError, socket.error):
                return count
            conn.close()
            count += 1

    def close(self):
        self.sock.close()


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
        self.static_keys(KEY, SECRET, SESSION_TOKEN)
        return self.env(AWS_ACCESS_KEY_ID=KEY, AWS_SECRET_ACCESS_KEY=SECRET, AWS_SESSION_TOKEN=SESSION_TOKEN,
                        **extra)

    def test_ecr_every_redirect_status(self):
        for status in REDIRECT_STATUSES:
            with self.subTest(status=status):
                self.new_home()
                self.fake.clear()
                self.fake.script("ecr", "GetAuthorizationToken", [self.redirect(status)])
                self.assert_refused(self.get(self.static_env()), status)
                self.assertEqual(self.fake.count("ecr"), 1, "a redirect is not retried either")

    def test_ecr_public(self):
        self.fake.script("ecr-public", "GetAuthorizationToken", [self.redirect()])
        self.assert_refused(self.get(self.static_env(), host="public.ecr.aws"))

    def test_ecr_through_a_proxy_with_credentials(self):
        proxy = LoopbackProxy()
        self.addCleanup(proxy.close)
        self.secrets.append("proxy-password-0001")
        proxy_url = proxy.url.replace("http://", "http://user:proxy-password-0001@")
        self.fake.script("ecr", "GetAuthorizationToken", [self.redirect(307)])
        self.assert_refused(self.get(self.static_env(HTTP_PROXY=proxy_url)), 307)
        self.assertEqual(len(proxy.seen), 1)

    def test_sts_assume_role(self):
        self.static_keys(KEY, SECRET)
        self.aws_file("credentials", "[base]\naws_access_key_id = %s\naws_secret_access_key = %s\n" % (KEY, SECRET))
        self.aws_file("config", "[profile dev]\nrole_arn = %s\nsource_profile = base\n" % ROLE_A)
        self.fake.script("sts", "AssumeRole", [self.redirect(301)])
        self.assert_refused(self.get(self.env(AWS_PROFILE="dev")), 301)
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
        self.assert_refused(self.get(env), 303)

    def test_sso_oidc_refresh(self):
        self.secrets.extend(["refresh-redirect", "client-secret-redirect"])
        env = self.sso_profile({"accessToken": "sso-token-redirect", "expiresAt": "2020-01-01T00:00:00Z",
                                "refreshToken": "refresh-redirect", "clientId": "client-redirect",
                                "clientSecret": "client-secret-redirect"})
        self.fake.script("oidc", "CreateToken", [self.redirect(308)])
        self.assert_refused(self.get(env), 308)
        self.assertEqual(self.fake.count("sso"), 0)

    def test_container_endpoint(self):
        self.fake.container_token = "Bearer container-secret"
        env = self.env(AWS_CONTAINER_CREDENTIALS_FULL_URI=self.fake.container_url,
                       AWS_CONTAINER_AUTHORIZATION_TOKEN="Bearer container-secret")
        self.fake.script("container", "container", [self.redirect()] * 3)
        self.assert_refused(self.get(env))
        self.assertEqual(self.fake.count("container"), 1, "a redirect is not retried")

    def test_imds_token_and_credentials(self):
        env = self.env(AWS_EC2_METADATA_DISABLED=None)
        for action in ("imds-token", "imds-role", "imds-creds"):
            with self.subTest(action=action):
                self.new_home()
                self.fake.clear()
                self.fake.script("imds", action, [self.redirect()])
                self.assert_refused(self.get(dict(env, HOME=self.home)))
                self.assertEqual(self.fake.count("ecr"), 0)


if __name__ == "__main__":
    unittest.main()
