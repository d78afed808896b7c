"""Smoke test of the built helper on another system: a chroot, a 32-bit root, Wine.

    python3 tests/smoke.py --label NAME --home DIR [--helper-home PATH] [--minimal] -- COMMAND...

COMMAND runs the helper (its action is appended), e.g. ``chroot ROOT python3 /path/app`` or
``wine cmd /c Z:\\...\\driver.cmd``. It gets a clean environment pointing every AWS endpoint at
a loopback fake AWS started here, static keys, HOME and USERPROFILE set to the helper's view
of DIR (--helper-home: Wine's Z:\\ path), and ECR_SMOKE_HOME the same, for runners that cannot
pass HOME through (Wine: a driver .cmd copies it). stdin, stdout and stderr are pipes, and the
server URL is written to stdin and stdin closed, as Docker does.

Checks: version; a Docker Hub get is "not found"; a cold get against the fake returns the
token it minted; a warm get returns it again without a request; list names the registry.
Then configure must write the Docker config under the home. With --minimal (a Python that is
only Debian's python3-minimal, which lacks json, _json, hmac, http.client, xml, shlex, termios,
difflib and shutil) all that must pass as well, and a get through a credential_process, which
needs shlex, must answer "not found" and say in one line which module is missing and what to
install.
Not a unittest module (no test_ prefix): .ci/run calls it. Exit status 0 when all pass.
"""

import argparse
import json
import os
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

import ecr_login  # noqa: E402
from tests.fakeaws import FakeAWS  # noqa: E402

AKID = "AKIASMOKETESTSTATIC1"
SECRET = "smoke-test-static-secret-5b9d02e1c7"
REGISTRY = "123456789012.dkr.ecr.us-west-2.amazonaws.com"
DOCKER_HUB = "https://index.docker.io/v1/"
NOT_FOUND = "credentials not found in native keychain"
RUN_TIMEOUT = 180  # seconds; a first Wine start is slow


class SmokeFailure(Exception):
    pass


def helper_env(fake, home):
    env = {"PATH": os.environ.get("PATH", os.defpath), "LANG": "C.UTF-8", "HOME": home, "USERPROFILE": home,
           "ECR_SMOKE_HOME": home, "AWS_EC2_METADATA_DISABLED": "true", "AWS_ACCESS_KEY_ID": AKID,
           "AWS_SECRET_ACCESS_KEY": SECRET, "AWS_ECR_RETRY_DELAY": "0.01"}
    for name in ("WINEPREFIX", "WINEPATH", "WINEDEBUG", "WINEDLLOVERRIDES"):
        if name in os.environ:
            env[name] = os.environ[name]
    env.update(fake.endpoint_env())
    return env


def run(command, args, env, stdin=""):
    process = subprocess.Popen(command + args, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, env=env)
    try:
        out, err = process.communicate(stdin.encode("utf-8"), timeout=RUN_TIMEOUT)
    except subprocess.TimeoutExpired:
        process.kill()
        process.communicate()
        raise SmokeFailure("%s did not finish within %d s" % (" ".join(args), RUN_TIMEOUT))
    return process.returncode, out.decode("utf-8", "replace"), err.decode("utf-8", "replace")


def expect(condition, what, result):
    if not condition:
        raise SmokeFailure("%s: exit %s, stdout %r, stderr %r" % (what, result[0], result[1][:500], result[2][:500]))
    print("smoke: ok: %s" % what)


def smoke(command, home, helper_home, minimal):
    with FakeAWS() as fake:
        fake.add_credentials(AKID, SECRET)
        env = helper_env(fake, helper_home)
        result = run(command, ["version"], env)
        expect(result[0] == 0 and ecr_login.VERSION in result[1], "version", result)
        result = run(command, ["get"], env, DOCKER_HUB)
        expect(result[0] == 1 and result[1].strip() == NOT_FOUND, "Docker Hub get is not found", result)
        result = run(command, ["get"], env, REGISTRY)
        minted = fake.secrets_in(result[1])
        expect(result[0] == 0 and minted and fake.count("ecr") == 1, "cold get against the fake", result)
        secret = json.loads(result[1])["Secret"]
        before = fake.count()
        result = run(command, ["get"], env, REGISTRY)
        expect(result[0] == 0 and json.loads(result[1] or "{}").get("Secret") == secret, "warm get", result)
        expect(fake.count() == before, "the warm get made no request", result)
        result = run(command, ["list"], env)
        listed = json.loads(result[1]) if result[1].startswith("{") else None
        expect(result[0] == 0 and isinstance(listed, dict) and listed.get("https://" + REGISTRY) == "AWS", "list", result)
        result = run(command, ["configure", REGISTRY], env)
        config = os.path.join(home, ".docker", "config.json")
        written = {}
        if os.path.exists(config):
            with open(config) as handle:
                written = json.load(handle)
        expect(result[0] == 0 and written.get("credHelpers") == {REGISTRY: "ecr-login"},
               "configure writes the Docker config in the home", result)
        if minimal:  # a credential_process is split by shlex, which python3-minimal lacks
            os.makedirs(os.path.join(home, ".aws"))
            with open(os.path.join(home, ".aws", "config"), "w") as handle:
                handle.write("[profile tool]\ncredential_process = /bin/true\n")
            keyless = dict((name, value) for name, value in env.items() if not name.startswith("AWS_ACCESS_KEY"))
            result = run(command, ["get"], dict(keyless, AWS_PROFILE="tool", AWS_SECRET_ACCESS_KEY=""), REGISTRY)
            expect(result[0] == 1 and result[1].strip() == NOT_FOUND and result[2].count("\n") == 1 and
                   "lacks the standard-library module shlex;" in result[2] and "python3-minimal" in result[2],
                   "a get through a credential_process names the missing module", result)
        if fake.errors:
            raise SmokeFailure("the fake saw errors: %s" % fake.errors)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--label", required=True)
    parser.add_argument("--home", required=True, help="the helper's HOME, an empty directory, as seen here")
    parser.add_argument("--helper-home", help="the same directory as the helper sees it (default: --home)")
    parser.add_argument("--minimal", action="store_true", help="the Python is only python3-minimal")
    parser.add_argument("command", nargs="+")
    args = parser.parse_args()
    try:
        smoke(args.command, args.home, args.helper_home or args.home, args.minimal)
    except (SmokeFailure, OSError, ValueError) as error:
        print("smoke (%s): FAILED: %s" % (args.label, error))
        return 1
    print("smoke (%s): passed" % args.label)
    return 0


if __name__ == "__main__":
    sys.exit(main())
