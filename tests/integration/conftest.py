# SPDX-License-Identifier: GPL-3.0-or-later
"""Shared fixtures for the integration tests.

The tests run as root (as CI does) and create the unprivileged user that
confined apps run as. Every test works in its own directory under
/var/tmp/pbtest-*, never in a fixed global path, so several test runs can
share a machine.
"""
import os
import pwd
import shutil
import subprocess
import tempfile

import pytest

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
TEST_USER = "pbtest"


def build_dir():
    return os.environ.get("PB_BUILD_DIR", os.path.join(REPO, "build"))


def binary(name):
    """Path of a built executable, searched in the build tree."""
    b = build_dir()
    for sub in ("broker", "cli", "fs", "portals", "sandbox", "tests", "bench", ""):
        p = os.path.join(b, sub, name)
        if os.path.isfile(p) and os.access(p, os.X_OK):
            return p
    raise FileNotFoundError(f"{name} not built in {b}")


@pytest.fixture(scope="session")
def test_user():
    """The unprivileged user confined apps run as: a pwd.struct_passwd."""
    try:
        return pwd.getpwnam(TEST_USER)
    except KeyError:
        pass
    r = subprocess.run(["useradd", "--create-home", "--shell", "/bin/sh", TEST_USER],
                       capture_output=True, text=True)
    if r.returncode not in (0, 9):  # 9: created meanwhile by a parallel run
        raise RuntimeError(f"useradd failed: {r.stderr}")
    return pwd.getpwnam(TEST_USER)


@pytest.fixture
def workdir():
    """A private, world-traversable scratch directory (tmp_path is root-only)."""
    d = tempfile.mkdtemp(prefix="pbtest-", dir="/var/tmp")
    os.chmod(d, 0o755)
    yield d
    subprocess.run(["umount", "-R", "-l", d], capture_output=True)
    shutil.rmtree(d, ignore_errors=True)


def run_as(user, argv, **kw):
    """Run argv as `user` (a struct_passwd) with a clean environment."""
    env = kw.pop("env", None) or {}
    base = {"PATH": "/usr/local/bin:/usr/bin:/bin", "HOME": user.pw_dir,
            "USER": user.pw_name, "LANG": "C.UTF-8"}
    base.update(env)

    def demote():
        os.setgroups([])
        os.setgid(user.pw_gid)
        os.setuid(user.pw_uid)

    return subprocess.run(argv, preexec_fn=demote, env=base, **kw)
