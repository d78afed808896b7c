"""Where the shared test vectors live, and what a test does when they (or a tool) are missing.

The public test vectors are read in place from ../shared/vectors beside the checkout; they are
never copied into the repository. A developer without that folder gets skipped tests with a
message; under CI (CI=true) a missing folder is a failure, so a broken CI layout cannot turn
the data-driven suites into silent skips.
"""

import os
import sys
import unittest

VECTORS_ROOT = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "shared", "vectors"))


def under_ci():
    """True when the environment says this run is CI (CI=true, as CI systems set it)."""
    return os.environ.get("CI", "").strip().lower() == "true"


_said = set()


def skip_or_fail(message):
    """Skip the current test with message; under CI fail instead (raise AssertionError). The
    first skip for each message is also said on stderr, since unittest names skips only with -v."""
    if under_ci():
        raise AssertionError("%s (CI=true, so this is a failure, not a skip)" % message)
    if message not in _said:
        _said.add(message)
        sys.stderr.write("tests: skipping: %s (see README, Development)\n" % message)
    raise unittest.SkipTest(message)


def vectors_dir(*parts):
    """The path of ../shared/vectors/<parts...>.

    Raises unittest.SkipTest when the vectors folder itself is absent (AssertionError under
    CI=true). When the folder is there but the named part is not, that is always a failure:
    the data the test was written for has moved or gone.
    """
    if not os.path.isdir(VECTORS_ROOT):
        skip_or_fail("test vectors not found at %s" % VECTORS_ROOT)
    path = os.path.join(VECTORS_ROOT, *parts)
    if not os.path.exists(path):
        raise AssertionError("test vector path %s does not exist (the vectors folder is there)" % path)
    return path
