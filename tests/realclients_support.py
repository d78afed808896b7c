"""The inside half of tests/test_real_clients.py: real clients pulling through the helper.

Run by RealClientsTest as ``unshare --mount --net [--pid --fork --kill-child --mount-proc]
python tests/realclients_support.py``; it refuses to run anywhere else (it changes /etc/hosts
and /etc/docker, which is only harmless inside a private mount namespace). Not a test module
(unittest discovery does not load it): its RealClients case runs through main() below.

Inside the namespace, on loopback only:

- the ECR host 123456789012.dkr.ecr.us-west-2.amazonaws.com resolves to 127.0.0.2 (a temp
  hosts file bind-mounted over /etc/hosts);
- Debian's ``docker-registry`` (CNCF distribution) serves it on 127.0.0.2:443 with a cert from a
  test CA, htpasswd auth with the user AWS and a bcrypt hash of the password the fake ECR mints;
- skopeo, podman, buildah and the docker CLI trust the CA through
  /etc/docker/certs.d/<host>/ca.crt, on a tmpfs mounted over /etc/docker (falling back to
  SSL_CERT_FILE when there is no /etc/docker);
- tests.fakeaws.FakeAWS answers GetAuthorizationToken over TLS on 127.0.0.1 (AWS_ENDPOINT_URL_ECR,
  AWS_CA_BUNDLE), with static keys in the environment;
- a freshly built zipapp is first on PATH as docker-credential-ecr-login (and as
  ecr-credential-provider), run by this interpreter (a python3 link in the same directory), and
  $DOCKER_CONFIG/config.json names it in credHelpers.

Stdlib only; Python 3.6+ syntax (only the newest interpreter runs it in CI).
"""

import gzip
import hashlib
import io
import json
import os
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import tarfile
import tempfile
import time
import unittest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)

import build_zipapp  # noqa: E402
from tests.fakeaws import FakeAWS, make_test_ca, server_ssl_context  # noqa: E402

INSIDE_MARKER = "ECR_LOGIN_REAL_CLIENTS_INSIDE"   # set by RealClientsTest for this process only
CLIENTS_PYTHON = "ECR_LOGIN_CLIENTS_PYTHON"       # a python with docker-py, when this one lacks it

ACCOUNT = "123456789012"
REGION = "us-west-2"
HOST = "%s.dkr.ecr.%s.amazonaws.com" % (ACCOUNT, REGION)
REGISTRY_IP = "127.0.0.2"
IMAGE = "%s/test/app:1" % HOST
HELPER = "docker-credential-ecr-login"
KUBELET_PROVIDER = "ecr-credential-provider"
ACCESS_KEY_ID = "AKIAREALCLIENTSTEST1"
SECRET_ACCESS_KEY = "real-clients-test-secret-key-not-a-real-one"

COMMAND_TIMEOUT = 30      # seconds for any one client command
START_TIMEOUT = 15        # seconds for the registry to answer
GET_AUTHORIZATION_TOKEN = ("ecr", "GetAuthorizationToken")
UNAUTHORIZED_WORDS = ("unauthorized", "authentication required", "401")

# The docker-py part, run with the python that has docker-py: prints one JSON line.
DOCKER_PY_SCRIPT = r"""
import json, sys
import docker
from docker.credentials import Store
from docker.credentials.errors import CredentialsNotFound
result = {"version": docker.__version__}
try:
    result["creds"] = Store("ecr-login").get(sys.argv[1])
except CredentialsNotFound as error:
    result["not_found"] = str(error)
print(json.dumps(result))
"""

REGISTRY_CONFIG = """version: 0.1
log:
  level: warn
  accesslog:
    disabled: true
storage:
  filesystem:
    rootdirectory: %(storage)s
  delete:
    enabled: true
http:
  addr: %(addr)s
  secret: %(secret)s
  tls:
    certificate: %(cert)s
    key: %(key)s
auth:
  htpasswd:
    realm: ecr-login-real-clients
    path: %(htpasswd)s
"""


def log(message):
    sys.stderr.write("realclients: %s\n" % message)
    sys.stderr.flush()


def write(path, data, mode=0o644):
    if isinstance(data, str):
        data = data.encode("utf-8")
    with open(path, "wb") as handle:
        handle.write(data)
    os.chmod(path, mode)


def run(args, env=None, stdin_text=None, timeout=COMMAND_TIMEOUT, check=True):
    """Run a command with a timeout; (returncode, stdout, stderr) as text."""
    proc = subprocess.Popen(args, env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, universal_newlines=True)
    try:
        out, err = proc.communicate(stdin_text or "", timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        out, err = proc.communicate()
        raise AssertionError("%s timed out after %s s\nstdout: %s\nstderr: %s"
                             % (" ".join(args), timeout, out, err))
    if check and proc.returncode != 0:
        raise AssertionError("%s exited %d\nstdout: %s\nstderr: %s"
                             % (" ".join(args), proc.returncode, out, err))
    return proc.returncode, out, err


# --------------------------------------------------------------------------------------
# Certificates, the seed image, the namespace


def _blob(layout, data):
    digest = hashlib.sha256(data).hexdigest()
    write(os.path.join(layout, "blobs", "sha256", digest), data)
    return "sha256:" + digest


def make_oci_layout(layout):
    """A one-layer OCI image layout (tag 'latest') written by hand; returns the manifest digest."""
    os.makedirs(os.path.join(layout, "blobs", "sha256"))
    content = b"hello from ecr-login real clients test\n"
    tar_buffer = io.BytesIO()
    with tarfile.open(fileobj=tar_buffer, mode="w", format=tarfile.PAX_FORMAT) as tar:
        info = tarfile.TarInfo("hello.txt")
        info.size, info.mode, info.mtime = len(content), 0o644, 0
        tar.addfile(info, io.BytesIO(content))
    layer_tar = tar_buffer.getvalue()
    gz_buffer = io.BytesIO()
    with gzip.GzipFile(fileobj=gz_buffer, mode="wb", mtime=0) as gz:
        gz.write(layer_tar)
    layer = gz_buffer.getvalue()
    config = json.dumps({
        "architecture": "amd64", "os": "linux", "config": {"Cmd": ["/hello.txt"]},
        "rootfs": {"type": "layers", "diff_ids": ["sha256:" + hashlib.sha256(layer_tar).hexdigest()]},
    }, sort_keys=True).encode("utf-8")
    manifest = json.dumps({
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json",
                   "digest": _blob(layout, config), "size": len(config)},
        "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip",
                    "digest": _blob(layout, layer), "size": len(layer)}],
    }, sort_keys=True).encode("utf-8")
    manifest_digest = _blob(layout, manifest)
    write(os.path.join(layout, "oci-layout"), json.dumps({"imageLayoutVersion": "1.0.0"}))
    write(os.path.join(layout, "index.json"), json.dumps({
        "schemaVersion": 2,
        "manifests": [{"mediaType": "application/vnd.oci.image.manifest.v1+json",
                       "digest": manifest_digest, "size": len(manifest),
                       "annotations": {"org.opencontainers.image.ref.name": "latest"}}],
    }))
    return manifest_digest


def _can_bind(address):
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        sock.bind((address, 0))
        return True
    except OSError:
        return False
    finally:
        sock.close()


def set_up_namespace(work, ca_path):
    """Loopback up, the ECR host at 127.0.0.2, the CA trusted by skopeo and docker.

    Returns extra environment for the clients (SSL_CERT_FILE only in the fallback case).
    Everything here is undone by the kernel when the namespace's last process exits.
    """
    run(["ip", "link", "set", "lo", "up"])
    if not _can_bind(REGISTRY_IP):
        run(["ip", "addr", "add", REGISTRY_IP + "/8", "dev", "lo"])
    hosts = os.path.join(work, "hosts")
    write(hosts, "127.0.0.1 localhost\n%s %s\n" % (REGISTRY_IP, HOST))
    run(["mount", "--bind", hosts, "/etc/hosts"])
    if os.path.isdir("/etc/docker"):
        # A private tmpfs hides the machine's /etc/docker (and its registry config) from us
        # and keeps our certs.d off the machine.
        run(["mount", "-t", "tmpfs", "-o", "mode=0755,size=1m", "ecr-login-test", "/etc/docker"])
        host_dir = os.path.join("/etc/docker/certs.d", HOST)
        os.makedirs(host_dir)
        shutil.copyfile(ca_path, os.path.join(host_dir, "ca.crt"))
        return {}
    # No /etc/docker to mount over (creating one would leak onto the machine): Go's
    # crypto/x509 reads SSL_CERT_FILE instead of the system bundle.
    log("no /etc/docker here; trusting the test CA through SSL_CERT_FILE instead of certs.d")
    bundle = os.path.join(work, "ca-bundle.pem")
    with open(bundle, "wb") as out:
        for system in ("/etc/ssl/certs/ca-certificates.crt", "/etc/pki/tls/certs/ca-bundle.crt"):
            if os.path.isfile(system):
                with open(system, "rb") as handle:
                    out.write(handle.read() + b"\n")
                break
        with open(ca_path, "rb") as handle:
            out.write(handle.read())
    return {"SSL_CERT_FILE": bundle}


# --------------------------------------------------------------------------------------
# The registry


class Registry(object):
    """docker-registry on 127.0.0.2:443 with TLS and htpasswd (user AWS, the given password)."""

    def __init__(self, work, cert, key, ca, password):
        self.directory = os.path.join(work, "registry")
        os.makedirs(os.path.join(self.directory, "storage"))
        _, htpasswd, _ = run(["htpasswd", "-Bbn", "AWS", password])
        htpasswd_path = os.path.join(self.directory, "htpasswd")
        write(htpasswd_path, htpasswd.strip() + "\n", 0o600)
        config_path = os.path.join(self.directory, "config.yml")
        write(config_path, REGISTRY_CONFIG % {
            "storage": json.dumps(os.path.join(self.directory, "storage")),
            "addr": json.dumps("%s:443" % REGISTRY_IP),
            "secret": json.dumps(hashlib.sha256(os.urandom(16)).hexdigest()),
            "cert": json.dumps(cert), "key": json.dumps(key), "htpasswd": json.dumps(htpasswd_path),
        })
        self.log_path = os.path.join(self.directory, "registry.log")
        self.log_file = open(self.log_path, "wb")
        self.binary = shutil.which("docker-registry") or shutil.which("registry")
        self.proc = subprocess.Popen([self.binary, "serve", config_path], stdin=subprocess.DEVNULL,
                                     stdout=self.log_file, stderr=subprocess.STDOUT)
        self.ca = ca

    def wait_ready(self):
        """Poll GET /v2/ over TLS (verifying the cert for HOST) until it answers 401."""
        context = ssl.create_default_context(cafile=self.ca)
        deadline = time.time() + START_TIMEOUT
        last = None
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise AssertionError("docker-registry exited %d:\n%s" % (self.proc.returncode, self.output()))
            try:
                sock = socket.create_connection((REGISTRY_IP, 443), timeout=2)
                with context.wrap_socket(sock, server_hostname=HOST) as tls:
                    tls.sendall(("GET /v2/ HTTP/1.1\r\nHost: %s\r\nConnection: close\r\n\r\n" % HOST).encode())
                    status_line = tls.recv(64).decode("latin-1").split("\r\n")[0]
                if " 401 " in status_line + " ":
                    return
                last = status_line
            except (OSError, ssl.SSLError) as error:
                last = error
            time.sleep(0.05)
        raise AssertionError("docker-registry did not answer 401 on /v2/ within %d s (last: %s):\n%s"
                             % (START_TIMEOUT, last, self.output()))

    def output(self):
        self.log_file.flush()
        with open(self.log_path, "rb") as handle:
            return handle.read().decode("utf-8", "replace")[-4000:]

    def stop(self):
        if self.proc.poll() is None:
            self.proc.kill()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            pass
        self.log_file.close()


def tool_version(args):
    try:
        _, out, err = run(args, timeout=10, check=False)
    except (OSError, AssertionError):
        return "unknown"
    return (out.strip() or err.strip()).splitlines()[0] if (out.strip() or err.strip()) else "unknown"


def docker_py_python():
    """The python that runs the docker-py part: this one if it has docker-py, else $ECR_LOGIN_CLIENTS_PYTHON."""
    try:
        import docker  # noqa: F401
        return sys.executable
    except ImportError:
        return os.environ.get(CLIENTS_PYTHON) or None


# --------------------------------------------------------------------------------------
# The clients


class RealClients(unittest.TestCase):
    """skopeo, the docker CLI, docker-py, a kubelet-style request, podman and buildah, through the helper.

    The methods run in name order and share one registry, fake ECR and token cache: the
    first credential-helper call (skopeo) fetches the token, the later ones must be served
    from the helper's cache (GetAuthorizationToken stays at 1).
    """

    @classmethod
    def setUpClass(cls):
        started = time.time()
        cls.work = tempfile.mkdtemp(prefix="ecr-login-real-clients-")
        cls.registry = cls.fake = None
        try:
            cls._set_up()
        except BaseException:
            cls.tearDownClass()
            raise
        log("set up in %.2f s" % (time.time() - started))

    @classmethod
    def _set_up(cls):
        work = cls.work
        certs = os.path.join(work, "certs")
        os.makedirs(certs)
        cls.ca, cert, key = make_test_ca(certs, dns_names=(HOST, "localhost"),
                                           ip_addresses=("127.0.0.1", REGISTRY_IP))
        trust_env = set_up_namespace(work, cls.ca)
        cls.password = "ecr-real-clients-" + hashlib.sha256(os.urandom(16)).hexdigest()[:40]

        cls.fake = FakeAWS(tls_context=server_ssl_context(cert, key), password=cls.password)
        cls.registry = Registry(work, cert, key, cls.ca, cls.password)

        # The helper, first on PATH, run by this interpreter whatever python3 PATH has.
        cls.bin = os.path.join(work, "bin")
        os.makedirs(cls.bin)
        app = build_zipapp.build(os.path.join(cls.bin, HELPER))
        shutil.copy2(app, os.path.join(cls.bin, KUBELET_PROVIDER))
        os.symlink(sys.executable, os.path.join(cls.bin, "python3"))

        cls.home = cls.make_home("home")
        cls.docker_config = os.path.join(work, "docker-config")  # outside HOME on purpose
        os.makedirs(cls.docker_config)
        write(os.path.join(cls.docker_config, "config.json"),
              json.dumps({"credHelpers": {HOST: "ecr-login"}}), 0o600)
        cls.plain_docker_config = os.path.join(work, "docker-config-plain")  # no credHelpers
        os.makedirs(cls.plain_docker_config)
        write(os.path.join(cls.plain_docker_config, "config.json"), "{}", 0o600)

        base = {
            "PATH": cls.bin + os.pathsep + os.environ.get("PATH", "/usr/bin:/bin"),
            "LANG": "C.UTF-8",
            "TMPDIR": work,
            "XDG_RUNTIME_DIR": cls.make_home("xdg-runtime"),   # no stray containers auth.json
            "XDG_CONFIG_HOME": cls.make_home("xdg-config"),
            "DOCKER_HOST": "unix://" + os.path.join(work, "no-docker-daemon.sock"),
            "AWS_EC2_METADATA_DISABLED": "true",
            "AWS_ENDPOINT_URL_ECR": cls.fake.url,
            "AWS_CA_BUNDLE": cls.ca,
            "AWS_ECR_HTTP_TIMEOUT": "5",
            "AWS_ECR_TOTAL_TIMEOUT": "15",
            "AWS_ECR_LOCK_TIMEOUT": "15",
            "AWS_CONFIG_FILE": os.path.join(work, "no-aws-config"),
            "AWS_SHARED_CREDENTIALS_FILE": os.path.join(work, "no-aws-credentials"),
        }
        base.update(trust_env)
        cls.env = dict(base, HOME=cls.home, DOCKER_CONFIG=cls.docker_config,
                       AWS_ACCESS_KEY_ID=ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY=SECRET_ACCESS_KEY)
        # No AWS credentials anywhere, and a cache of its own.
        cls.no_creds_home = cls.make_home("home-no-credentials")
        cls.no_creds_env = dict(base, HOME=cls.no_creds_home, DOCKER_CONFIG=cls.docker_config)

        cls.registry.wait_ready()
        log("versions: %s | %s | %s | python %s" % (
            tool_version(["skopeo", "--version"]), tool_version(["docker", "--version"]),
            tool_version([cls.registry.binary, "--version"]), sys.version.split()[0]))

        # Seed the registry with explicit credentials: the helper is not asked.
        layout = os.path.join(work, "oci")
        cls.manifest_digest = make_oci_layout(layout)
        started = time.time()
        run(["skopeo", "copy", "--quiet", "--dest-creds", "AWS:" + cls.password,
             "oci:%s:latest" % layout, "docker://" + IMAGE], env=cls.env)
        log("seeded %s (%s) in %.2f s" % (IMAGE, cls.manifest_digest, time.time() - started))

    @classmethod
    def make_home(cls, name):
        path = os.path.join(cls.work, name)
        os.makedirs(path)
        return path

    @classmethod
    def tearDownClass(cls):
        if cls.registry is not None:
            cls.registry.stop()
        if cls.fake is not None:
            cls.fake.close()
        shutil.rmtree(cls.work, True)

    # helpers

    def token_calls(self):
        return self.fake.count(*GET_AUTHORIZATION_TOKEN)

    def timed(self, label, args, **kwargs):
        started = time.time()
        result = run(args, **kwargs)
        log("%s: %.2f s" % (label, time.time() - started))
        return result

    def helper_log(self, home):
        path = os.path.join(home, ".ecr", "log", "ecr-login.log")
        if not os.path.exists(path):
            return ""
        with open(path) as handle:
            return handle.read()

    def docker_py(self, server, env):
        python = docker_py_python()
        if python is None:
            self.fail("docker-py is not importable and %s is not set" % CLIENTS_PYTHON)
        _, out, err = self.timed("docker-py Store.get(%s)" % server, [python, "-c", DOCKER_PY_SCRIPT, server], env=env)
        self.assertNotIn("Traceback", err)
        result = json.loads(out.strip().splitlines()[-1])
        log("docker-py %s" % result.pop("version"))
        return result

    # the clients, in this order

    def test_0_seed_did_not_use_the_helper(self):
        self.assertEqual(self.token_calls(), 0, "skopeo copy --dest-creds must not ask the helper")

    def test_1_skopeo_inspect_uses_the_cred_helper(self):
        _, out, err = self.timed("skopeo inspect", ["skopeo", "inspect", "docker://" + IMAGE], env=self.env)
        self.assertEqual(json.loads(out)["Digest"], self.manifest_digest)
        self.assertEqual(self.token_calls(), 1, "skopeo's helper call must fetch exactly one token")
        self.assertEqual(self.fake.last(*GET_AUTHORIZATION_TOKEN).auth["region"], REGION)

    def test_2_docker_manifest_inspect_is_served_from_the_cache(self):
        _, out, err = self.timed("docker manifest inspect",
                                 ["docker", "manifest", "inspect", IMAGE], env=self.env)
        manifest = json.loads(out)
        self.assertEqual(manifest["layers"][0]["mediaType"], "application/vnd.oci.image.layer.v1.tar+gzip")
        self.assertEqual(self.token_calls(), 1, "the docker CLI's helper call must hit the cache")

    def test_3_docker_py_credentials_store(self):
        result = self.docker_py(HOST, self.env)
        self.assertEqual(result.get("creds"), {"ServerURL": HOST, "Username": "AWS", "Secret": self.password})
        self.assertEqual(self.token_calls(), 1, "docker-py's helper call must hit the cache")

    def test_4_kubelet_provider_password_is_accepted_by_the_registry(self):
        request = {"apiVersion": "credentialprovider.kubelet.k8s.io/v1",
                   "kind": "CredentialProviderRequest", "image": IMAGE}
        _, out, err = self.timed("ecr-credential-provider", [os.path.join(self.bin, KUBELET_PROVIDER)],
                                 env=self.env, stdin_text=json.dumps(request))
        response = json.loads(out)
        self.assertEqual(response["kind"], "CredentialProviderResponse")
        auth = response["auth"][HOST]
        self.assertEqual(auth["username"], "AWS")
        # The registry itself judges the password: skopeo with explicit creds, no helper config.
        env = dict(self.env, DOCKER_CONFIG=self.plain_docker_config)
        _, out, err = self.timed("skopeo inspect --creds (kubelet password)",
                                 ["skopeo", "inspect", "--creds", "AWS:" + auth["password"],
                                  "docker://" + IMAGE], env=env)
        self.assertEqual(json.loads(out)["Digest"], self.manifest_digest)
        self.assertEqual(self.token_calls(), 1, "the kubelet provider must share the token cache")

    def test_5_skopeo_without_aws_credentials_is_refused_not_crashed(self):
        before = self.token_calls()
        code, out, err = self.timed("skopeo inspect (no AWS credentials)",
                                    ["skopeo", "inspect", "docker://" + IMAGE],
                                    env=self.no_creds_env, check=False)
        self.assertNotEqual(code, 0, "the registry must refuse an anonymous pull:\n" + out)
        self.assertTrue(any(word in err.lower() for word in UNAUTHORIZED_WORDS),
                        "expected an unauthorized error from the registry, got:\n" + err)
        self.assertNotIn("Traceback", err)
        self.assertNotIn("credential helper", err.lower(), "skopeo must treat not-found as anonymous")
        self.assertEqual(self.token_calls(), before, "no credentials: no token call")
        log("skopeo said: %s" % err.strip().splitlines()[-1][:300])
        # The helper was asked (its one-line reason is in its log), and said not-found.
        self.assertRegex(self.helper_log(self.no_creds_home), r"level=error .*credentials",
                         "the helper must have been asked, and logged why it said not-found")

    def test_6_docker_py_not_found_for_docker_hub(self):
        result = self.docker_py("index.docker.io", self.no_creds_env)
        self.assertIn("not_found", result, "expected CredentialsNotFound, got %r" % (result,))

    def containers_storage(self, tool):
        """Options that give podman or buildah a storage of their own under the work dir
        (vfs: no overlay mounts needed), and no systemd or journald."""
        runroot = tempfile.mkdtemp(prefix="ecr-%s-" % tool, dir="/tmp")  # podman wants at most 50 characters
        self.addCleanup(shutil.rmtree, runroot, True)
        options = ["--root", os.path.join(self.work, tool), "--runroot", runroot, "--storage-driver", "vfs"]
        if tool == "podman":
            options += ["--cgroup-manager", "cgroupfs", "--events-backend", "file"]
        return options

    def pull_with(self, tool):
        """Pull the image with podman or buildah through the helper; the image ID it prints."""
        log("versions: %s" % tool_version([tool, "--version"]))
        _, out, err = self.timed("%s pull" % tool, [tool] + self.containers_storage(tool) + ["pull", IMAGE],
                                 env=self.env)
        self.assertNotIn("Traceback", err)
        return out.strip().splitlines()[-1]

    def test_7_podman_pulls_through_the_helper_from_the_cache(self):
        image_id = self.pull_with("podman")
        self.assertRegex(image_id, r"^[0-9a-f]{64}$")
        self.assertEqual(self.token_calls(), 1, "podman's helper call must hit the cache")

    def test_9_podman_login_to_the_routed_ecr_host_says_no_login_is_needed(self):
        auth_file = os.path.join(self.work, "podman-auth.json")
        write(auth_file, json.dumps({"credHelpers": {HOST: "ecr-login"}}), 0o600)
        code, out, err = self.timed("podman login (routed here)", [
            "podman", "login", "--authfile", auth_file, "--username", "AWS", "--password-stdin", HOST],
            env=self.env, stdin_text=self.password + "\n", check=False)
        self.assertNotEqual(code, 0, out + err)
        self.assertIn("not implemented", err)
        self.assertIn("no login is needed for %s" % HOST, err)
        self.assertIn("AWS_ECR_IGNORE_CREDS_STORAGE=true", err)
        log("podman login said: %s" % " | ".join(err.strip().splitlines())[:400])
        code, out, err = self.timed("podman login (AWS_ECR_IGNORE_CREDS_STORAGE=true)", [
            "podman", "login", "--authfile", auth_file, "--username", "AWS", "--password-stdin", HOST],
            env=dict(self.env, AWS_ECR_IGNORE_CREDS_STORAGE="true"), stdin_text=self.password + "\n")
        self.assertIn("Login Succeeded", out)
        with open(auth_file) as handle:
            self.assertNotIn(self.password, handle.read(), "the login must not be stored anywhere")

    def test_8_buildah_pulls_through_the_helper_from_the_cache(self):
        image_id = self.pull_with("buildah")
        self.assertRegex(image_id, r"^[0-9a-f]{64}$")
        self.assertEqual(self.token_calls(), 1, "buildah's helper call must hit the cache")


def main():
    if os.environ.get(INSIDE_MARKER) != "1" or os.getuid() != 0:
        sys.stderr.write("realclients_support.py runs only inside the namespace that "
                         "tests/test_real_clients.py makes (it mounts over /etc/hosts)\n")
        return 2
    # PID 1 of a new pid namespace ignores SIGTERM by default; make it end the run.
    signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(143))
    suite = unittest.defaultTestLoader.loadTestsFromTestCase(RealClients)
    result = unittest.TextTestRunner(stream=sys.stderr, verbosity=2).run(suite)
    return 0 if result.wasSuccessful() and result.testsRun and not result.skipped else 1


if __name__ == "__main__":
    sys.exit(main())
