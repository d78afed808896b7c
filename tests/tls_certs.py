"""Test certificates shaped like AWS's: a root CA, an intermediate CA and leaf certificates
the intermediate signs (the server sends leaf + intermediate), plus the bad ones a client
must refuse: a wrong name, an expired leaf, a self-signed leaf, and a leaf from another root.
Made with the openssl command (a test dependency, as for tests.fakeaws.make_test_ca).
"""

import os
import shutil
import subprocess
import unittest

OPENSSL_TIMEOUT = 60
VALID = ["-days", "7"]
# An expiry in the past: `openssl ca` takes any dates, where `openssl x509 -days -1` fails since
# OpenSSL 3.5 ("end date before start date").
EXPIRED = ["-startdate", "20200101000000Z", "-enddate", "20200102000000Z"]
# What `openssl ca` needs: a database of what it signed (subjects may repeat) and a policy.
CA_CONFIG = ("[ca]\ndefault_ca = test\n[test]\ndatabase = %s\nunique_subject = no\nnew_certs_dir = %s\n"
             "rand_serial = yes\ndefault_md = sha256\npolicy = any\n[any]\ncommonName = supplied\n")
EC_KEY = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
CA_EXTENSIONS = ("basicConstraints = critical, CA:TRUE%s\nkeyUsage = critical, keyCertSign, cRLSign\n"
                 "subjectKeyIdentifier = hash\nauthorityKeyIdentifier = keyid:always\n")
LEAF_EXTENSIONS = ("basicConstraints = critical, CA:FALSE\nkeyUsage = critical, digitalSignature\n"
                   "extendedKeyUsage = serverAuth\nsubjectAltName = %s\nsubjectKeyIdentifier = hash\n")
LOOPBACK_NAMES = "DNS:localhost, IP:127.0.0.1"


def read(path):
    with open(path) as handle:
        return handle.read()


class PKI(object):
    """Certificates in a directory. Each leaf name maps to (chain file, key file) for a server."""

    def __init__(self, directory, names=LOOPBACK_NAMES):
        self.openssl = shutil.which("openssl")
        if self.openssl is None:
            raise unittest.SkipTest("the openssl command is not installed; TLS tests need it")
        self.directory = directory
        self.config = self.write("ca.cnf", CA_CONFIG % (self.write("index.txt", ""), directory))
        self.root = self.ca("root", "ecr-login test root CA")
        self.other_root = self.ca("other-root", "ecr-login other root CA")
        self.decoy_root = self.ca("decoy-root", "ecr-login decoy root CA")
        self.intermediate = self.ca("intermediate", "ecr-login test intermediate CA", issuer="root", pathlen=0)
        self.leaves = {
            "good": self.leaf("good", "intermediate", names=names),
            "wrong name": self.leaf("wrong-name", "intermediate", names="DNS:elsewhere.example"),
            "expired": self.leaf("expired", "intermediate", validity=EXPIRED),
            "self-signed": self.leaf("self-signed", None),
            "other root": self.leaf("other-root-leaf", "other-root"),
        }

    def path(self, name):
        return os.path.join(self.directory, name)

    def run(self, *args):
        proc = subprocess.Popen([self.openssl] + list(args), stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        out, err = proc.communicate(timeout=OPENSSL_TIMEOUT)
        if proc.returncode != 0:
            raise RuntimeError("openssl %s failed: %s" % (args[0], (out + err).decode("utf-8", "replace")))
        return out.decode("ascii")

    def write(self, name, text):
        with open(self.path(name), "w") as handle:
            handle.write(text)
        return self.path(name)

    def sign(self, name, subject, issuer, extensions, validity=VALID):
        """name.pem for name.key's request, signed by issuer (None: by itself)."""
        self.run("req", "-new", "-subj", "/CN=" + subject, *(EC_KEY + ["-keyout", self.path(name + ".key"),
                                                                       "-out", self.path(name + ".csr")]))
        signer = ["-cert", self.path(issuer + ".pem"), "-keyfile", self.path(issuer + ".key")] if issuer else \
            ["-selfsign", "-keyfile", self.path(name + ".key")]
        self.run("ca", "-batch", "-notext", "-config", self.config, "-in", self.path(name + ".csr"),
                 "-extfile", self.write(name + ".ext", extensions), "-out", self.path(name + ".pem"),
                 *(signer + validity))
        return self.path(name + ".pem")

    def ca(self, name, subject, issuer=None, pathlen=None):
        return self.sign(name, subject, issuer, CA_EXTENSIONS % (", pathlen:%d" % pathlen if pathlen is not None else ""))

    def leaf(self, name, issuer, names=LOOPBACK_NAMES, validity=VALID):
        pem = self.sign(name, "localhost", issuer, LEAF_EXTENSIONS % names, validity)
        chain = [pem] + ([self.intermediate] if issuer == "intermediate" else [])
        text = "".join(read(path) for path in chain)
        return self.write(name + "-chain.pem", text), self.path(name + ".key")

    def subject_hash(self, pem):
        """The name OpenSSL looks a CA up by in a hashed directory (c_rehash's <hash>.0)."""
        return self.run("x509", "-hash", "-noout", "-in", pem).strip()

    def store_directory(self, name, hashed, bundled):
        """A copy of /etc/ssl/certs's shape: hashed links for the CAs in hashed, and
        ca-certificates.crt (the full store OpenSSL loads by default) holding bundled."""
        directory = self.path(name)
        os.mkdir(directory)
        for pem in hashed:
            shutil.copy(pem, os.path.join(directory, self.subject_hash(pem) + ".0"))
        with open(os.path.join(directory, "ca-certificates.crt"), "w") as handle:
            handle.write("".join(read(pem) for pem in bundled))
        return directory
