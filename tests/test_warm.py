"""A warm get touches no network and spawns no process, for every credential source; a change
of identity (profile, role, keys, source) gets a fresh token."""

import json
import os
import shutil
import time
import unittest

from tests.helpers import CHILD_PYTHON, HelperCase, python_command, write_file

REGISTRY = "123456789012.dkr.ecr.us-west-2.amazonaws.com"
OTHER_REGISTRY = "210987654321.dkr.ecr.us-west-2.amazonaws.com"
ROLE = "arn:aws:iam::123456789012:role/pull"
OTHER_ROLE = "arn:aws:iam::123456789012:role/other"


class WarmCase(HelperCase):
    """The harness with the static keys known, and a password runner for in-process gets."""

    def setUp(self):
        super().setUp()
        self.add_keys("AKIDWARMSTATIC000001", "warm-static-secret")
        os.makedirs(os.path.join(self.home, ".aws"))

    def write(self, relative, text):
        return write_file(os.path.join(self.home, relative), text)

    def password(self, registry=REGISTRY, **env):
        return self.assert_token(self.get(registry, **env), registry)

    def assert_warm(self, **env):
        """A first get calls AWS; a second one is answered with no request at all."""
        first = self.password(**env)
        before = self.fake.count()
        self.assertGreater(before, 0)
        self.assertEqual(self.password(**env), first)
        self.assertEqual(self.fake.count(), before, "a warm get made a request")
        return first

    def assert_refreshes(self, first, **env):
        before = self.fake.count("ecr")
        self.assertNotEqual(self.password(**env), first)
        self.assertEqual(self.fake.count("ecr"), before + 1)


class WarmGetTest(WarmCase):
    def test_static_keys_are_warm_and_new_keys_get_a_new_token(self):
        first = self.assert_warm(AWS_ACCESS_KEY_ID="AKIDWARMSTATIC000001", AWS_SECRET_ACCESS_KEY="warm-static-secret")
        self.fake.add_credentials("AKIDWARMSTATIC000002", "other-secret")
        self.assert_refreshes(first, AWS_ACCESS_KEY_ID="AKIDWARMSTATIC000002", AWS_SECRET_ACCESS_KEY="other-secret")

    def write_role_profiles(self, role_arn):
        self.write(".aws/config", "[profile pull]\nrole_arn = %s\nsource_profile = keys\n" % role_arn)
        self.write(".aws/credentials", "[keys]\naws_access_key_id = AKIDWARMSTATIC000001\n"
                                       "aws_secret_access_key = warm-static-secret\n")

    def test_assumed_role_is_warm_without_sts_and_a_new_role_refreshes(self):
        self.write_role_profiles(ROLE)
        first = self.assert_warm(AWS_PROFILE="pull")
        self.assertEqual(self.fake.count("sts", "AssumeRole"), 1)
        self.write_role_profiles(OTHER_ROLE)
        self.assert_refreshes(first, AWS_PROFILE="pull")
        self.assertEqual(self.fake.count("sts", "AssumeRole"), 2)

    def test_assumed_role_credentials_are_reused_for_another_registry(self):
        self.write_role_profiles(ROLE)
        self.password(AWS_PROFILE="pull")
        self.password(OTHER_REGISTRY, AWS_PROFILE="pull")
        self.assertEqual(self.fake.count("ecr"), 2)
        self.assertEqual(self.fake.count("sts", "AssumeRole"), 1, "role credentials were not reused")
        roles = os.path.join(self.home, ".ecr", "roles")
        for name in os.listdir(roles):
            self.assertEqual(os.stat(os.path.join(roles, name)).st_mode & 0o777, 0o600)
        self.assertEqual(os.stat(roles).st_mode & 0o777, 0o700)

    def test_web_identity_is_warm_and_a_new_role_refreshes(self):
        token = self.write("token.jwt", "eyJhbGciOiJIUzI1NiJ9.e30.c2lnbmF0dXJl")
        first = self.assert_warm(AWS_ROLE_ARN=ROLE, AWS_WEB_IDENTITY_TOKEN_FILE=token)
        self.assertEqual(self.fake.count("sts", "AssumeRoleWithWebIdentity"), 1)
        self.assert_refreshes(first, AWS_ROLE_ARN=OTHER_ROLE, AWS_WEB_IDENTITY_TOKEN_FILE=token)

    def write_sso(self, role_name):
        self.write(".aws/config", "[profile dev]\nsso_session = corp\nsso_account_id = 123456789012\n"
                                  "sso_role_name = %s\n[sso-session corp]\n"
                                  "sso_start_url = https://corp.awsapps.com/start\nsso_region = us-east-1\n" % role_name)
        cache = os.path.join(self.home, ".aws", "sso", "cache")
        if not os.path.isdir(cache):
            os.makedirs(cache)
        import hashlib

        expires = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() + 3600))
        self.write(os.path.join(".aws", "sso", "cache", hashlib.sha1(b"corp").hexdigest() + ".json"),
                   json.dumps({"accessToken": "sso-access-token-warm", "expiresAt": expires}))

    def test_sso_is_warm_and_a_new_role_refreshes(self):
        self.write_sso("Pull")
        first = self.assert_warm(AWS_PROFILE="dev")
        self.assertEqual(self.fake.count("sso"), 1)
        self.write_sso("Admin")
        self.assert_refreshes(first, AWS_PROFILE="dev")

    def write_process_profile(self, label):
        script = self.write("creds_%s.py" % label, (
            "import json, os\n"
            "with open(os.path.join(os.path.dirname(__file__), 'spawns'), 'a') as f: f.write('x')\n"
            "print(json.dumps({'Version': 1, 'AccessKeyId': 'AKIDWARMSTATIC000001',"
            " 'SecretAccessKey': 'warm-static-secret'}))\n"))
        self.write(".aws/config", "[profile proc]\ncredential_process = %s\n" % python_command(script))

    def spawns(self):
        path = os.path.join(self.home, "spawns")
        if not os.path.exists(path):
            return 0
        with open(path) as handle:
            return len(handle.read())

    def test_credential_process_is_not_spawned_on_a_warm_get(self):
        self.write_process_profile("a")
        first = self.assert_warm(AWS_PROFILE="proc")
        self.assertEqual(self.spawns(), 1)
        self.write_process_profile("b")
        self.assert_refreshes(first, AWS_PROFILE="proc")
        self.assertEqual(self.spawns(), 2)

    def test_container_endpoint_is_warm_and_another_endpoint_refreshes(self):
        first = self.assert_warm(AWS_CONTAINER_CREDENTIALS_FULL_URI=self.fake.container_url,
                                 AWS_CONTAINER_AUTHORIZATION_TOKEN="container-token")
        self.assertEqual(self.fake.count("container"), 1)
        self.assert_refreshes(first, AWS_CONTAINER_CREDENTIALS_FULL_URI=self.fake.container_url + "/other",
                              AWS_CONTAINER_AUTHORIZATION_TOKEN="container-token")

    def test_imds_is_warm(self):
        first = self.assert_warm(AWS_EC2_METADATA_DISABLED="false", AWS_EC2_METADATA_SERVICE_ENDPOINT=self.fake.url)
        self.assertEqual(self.fake.count("imds", "imds-creds"), 1)
        self.assertNotEqual(first, self.password(AWS_ACCESS_KEY_ID="AKIDWARMSTATIC000001",
                                            AWS_SECRET_ACCESS_KEY="warm-static-secret"))

    def test_profile_change_gets_its_own_token(self):
        self.write(".aws/credentials", "[a]\naws_access_key_id = AKIDWARMSTATIC000001\n"
                                       "aws_secret_access_key = warm-static-secret\n"
                                       "[b]\naws_access_key_id = AKIDWARMSTATIC000002\naws_secret_access_key = warm-secret-b\n")
        self.add_keys("AKIDWARMSTATIC000002", "warm-secret-b")
        first = self.assert_warm(AWS_PROFILE="a")
        self.assert_refreshes(first, AWS_PROFILE="b")


# What a warm get must not import (README: a cached get imports nothing beyond what Python
# loads itself); a package counts with all its submodules.
FORBIDDEN_ON_THE_WARM_PATH = ("json", "re", "hashlib", "ssl", "urllib", "http", "datetime", "subprocess", "logging",
                              "typing")
# A child that runs one get, then reports every module it has loaded on stderr.
MODULES_MARKER = "ECR-LOGIN-MODULES "
CHILD = (
    "import sys\n"
    "sys.path.insert(0, %r)\n"
    "import ecr_login\n"
    "code = ecr_login.main(['docker-credential-ecr-login', 'get'])\n"
    "sys.stderr.write(%r + ' '.join(sorted(sys.modules)) + '\\n')\n"
    "sys.exit(code)\n"
) % (os.path.dirname(os.path.dirname(os.path.abspath(__file__))), MODULES_MARKER)
BASELINE = "import sys\nsys.stderr.write(%r + ' '.join(sorted(sys.modules)) + '\\n')\n" % MODULES_MARKER


def loaded_modules(script, env, stdin=b""):
    import subprocess

    process = subprocess.Popen(CHILD_PYTHON + ["-c", script], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, env=env)
    out, err = process.communicate(stdin, timeout=60)
    lines = [line for line in err.decode("utf-8", "replace").splitlines() if line.startswith(MODULES_MARKER)]
    if len(lines) != 1:
        raise AssertionError("the child did not report its modules (exit %d): %s" % (process.returncode, err[-2000:]))
    return process.returncode, out.decode("utf-8", "replace"), set(lines[0][len(MODULES_MARKER):].split())


def forbidden(modules):
    return sorted(name for name in modules for root in FORBIDDEN_ON_THE_WARM_PATH
                  if name == root or name.startswith(root + "."))


class WarmImportTest(WarmCase):
    """A warm get, in a child process, for several sources: none of FORBIDDEN_ON_THE_WARM_PATH is
    imported, beyond what this Python imports at startup for itself."""

    def warm_child_imports(self, **env):
        self.password(**env)  # fills the cache
        child_env = self.env(**env)
        code, out, modules = loaded_modules(CHILD, child_env, REGISTRY.encode())
        self.assertEqual(code, 0, out)
        self.assertEqual(self.fake.count("ecr"), 1, "the child's get was not served from the cache")
        return set(forbidden(modules)) - set(forbidden(loaded_modules(BASELINE, child_env)[2]))

    def test_the_warm_path_imports_none_of_the_heavy_modules(self):
        token = self.write("token.jwt", "eyJhbGciOiJSUzI1NiJ9.warm.sig\n")
        self.write(".aws/config", "[profile role]\nrole_arn = %s\nsource_profile = base\n" % ROLE)
        self.write(".aws/credentials", "[base]\naws_access_key_id = AKIDWARMSTATIC000001\n"
                                       "aws_secret_access_key = warm-static-secret\n")
        cases = {
            "static keys": {"AWS_ACCESS_KEY_ID": "AKIDWARMSTATIC000001", "AWS_SECRET_ACCESS_KEY": "warm-static-secret"},
            "expiring keys": {"AWS_ACCESS_KEY_ID": "AKIDWARMSTATIC000001", "AWS_SECRET_ACCESS_KEY": "warm-static-secret",
                              "AWS_CREDENTIAL_EXPIRATION": "2099-01-01T00:00:00Z"},
            "role profile": {"AWS_PROFILE": "role"},
            "web identity": {"AWS_ROLE_ARN": ROLE, "AWS_WEB_IDENTITY_TOKEN_FILE": token},
            "container": {"AWS_CONTAINER_CREDENTIALS_FULL_URI": self.fake.container_url},
        }
        for name, env in sorted(cases.items()):
            with self.subTest(name):
                shutil.rmtree(os.path.join(self.home, ".ecr"), True)
                self.fake.clear()
                self.assertEqual(self.warm_child_imports(**env), set())

    def test_the_guard_sees_an_import(self):
        """Guards the guard: a module the child does import is reported."""
        self.assertIn("json", forbidden(loaded_modules("import json\n" + BASELINE, self.env())[2]))


if __name__ == "__main__":
    unittest.main()
