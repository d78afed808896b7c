#!/usr/bin/env python3
"""Benchmark of the helper against Python's own floor, the Go helper and the AWS tools.

Usage: python3 tests/benchmark.py [--runs N] [--bursts N] [--python PATH]

Run as root, it re-runs itself inside `unshare -mn` (a private mount and network namespace):
there a copy of /etc/ssl/certs with a test root CA added (hashed link and ca-certificates.crt)
is bind-mounted over the real one, and a copy of /etc/hosts maps api.ecr.us-west-2.amazonaws.com
and sts.us-west-2.amazonaws.com to 127.0.0.1, where a TLS endpoint on port 443 serves a
root -> intermediate -> leaf chain, like AWS's. So every client, the Go helper included (it
ignores AWS_ENDPOINT_URL), uses its real endpoint and the system store, and the real ones are
never touched. As another user only the cases that need neither run (CA bundle, high port).

The endpoint answers each request in one write with TCP_NODELAY: a header-then-body answer
stalls on Nagle's algorithm and delayed ACKs and makes every client look 40 ms slower.

Cases, one run of each per round so that machine noise spreads evenly (medians printed):

- bare          python3 -I -S -c pass
- empty         an empty zipapp (runpy + zipimport): what any zipapp pays
- floor         tests/floor.py: import socket and ssl, sign one request, one TLS round trip
                (system store through its hashed directory; floor-bundle: a CA file;
                floor-zip: the same script as a zipapp's __main__, packed as the helper is)
- warm          a cached get (the zipapp)
- cold          a get whose token is not cached (bytecode cached), system store
- cold-bundle   the same with AWS_CA_BUNDLE
- cold-off      a get with AWS_ECR_DISABLE_CACHE=1 (no token, role or bytecode cache)
- role          a cold get through an assumed role: STS, then ECR
- go-cold       Debian's Go helper (amazon-ecr-credential-helper) with AWS_ECR_DISABLE_CACHE
- go-warm       the Go helper on a warm cache
- boto3         a boto3 script calling GetAuthorizationToken (CA bundle: boto3 uses its own)
- aws-cli       aws ecr get-login-password (CA bundle)
- via-shim      the warm get started as `docker-credential-ecr-login get` with a pyenv shim
                first on PATH (what its #!/usr/bin/env python3 line then runs)
- via-path      the same with the real interpreter's directory first on PATH

Then 24-way bursts: 24 cold gets started at once (bytecode cached, empty token cache, system
store) against 24 empty zipapps started the same way, and how many ECR calls each burst made.
Nothing here is a test: timing goals live here, not in the unit tests. Standard library only.
"""

import argparse
import base64
import json
import os
import resource
import shutil
import socket
import ssl
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import zipfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, ROOT)

import build_zipapp  # noqa: E402
from tests.tls_certs import PKI, read  # noqa: E402

REGION = "us-west-2"
REGISTRY = "123456789012.dkr.ecr.%s.amazonaws.com" % REGION
ECR_HOST = "api.ecr.%s.amazonaws.com" % REGION
STS_HOST = "sts.%s.amazonaws.com" % REGION
ACCESS_KEY = "AKIDBENCHMARK0000001"
SECRET_KEY = "benchmark-secret-key"
ROLE_ARN = "arn:aws:iam::123456789012:role/bench"
BURST = 24
INSIDE = "ECR_LOGIN_BENCHMARK_NAMESPACE"
SYSTEM_CERTS = "/etc/ssl/certs"
BOTO3_SCRIPT = ("import boto3; boto3.client('ecr', region_name='%s').get_authorization_token("
                "registryIds=['123456789012'])" % REGION)
GOALS = (  # (label, numerator, denominator, goal)
    ("cold get (system store) / Python floor", "cold", "floor", 1.2),
    ("cold get (system store) / floor as a zipapp", "cold", "floor-zip", 1.2),
    ("cold get (CA bundle) / Python floor (CA bundle)", "cold-bundle", "floor-bundle", 1.2),
    ("cold get (system store) / Go helper cold", "cold", "go-cold", 1.8),
    ("cold assume-role get / cold static get", "role", "cold", 1.25),
    ("warm get / empty zipapp", "warm", "empty", 1.10),
)


# ------------------------------------------------------------------------------------------
# The endpoint: ECR GetAuthorizationToken and STS AssumeRole, each answered in one write


def ecr_answer():
    token = base64.b64encode(b"AWS:benchmark-password").decode("ascii")
    return json.dumps({"authorizationData": [{"authorizationToken": token, "expiresAt": time.time() + 43200,
                                              "proxyEndpoint": "https://" + REGISTRY}]}).encode()


def sts_answer():
    expiration = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() + 3600))
    return ('<AssumeRoleResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><AssumeRoleResult>'
            '<Credentials><AccessKeyId>ASIABENCH00000000001</AccessKeyId><SecretAccessKey>bench-role-secret'
            '</SecretAccessKey><SessionToken>bench-role-token</SessionToken><Expiration>%s</Expiration>'
            '</Credentials><AssumedRoleUser><Arn>arn:aws:sts::123456789012:assumed-role/bench/s</Arn>'
            '<AssumedRoleId>AROA:s</AssumedRoleId></AssumedRoleUser></AssumeRoleResult></AssumeRoleResponse>'
            % expiration).encode()


class Endpoint(object):
    """A TLS endpoint on 127.0.0.1 that counts the ECR calls it answers."""

    def __init__(self, chain, key, port=0):
        self.context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        self.context.load_cert_chain(chain, key)
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", port))
        self.sock.listen(128)
        self.port = self.sock.getsockname()[1]
        self.ecr_calls = 0
        self.lock = threading.Lock()
        thread = threading.Thread(target=self.accept)
        thread.daemon = True
        thread.start()

    def accept(self):
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            thread = threading.Thread(target=self.serve, args=(conn,))
            thread.daemon = True
            thread.start()

    def serve(self, conn):
        try:
            conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            with self.context.wrap_socket(conn, server_side=True) as tls:
                data = b""
                while b"\r\n\r\n" not in data:
                    piece = tls.recv(65536)
                    if not piece:
                        return
                    data += piece
                head, _, body = data.partition(b"\r\n\r\n")
                length = 0
                for line in head.split(b"\r\n")[1:]:
                    name, _, value = line.partition(b":")
                    if name.strip().lower() == b"content-length":
                        length = int(value)
                while len(body) < length:
                    body += tls.recv(65536)
                if b"Action=AssumeRole" in body:
                    answer, kind = sts_answer(), b"text/xml"
                else:
                    answer, kind = ecr_answer(), b"application/x-amz-json-1.1"
                    with self.lock:
                        self.ecr_calls += 1
                tls.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: %s\r\nContent-Length: %d\r\nConnection: close\r\n"
                            b"x-amzn-RequestId: bench\r\n\r\n%s" % (kind, len(answer), answer))
        except (OSError, ValueError):
            pass  # a client that went away (the Go helper's keep-alive probes, timeouts)

    def close(self):
        self.sock.close()


# ------------------------------------------------------------------------------------------
# The namespace: private /etc/ssl/certs with the test root, /etc/hosts with the endpoints


def enter_namespace():
    """Re-run this script inside `unshare -mn` when root; returns False when it cannot."""
    if os.environ.get(INSIDE) or os.name != "posix" or os.geteuid() != 0 or not shutil.which("unshare"):
        return False
    env = dict(os.environ, **{INSIDE: "1"})
    sys.exit(subprocess.call(["unshare", "-mn", sys.executable] + sys.argv, env=env))


def install_test_store(pki, work):
    """Bind-mount a copy of the system store with the test root added, and a hosts file."""
    subprocess.check_call(["ip", "link", "set", "lo", "up"])
    certs = os.path.join(work, "certs")
    shutil.copytree(SYSTEM_CERTS, certs, symlinks=True)
    shutil.copy(pki.root, os.path.join(certs, pki.subject_hash(pki.root) + ".0"))
    bundle = os.path.join(certs, "ca-certificates.crt")
    text = read(bundle) + read(pki.root)
    os.remove(bundle)  # it may be a link into the real store
    with open(bundle, "w") as handle:
        handle.write(text)
    hosts = os.path.join(work, "hosts")
    with open(hosts, "w") as handle:
        handle.write(read("/etc/hosts") + "\n127.0.0.1 %s %s\n" % (ECR_HOST, STS_HOST))
    subprocess.check_call(["mount", "--bind", certs, SYSTEM_CERTS])
    subprocess.check_call(["mount", "--bind", hosts, "/etc/hosts"])


# ------------------------------------------------------------------------------------------
# Timing


def children_cpu():
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def timed(argv, env, stdin=b""):
    """(wall seconds, CPU seconds of the child, exit code, stdout, stderr). On a busy machine
    the CPU time is the steadier figure: waiting for a core does not count."""
    cpu, start = children_cpu(), time.perf_counter()
    process = subprocess.Popen(argv, env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE)
    out, err = process.communicate(stdin)
    return time.perf_counter() - start, children_cpu() - cpu, process.returncode, out, err


def timed_burst(argv, env, stdin):
    """(wall, CPU, failures) of BURST copies of argv started at once, until the last exits."""
    cpu, start = children_cpu(), time.perf_counter()
    processes = [subprocess.Popen(argv, env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                  stderr=subprocess.PIPE) for _ in range(BURST)]
    failures = 0
    for process in processes:
        process.communicate(stdin)
        failures += process.returncode != 0
    return time.perf_counter() - start, children_cpu() - cpu, failures


def describe(samples):
    ordered = sorted(samples)
    return (statistics.median(ordered), ordered[len(ordered) // 10],
            ordered[(len(ordered) * 9) // 10 - 1] if len(ordered) >= 10 else ordered[-1])


def machine(python):
    cpu = "unknown CPU"
    try:
        with open("/proc/cpuinfo") as handle:
            cpu = next(line.split(":", 1)[1].strip() for line in handle if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    version = subprocess.check_output([python, "-c", "import sys; print(sys.version.split()[0])"]).decode().strip()
    return "%s, %d cores, Python %s (%s)" % (cpu, os.cpu_count() or 0, version, python)


def forget_tokens(home):
    """A token miss next time; the bytecode cache stays."""
    shutil.rmtree(os.path.join(home, ".ecr", "roles"), True)
    try:
        os.remove(os.path.join(home, ".ecr", "cache.json"))
    except FileNotFoundError:
        pass


# ------------------------------------------------------------------------------------------
# The cases


def make_home(work, name, role=False):
    home = os.path.join(work, name)
    os.makedirs(os.path.join(home, ".aws"))
    with open(os.path.join(home, ".aws", "credentials"), "w") as handle:
        handle.write("[bench-keys]\naws_access_key_id = %s\naws_secret_access_key = %s\n" % (ACCESS_KEY, SECRET_KEY))
    if role:
        with open(os.path.join(home, ".aws", "config"), "w") as handle:
            handle.write("[profile bench-role]\nrole_arn = %s\nsource_profile = bench-keys\n" % ROLE_ARN)
    return home


def pyenv_shims():
    try:
        root = subprocess.check_output(["pyenv", "root"], stderr=subprocess.DEVNULL).decode().strip()
    except (OSError, subprocess.CalledProcessError):
        return None
    shims = os.path.join(root, "shims")
    return shims if os.path.exists(os.path.join(shims, "python3")) else None


def build_cases(python, app, empty, floor_zip, work, pki, endpoint, in_namespace):
    """[(name, argv, env, stdin, prepare or None)] for the clients that are here."""
    path = os.environ.get("PATH", os.defpath)
    interpreter_dir = os.path.dirname(os.path.realpath(python))

    def env_for(home, **extra):
        env = {"PATH": path, "HOME": home, "AWS_EC2_METADATA_DISABLED": "true",
               "AWS_ACCESS_KEY_ID": ACCESS_KEY, "AWS_SECRET_ACCESS_KEY": SECRET_KEY}
        if not in_namespace:  # the CA bundle and a high port: no system store, no Go helper
            env.update(AWS_ENDPOINT_URL="https://127.0.0.1:%d" % endpoint.port, AWS_CA_BUNDLE=pki.root)
        env.update(extra)
        return dict((name, value) for name, value in env.items() if value is not None)

    host = ECR_HOST if in_namespace else "127.0.0.1"
    floor = [python, "-I", "-S", os.path.join(HERE, "floor.py"), host, str(endpoint.port)]
    get = [python, "-I", "-S", app, "get"]
    stdin = REGISTRY.encode()
    homes = dict((name, make_home(work, name, role=(name == "role"))) for name in (
        "warm", "cold", "cold-bundle", "cold-off", "role", "go"))
    cases = [
        ("bare", [python, "-I", "-S", "-c", "pass"], {"PATH": path}, b"", None),
        ("empty", [python, "-I", "-S", empty], {"PATH": path}, b"", None),
        ("floor-bundle", floor + [pki.root], env_for(homes["cold"]), b"", None),
        ("warm", get, env_for(homes["warm"]), stdin, None),
        ("cold-bundle", get, env_for(homes["cold-bundle"], AWS_CA_BUNDLE=pki.root), stdin,
         lambda: forget_tokens(homes["cold-bundle"])),
        ("cold-off", get, env_for(homes["cold-off"], AWS_ECR_DISABLE_CACHE="1"), stdin, None),
    ]
    if in_namespace:
        cases += [
            ("floor", floor + ["system"], env_for(homes["cold"]), b"", None),
            ("floor-zip", [python, "-I", "-S", floor_zip] + floor[4:] + ["system"], env_for(homes["cold"]), b"",
             None),
            ("cold", get, env_for(homes["cold"]), stdin, lambda: forget_tokens(homes["cold"])),
            ("role", get, env_for(homes["role"], AWS_PROFILE="bench-role", AWS_ACCESS_KEY_ID=None), stdin,
             lambda: forget_tokens(homes["role"])),
        ]
        go_helper = shutil.which("docker-credential-ecr-login", path="/usr/bin:/usr/local/bin")
        if go_helper:
            cases += [("go-cold", [go_helper, "get"], env_for(homes["go"], AWS_ECR_DISABLE_CACHE="1"), stdin, None),
                      ("go-warm", [go_helper, "get"], env_for(homes["warm"]), stdin, None)]
    if subprocess.call([python, "-c", "import boto3"], stderr=subprocess.DEVNULL) == 0:
        cases.append(("boto3", [python, "-c", BOTO3_SCRIPT], env_for(homes["cold"], AWS_CA_BUNDLE=pki.root,
                                                                      AWS_ENDPOINT_URL="https://%s:%d" % (
                                                                          host, endpoint.port)), b"", None))
    aws_cli = os.path.join(interpreter_dir, "aws")
    if os.path.exists(aws_cli):
        cases.append(("aws-cli", [python, aws_cli, "ecr", "get-login-password"], env_for(
            homes["cold"], AWS_CA_BUNDLE=pki.root, AWS_DEFAULT_REGION=REGION,
            AWS_ENDPOINT_URL="https://%s:%d" % (host, endpoint.port)), b"", None))
    shims = pyenv_shims()
    if shims:
        shebang_get = [app, "get"]
        cases += [("via-shim", shebang_get, dict(env_for(homes["warm"]), PATH=shims + os.pathsep + path), stdin, None),
                  ("via-path", shebang_get, dict(env_for(homes["warm"]), PATH=interpreter_dir + os.pathsep + path),
                   stdin, None)]
    return cases, homes


def run(options):
    python = options.python
    in_namespace = bool(os.environ.get(INSIDE))
    work = tempfile.mkdtemp(prefix="ecr-login-bench-")
    endpoint = None
    try:
        pki = PKI(tempfile.mkdtemp(prefix="pki-", dir=work), names="DNS:%s, DNS:%s, DNS:localhost, IP:127.0.0.1" % (
            ECR_HOST, STS_HOST))
        if in_namespace:
            install_test_store(pki, work)
        app = build_zipapp.build(os.path.join(work, "docker-credential-ecr-login"))
        empty = os.path.join(work, "empty.pyz")
        floor_zip = os.path.join(work, "floor.pyz")
        for path, main_text in ((empty, ""), (floor_zip, read(os.path.join(HERE, "floor.py")))):
            with zipfile.ZipFile(path, "w") as archive:
                archive.writestr("__main__.py", main_text)
        chain, key = pki.leaves["good"]
        endpoint = Endpoint(chain, key, 443 if in_namespace else 0)
        cases, homes = build_cases(python, app, empty, floor_zip, work, pki, endpoint, in_namespace)
        for name, argv, env, stdin, prepare in cases:  # seed the caches (tokens, bytecode); check each works
            elapsed, cpu, code, out, err = timed(argv, env, stdin)
            if code != 0:
                sys.exit("%s failed (exit %d): %s" % (name, code, (out + err).decode(errors="replace")[:400]))
        samples = dict((case[0], []) for case in cases)  # (wall, cpu) pairs
        for _ in range(options.runs):
            for name, argv, env, stdin, prepare in cases:
                if prepare:
                    prepare()
                elapsed, cpu, code, out, err = timed(argv, env, stdin)
                if code != 0:
                    sys.exit("%s failed (exit %d): %s" % (name, code, err.decode(errors="replace")[:300]))
                samples[name].append((elapsed, cpu))
        samples.update({"burst": [], "burst-empty": []})
        calls = []
        burst_case = [case for case in cases if case[0] == ("cold" if in_namespace else "cold-bundle")][0]
        for _ in range(options.bursts):
            burst_case[4]()
            before = endpoint.ecr_calls
            elapsed, cpu, failures = timed_burst(burst_case[1], burst_case[2], burst_case[3])
            calls.append(endpoint.ecr_calls - before)
            samples["burst"].append((elapsed, cpu))
            elapsed, cpu, _ = timed_burst([python, "-I", "-S", empty], {"PATH": os.environ.get("PATH", "")}, b"")
            samples["burst-empty"].append((elapsed, cpu))
            if failures:
                sys.exit("%d gets of a burst failed" % failures)
    finally:
        if endpoint:
            endpoint.close()
        shutil.rmtree(work, ignore_errors=True)
    report(python, options, samples, calls, in_namespace)


def report(python, options, samples, calls, in_namespace):
    print("machine: %s" % machine(python))
    print("%d alternating runs per case%s" % (options.runs, "" if in_namespace else
                                             " (not root: no system store, Go helper or namespace)"))
    print("%-13s %9s %9s %9s %10s" % ("case", "median", "p10", "p90", "CPU median"))
    wall, cpu = {}, {}
    for name, pairs in samples.items():
        median, low, high = describe([pair[0] for pair in pairs])
        wall[name], cpu[name] = median, statistics.median(pair[1] for pair in pairs)
        print("%-13s %7.1f ms %6.1f ms %6.1f ms %7.1f ms" % (name, median * 1000, low * 1000, high * 1000,
                                                            cpu[name] * 1000))
    print("goals (ratios of medians, wall time and CPU time):")
    goals = GOALS + (("%d-way cold burst / %d empty zipapps" % (BURST, BURST), "burst", "burst-empty", 1.4),)
    for label, numerator, denominator, goal in goals:
        if numerator in wall and denominator in wall:
            ratios = wall[numerator] / wall[denominator], cpu[numerator] / cpu[denominator]
            print("  %-48s wall %5.2fx  CPU %5.2fx  (goal <= %.2fx: %s)" % (
                label, ratios[0], ratios[1], goal, "met" if ratios[0] <= goal else "NOT met"))
    print("  ECR calls per %d-way burst: %s" % (BURST, sorted(set(calls))))
    if "via-shim" in wall:
        print("  a pyenv shim on PATH adds %.1f ms per call" % ((wall["via-shim"] - wall["via-path"]) * 1000))


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--bursts", type=int, default=5)
    parser.add_argument("--python", default=sys.executable)
    options = parser.parse_args()
    enter_namespace()
    run(options)


if __name__ == "__main__":
    main()
