"""The end-to-end tests catch a broken signer: mutation check of ecr_login's SigV4 code.

Every end-to-end test talks to tests/fakeaws.py, which checks signatures with
tests/sigv4_oracle.py (no code shared with ecr_login). To prove that check bites, each
mutant below is a copy of ecr_login.py with one small, plausible signing mistake; a few
end-to-end tests run against it (in a copy of the tree, in a child process) and must fail
because the fake refused the signature. The unmutated copy must pass the same tests, so a
failure is the mutation's doing and not the harness's.
"""

import os
import shutil
import subprocess
import sys
import tempfile
import unittest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SOURCE = os.path.join(ROOT, "ecr_login.py")

# A small end-to-end subset: static keys, static keys with a session token, and a role
# (STS signed with static keys, ECR with the minted temporary credentials), plus ECR Public.
END_TO_END_TESTS = (
    "tests.test_chain.EnvironmentTest.test_environment_keys_sign_the_ecr_call",
    "tests.test_chain.EnvironmentTest.test_environment_session_token_is_sent",
    "tests.test_chain.AssumeRoleTest.test_source_profile_with_static_keys",
    "tests.test_cli.GetPartitionTest.test_ecr_public_hosts",
)

# (name, text in ecr_login.py, its replacement): each is a mistake a signer could make.
MUTANTS = (
    ("space after the colon in canonical headers",
     '"%s:%s\\n" % (name, ",".join(values[name]))', '"%s: %s\\n" % (name, ",".join(values[name]))'),
    ("wrong date in the credential scope",
     'scope = "%s/%s/%s/aws4_request" % (amz_date[:8], region, service)',
     'scope = "%s/%s/%s/aws4_request" % (amz_date[2:10], region, service)'),
    ("session token sent but not signed",
     "        if name in UNSIGNED_HEADERS:\n",
     '        if name in UNSIGNED_HEADERS or name == "x-amz-security-token":\n'),
    ("X-Amz-Date 20 minutes behind the clock",
     'utc_fields(time.time() if now is None else now)', 'utc_fields(time.time() - 1200 if now is None else now)'),
    ("body left out of the payload hash",
     'payload_hash = binascii.hexlify(sha256_digest(body or b""))',
     'payload_hash = binascii.hexlify(sha256_digest(b""))'),
)

# What the fake answers when it refuses a signature (ECR, ECR Public, STS).
REFUSALS = ("InvalidSignatureException", "SignatureDoesNotMatch")
CHILD_TIMEOUT = 120


def mutated_tree(source_text, original, replacement):
    """A temporary copy of the tree (ecr_login.py and tests/) with one replacement made."""
    if original is not None and source_text.count(original) != 1:
        raise AssertionError("the mutation target is not in ecr_login.py exactly once: %r" % original)
    root = tempfile.mkdtemp(prefix="ecr-login-mutant-")
    text = source_text if original is None else source_text.replace(original, replacement)
    with open(os.path.join(root, "ecr_login.py"), "w") as handle:
        handle.write(text)
    shutil.copytree(os.path.join(ROOT, "tests"), os.path.join(root, "tests"),
                    ignore=shutil.ignore_patterns("__pycache__"))
    return root


def start_suite(root):
    env = dict(os.environ, PYTHONDONTWRITEBYTECODE="1")
    return subprocess.Popen([sys.executable, "-m", "unittest"] + list(END_TO_END_TESTS), cwd=root, env=env,
                            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)


class SignerMutationTest(unittest.TestCase):
    def test_every_signer_mutant_fails_the_end_to_end_tests(self):
        with open(SOURCE) as handle:
            source_text = handle.read()
        cases = (("unmutated", None, None),) + MUTANTS
        runs = []
        for name, original, replacement in cases:
            root = mutated_tree(source_text, original, replacement)
            self.addCleanup(shutil.rmtree, root, True)
            runs.append((name, start_suite(root)))  # all at once: each child mostly waits
        outcomes = {}
        for name, process in runs:
            output = process.communicate(timeout=CHILD_TIMEOUT)[0].decode("utf-8", "replace")
            outcomes[name] = (process.returncode, output)
        code, output = outcomes.pop("unmutated")
        self.assertEqual(code, 0, "the end-to-end subset fails on an unmutated copy:\n" + output[-3000:])
        self.assertIn("Ran %d tests" % len(END_TO_END_TESTS), output)
        survivors = [name for name, (code, output) in outcomes.items()
                     if code == 0 or not any(refusal in output for refusal in REFUSALS)]
        self.assertEqual(survivors, [], "mutants the end-to-end tests did not catch (or not by a refused "
                                        "signature):\n" + "\n".join(
                                            "--- %s\n%s" % (name, outcomes[name][1][-2000:]) for name in survivors))


if __name__ == "__main__":
    unittest.main()
