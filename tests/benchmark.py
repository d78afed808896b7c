#!/usr/bin/env python3
"""Benchmark of a warm `get`: what every docker pull pays for the helper.

Usage: python3 tests/benchmark.py [--runs N] [--python PATH]

It builds the zipapp into a temporary directory, starts the loopback fake AWS from
tests/fakeaws.py, seeds the token cache, and then times, alternating one run of each per
round so that machine noise spreads evenly:

- bare:      python3 -I -S -c pass                 (starting the interpreter at all)
- empty:     python3 -I -S empty.pyz               (a zipapp that does nothing: runpy + zipimport)
- static:    a warm get with static keys            (python3 -I -S docker-credential-ecr-login get)
- role:      a warm get through an assumed role     (profile with role_arn + source_profile)
- cold:      a get with an empty cache              (the fake ECR on 127.0.0.1: signing, HTTP)
- go:        Debian's docker-credential-ecr-login, warm, if it is on PATH (fed the same
             cache; it resolves credentials on every call)
- aws-cli:   aws ecr get-login-password against the fake, if `aws` is on PATH

It prints the median and the 10th/90th percentile of each, and the ratios the README
quotes: static/empty, static/bare, role/static. Nothing here is a test: timing goals live
here, not in the unit tests. Standard library only.
"""

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import zipfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, ROOT)

import build_zipapp  # noqa: E402
import ecr_login  # noqa: E402
from tests.fakeaws import FakeAWS  # noqa: E402

REGISTRY = "123456789012.dkr.ecr.us-west-2.amazonaws.com"
ACCESS_KEY = "AKIDBENCHMARK0000001"
SECRET_KEY = "benchmark-secret-key"


def make_empty_zipapp(path):
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("__main__.py", "")


def base_env(home, fake):
    env = {"PATH": os.environ.get("PATH", ""), "HOME": home, "AWS_EC2_METADATA_DISABLED": "true",
           "AWS_ECR_RETRY_DELAY": "0.01"}
    env.update(fake.endpoint_env())
    return env


def write_role_profile(home):
    os.makedirs(os.path.join(home, ".aws"), exist_ok=True)
    with open(os.path.join(home, ".aws", "config"), "w") as handle:
        handle.write("[profile bench-role]\nrole_arn = arn:aws:iam::123456789012:role/bench\n"
                     "source_profile = bench-keys\n")
    with open(os.path.join(home, ".aws", "credentials"), "w") as handle:
        handle.write("[bench-keys]\naws_access_key_id = %s\naws_secret_access_key = %s\n" % (ACCESS_KEY, SECRET_KEY))


def add_legacy_keys(cache_path):
    """Copy each entry under the key Go helpers before v0.12 use (Debian ships 0.6), so the
    Go helper is timed on a warm cache too. Ours reads those keys as a fallback."""
    import json

    with open(cache_path) as handle:
        document = json.load(handle)
    legacy = ecr_login.b64(ACCESS_KEY.encode() + ecr_login.MD5_OF_NOTHING)
    checksum = ecr_login.b64(ecr_login.sha256_digest(ACCESS_KEY.encode()))
    for key, entry in list(document["Registries"].items()):
        document["Registries"][key.replace(checksum, legacy)] = entry
    with open(cache_path, "w") as handle:
        json.dump(document, handle, indent=2)


def timed(argv, env, stdin=b""):
    start = time.perf_counter()
    process = subprocess.Popen(argv, env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE)
    out, err = process.communicate(stdin)
    elapsed = time.perf_counter() - start
    return elapsed, process.returncode, out, err


def describe(samples):
    ordered = sorted(samples)
    tenth = ordered[len(ordered) // 10]
    ninetieth = ordered[(len(ordered) * 9) // 10 - 1] if len(ordered) >= 10 else ordered[-1]
    return statistics.median(ordered), tenth, ninetieth


def machine():
    cpu = "unknown CPU"
    try:
        with open("/proc/cpuinfo") as handle:
            for line in handle:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    return "%s, %d cores, Python %s" % (cpu, os.cpu_count() or 0, sys.version.split()[0])


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=40)
    parser.add_argument("--python", default=sys.executable)
    options = parser.parse_args()
    python = options.python
    work = tempfile.mkdtemp(prefix="ecr-login-bench-")
    try:
        app = build_zipapp.build(os.path.join(work, "docker-credential-ecr-login"))
        empty = os.path.join(work, "empty.pyz")
        make_empty_zipapp(empty)
        with FakeAWS() as fake:
            fake.add_credentials(ACCESS_KEY, SECRET_KEY)
            static_home, role_home, cold_home = (os.path.join(work, name) for name in ("static", "role", "cold"))
            for home in (static_home, role_home, cold_home):
                os.makedirs(home)
            write_role_profile(role_home)
            static_env = dict(base_env(static_home, fake), AWS_ACCESS_KEY_ID=ACCESS_KEY,
                              AWS_SECRET_ACCESS_KEY=SECRET_KEY)
            role_env = dict(base_env(role_home, fake), AWS_PROFILE="bench-role")
            cold_env = dict(base_env(cold_home, fake), AWS_ACCESS_KEY_ID=ACCESS_KEY,
                            AWS_SECRET_ACCESS_KEY=SECRET_KEY, AWS_ECR_DISABLE_CACHE="1")
            get = [python, "-I", "-S", app, "get"]
            for env in (static_env, role_env):  # seed the token and bytecode caches
                elapsed, code, out, err = timed(get, env, REGISTRY.encode())
                if code != 0:
                    sys.exit("seeding failed: %s %s" % (out, err))
            cases = [
                ("bare", [python, "-I", "-S", "-c", "pass"], None, b""),
                ("empty", [python, "-I", "-S", empty], None, b""),
                ("static", get, static_env, REGISTRY.encode()),
                ("role", get, role_env, REGISTRY.encode()),
                ("cold", get, cold_env, REGISTRY.encode()),
            ]
            go_helper = shutil.which("docker-credential-ecr-login")
            if go_helper and os.path.realpath(go_helper) != os.path.realpath(app):
                add_legacy_keys(os.path.join(static_home, ".ecr", "cache.json"))
                # A Go helper that misses the cache would call AWS itself: a dead proxy stops it.
                go_env = dict(static_env, HTTPS_PROXY="http://127.0.0.1:9", HTTP_PROXY="http://127.0.0.1:9")
                cases.append(("go", [go_helper, "get"], go_env, REGISTRY.encode()))
            aws_cli = shutil.which("aws")
            if aws_cli:
                aws_env = dict(static_env, AWS_DEFAULT_REGION="us-west-2")
                cases.append(("aws-cli", [aws_cli, "ecr", "get-login-password"], aws_env, b""))
            before = fake.count()
            samples = dict((name, []) for name, _, _, _ in cases)
            for _ in range(options.runs):
                for name, argv, env, stdin in cases:
                    elapsed, code, out, err = timed(argv, env if env is not None else {"PATH": os.environ["PATH"]},
                                                    stdin)
                    if code != 0:
                        sys.exit("%s failed (exit %d): %s" % (name, code, err.decode(errors="replace")[:300]))
                    samples[name].append(elapsed)
            calls = fake.count() - before
    finally:
        shutil.rmtree(work, ignore_errors=True)
    medians = {}
    print("machine: %s" % machine())
    print("interpreter under test: %s, %d alternating runs each" % (python, options.runs))
    print("%-8s %9s %9s %9s" % ("case", "median", "p10", "p90"))
    for name, _, _, _ in cases:
        median, low, high = describe(samples[name])
        medians[name] = median
        print("%-8s %7.1f ms %6.1f ms %6.1f ms" % (name, median * 1000, low * 1000, high * 1000))
    print("warm static get / empty zipapp: %.2fx" % (medians["static"] / medians["empty"]))
    print("warm static get / bare python:  %.2fx" % (medians["static"] / medians["bare"]))
    print("warm role get / warm static get: %.2fx" % (medians["role"] / medians["static"]))
    print("AWS requests during the timed runs: %d (%d cold runs%s)" % (
        calls, options.runs, " + %d aws-cli runs" % options.runs if "aws-cli" in medians else ""))
    if "go" in medians:
        print("Go helper warm get / ours: %.2fx" % (medians["go"] / medians["static"]))


if __name__ == "__main__":
    main()
