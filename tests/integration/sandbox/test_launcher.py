# SPDX-License-Identifier: GPL-3.0-or-later
"""plugboard-launch run directly as root with a spec (no broker): the layout,
the confinement and the escape probe. The app runs as the `pbtest` user."""
import os
import shutil
import signal
import socket
import subprocess

import pytest

from conftest import build_dir, run_as
from . import launchlib

SECCOMP_DENIED = [
    "ioctl-TIOCSTI", "ioctl-TIOCSTI-high", "ioctl-TIOCLINUX", "ioctl-TIOCLINUX-high",
    "ptrace", "process_vm_readv", "process_vm_writev", "mount", "umount2", "pivot_root",
    "chroot", "open_tree", "move_mount", "fsopen", "fsconfig", "fsmount", "fspick",
    "mount_setattr", "unshare-user", "unshare-mount", "clone-newuser", "setns", "keyctl",
    "add_key", "request_key", "bpf", "perf_event_open", "userfaultfd", "io_uring_setup",
    "io_uring_enter", "io_uring_register", "kexec_load", "kexec_file_load", "init_module",
    "finit_module", "delete_module", "personality-no-aslr", "open_by_handle_at",
    "mknod-char", "mknodat-block", "socket-AF_PACKET", "socket-AF_VSOCK",
]


@pytest.fixture(scope="module")
def launcher():
    return launchlib.find_built(build_dir(), "plugboard-launch")


@pytest.fixture(scope="module")
def probe():
    return launchlib.find_built(build_dir(), "pb-probe")


@pytest.fixture
def snap(workdir, probe):
    """A snap directory (root-owned, like the broker's store) with the probe."""
    d = os.path.join(workdir, "snap")
    os.makedirs(os.path.join(d, "bin"))
    shutil.copy(probe, os.path.join(d, "bin", "pb-probe"))
    with open(os.path.join(d, "bin", "hello"), "w") as f:
        f.write("#!/bin/sh\necho hello from $SNAP_NAME \"$@\"\n")
    os.chmod(os.path.join(d, "bin", "hello"), 0o755)
    return d


def parse(out):
    res = {}
    for line in out.decode().splitlines():
        k, _, v = line.partition(" ")
        res[k] = v
    return res


def test_runs_as_user_with_no_capabilities(launcher, snap, test_user):
    rc, out, err, rep = launchlib.run(launcher, launchlib.make_spec(
        test_user, snap, ["/bin/sh", "-c", "id -u; grep ^Cap /proc/self/status; "
                          "grep NoNewPrivs /proc/self/status; grep Seccomp: /proc/self/status"]))
    assert rc == 0, err
    lines = out.decode().splitlines()
    assert lines[0] == str(test_user.pw_uid)
    caps = [l.split()[1] for l in lines if l.startswith("Cap")]
    assert len(caps) == 5 and all(int(c, 16) == 0 for c in caps)
    assert "NoNewPrivs:\t1" in lines and "Seccomp:\t2" in lines
    assert rep[0].startswith("pid ") and rep[-1] == "exit 0"


def test_root_layout_and_user_dirs(launcher, snap, test_user):
    home = test_user.pw_dir
    rc, out, err, _ = launchlib.run(launcher, launchlib.make_spec(
        test_user, snap, ["/bin/sh", "-c",
                          "ls -A /home /root /media /mnt /srv /opt /run/media /var; echo ---; "
                          "cat /proc/self/mounts; echo ---; ls /snap/hello/x1/bin; "
                          f"touch {home}/snap/hello/x1/ok && echo wrote"]))
    assert rc == 0, err
    ls, mounts, rest = out.decode().split("---\n")
    # only the mount point of the home and /var/tmp are there: nothing of the host
    names = [w for w in ls.split() if not w.endswith(":")]
    assert sorted(names) == sorted([os.path.basename(home), "tmp"])
    table = {l.split()[1]: l.split() for l in mounts.splitlines()}
    for ro in ("/", "/usr", "/etc", "/sys", "/snap/hello/x1", "/home"):
        assert table[ro][3].startswith("ro"), ro
    for tmp in ("/home", "/root", "/media", "/run/media", "/mnt", "/var", "/srv", "/opt",
                "/run", "/tmp"):
        assert table[tmp][2] == "tmpfs", tmp
    assert table["/proc"][2] == "proc" and table["/dev/pts"][2] == "devpts"
    assert "pb-probe" in rest and "wrote" in rest
    for sub in ("x1", "common"):
        st = os.stat(os.path.join(home, "snap", "hello", sub))
        assert st.st_uid == test_user.pw_uid


def test_probe_seccomp_denials(launcher, snap, test_user):
    rc, out, err, _ = launchlib.run(launcher, launchlib.make_spec(
        test_user, snap, ["/snap/hello/x1/bin/pb-probe", "syscalls"]))
    assert rc == 0, err
    inside = parse(out)
    outside = parse(run_as(test_user, [os.path.join(snap, "bin", "pb-probe"), "syscalls"],
                           capture_output=True).stdout)
    for name in SECCOMP_DENIED:
        assert inside[name] == "EPERM", (name, inside[name])
    # clone3 gets ENOSYS so libc falls back to clone(2), whose flags are checked
    assert inside["clone3"] == "ENOSYS" and outside["clone3"] == "EINVAL"
    # the bad-pointer trick: outside, the same calls reach the kernel
    for name in ("process_vm_readv", "mount", "chroot", "open_tree", "add_key",
                 "perf_event_open", "io_uring_enter", "open_by_handle_at", "setns",
                 "ioctl-TIOCSTI-high", "ioctl-TIOCLINUX"):
        assert outside[name] != "EPERM", (name, outside[name])
    assert outside["unshare-user"] == "OK" and outside["personality-no-aslr"] == "OK"
    # and what must keep working does
    for name in ("ioctl-FIONREAD-allowed",):
        assert inside[name] == "ENOTTY"
    for name in ("personality-query-allowed", "mknod-fifo-allowed", "socket-AF_UNIX-allowed"):
        assert inside[name] == "OK", name


def test_probe_files_proc_and_devices(launcher, snap, test_user):
    rc, out, err, _ = launchlib.run(launcher, launchlib.make_spec(
        test_user, snap, ["/snap/hello/x1/bin/pb-probe", "files"]))
    assert rc == 0, err
    r = parse(out)
    assert r["proc1-root"] == "EACCES" and r["proc1-root-etc"] == "EACCES"
    assert int(r["proc-pids"]) <= 3 and r["proc-foreign-roots-readable"] == "0"
    assert r["write-usr"] == "EROFS" and r["write-root-dir"] == "EROFS"
    assert r["write-home-other"] == "EROFS" and r["write-snap"] == "EROFS"
    assert r["write-etc-passwd"] == "EACCES" and r["read-etc-shadow"] == "EACCES"
    assert r["write-tmp-allowed"] == "OK" and r["read-dev-null-allowed"] == "OK"
    for dev in ("read-dev-mem", "read-dev-sda", "read-dev-kmsg"):
        assert r[dev] == "ENOENT", dev


def test_setuid_binary_gains_nothing(launcher, snap, test_user):
    suid = os.path.join(snap, "bin", "suid-probe")
    shutil.copy(os.path.join(snap, "bin", "pb-probe"), suid)
    os.chown(suid, 0, 0)
    os.chmod(suid, 0o4755)
    outside = run_as(test_user, [suid, "euid"], capture_output=True).stdout.decode()
    assert outside.strip() == "euid 0"  # the control: it is a working setuid binary
    rc, out, err, _ = launchlib.run(launcher, launchlib.make_spec(
        test_user, snap, ["/snap/hello/x1/bin/suid-probe", "euid"]))
    assert rc == 0, err
    assert out.decode().strip() == f"euid {test_user.pw_uid}"
    # the host's setuid binaries sit on a nosuid mount, behind NO_NEW_PRIVS
    rc, out, err, _ = launchlib.run(launcher, launchlib.make_spec(
        test_user, snap, ["/bin/sh", "-c", "grep ' /usr ' /proc/self/mounts; "
                          "grep NoNewPrivs /proc/self/status"]))
    assert "nosuid" in out.decode().splitlines()[0] and "NoNewPrivs:\t1" in out.decode()


def _abstract_listener(name):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.bind("\0" + name)
    s.listen(1)
    return s


@pytest.mark.parametrize("network", [False, True])
def test_host_abstract_socket_unreachable(launcher, snap, test_user, workdir, network):
    name = "pbtest-abstract-" + os.path.basename(workdir)
    with _abstract_listener(name):
        # the control: the user reaches it from the host
        out = run_as(test_user, [os.path.join(snap, "bin", "pb-probe"), "none",
                                 "--abstract", name], capture_output=True).stdout.decode()
        assert out.strip().endswith(" OK")
        rc, out, err, _ = launchlib.run(launcher, launchlib.make_spec(
            test_user, snap, ["/snap/hello/x1/bin/pb-probe", "none", "--abstract", name],
            network=network))
    assert rc == 0, err
    # own netns: the name does not exist there; shared netns: Landlock's scope
    want = "EPERM" if network else "ECONNREFUSED"
    assert out.decode().strip() == f"connect-abstract:{name} {want}"


def test_host_socket_paths_unreachable(launcher, snap, test_user, workdir):
    paths = []
    socks = []
    for n in ("admin.socket", "run.socket", "pulse-native", "X0"):
        p = os.path.join(workdir, n)
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.bind(p)
        s.listen(1)
        os.chmod(p, 0o666)
        socks.append(s)
        paths.append(p)
    paths += [f"/run/user/{test_user.pw_uid}/pulse/native", "/tmp/.X11-unix/X0",
              "/run/plugboard/admin.socket", "/run/plugboard/run.socket"]
    argv = ["/snap/hello/x1/bin/pb-probe", "none"]
    for p in paths:
        argv += ["--connect", p]
    rc, out, err, _ = launchlib.run(launcher, launchlib.make_spec(test_user, snap, argv))
    for s in socks:
        s.close()
    assert rc == 0, err
    lines = out.decode().splitlines()
    assert len(lines) == len(paths)
    assert all(l.endswith(" ENOENT") for l in lines), lines


def test_argv_verbatim_even_with_dashes(launcher, snap, test_user):
    args = ["--help", "-x", "--", "-", "a b", "--spec-fd", "3"]
    rc, out, err, _ = launchlib.run(launcher, launchlib.make_spec(
        test_user, snap, ["/snap/hello/x1/bin/pb-probe", "argv"] + args))
    assert rc == 0, err
    assert out.decode().splitlines() == [f"arg[{i}]={a}" for i, a in enumerate(args)]


def test_exit_status_and_signal_death(launcher, snap, test_user):
    rc, _, _, rep = launchlib.run(launcher, launchlib.make_spec(
        test_user, snap, ["/bin/sh", "-c", "exit 7"]))
    assert rc == 7 and rep[-1] == f"exit {7 << 8}"
    rc, _, _, rep = launchlib.run(launcher, launchlib.make_spec(
        test_user, snap, ["/bin/sh", "-c", "kill -TERM $$"]))
    assert rc == 128 + signal.SIGTERM and rep[-1] == f"exit {int(signal.SIGTERM)}"


def test_relayed_signal_reaches_app(launcher, snap, test_user):
    l = launchlib.Launch(launcher, launchlib.make_spec(
        test_user, snap, ["/bin/sh", "-c", "echo ready; exec sleep 60"]),
        stdout=subprocess.PIPE)
    assert l.proc.stdout.readline() == b"ready\n"  # the app runs: now interrupt it
    l.signal(signal.SIGINT)
    rc, _, _, rep = l.wait()
    assert rc == 128 + signal.SIGINT and rep[-1] == f"exit {int(signal.SIGINT)}"


def test_stdin_pipe(launcher, snap, test_user):
    rc, out, err, _ = launchlib.run(launcher, launchlib.make_spec(
        test_user, snap, ["/bin/sh", "-c", "tr a-z A-Z"]), input=b"piped text\n")
    assert rc == 0, err
    assert out == b"PIPED TEXT\n"


def test_bad_specs_refused(launcher, snap, test_user):
    for raw in (b"{", b"[]", b'{"snap":"x"}'):
        l = launchlib.Launch(launcher, None, raw=raw)
        rc, out, err, _ = l.wait()
        assert rc == 125 and b"spec" in err
    spec = launchlib.make_spec(test_user, snap, ["/usr/bin/true"])
    spec["uid"] = -1
    rc, _, err, _ = launchlib.run(launcher, spec)
    assert rc == 125 and b"uid" in err


def test_symlinked_mount_source_refused(launcher, snap, test_user, workdir):
    """A user-controlled source path holding a symlink is refused, not followed
    as root (the launcher opens sources with RESOLVE_NO_SYMLINKS)."""
    link = os.path.join(workdir, "evil")
    os.symlink("/etc", link)
    spec = launchlib.make_spec(test_user, snap, ["/usr/bin/true"],
                               mounts=[{"source": link, "target": "/mnt/x", "kind": "rw"}])
    rc, _, err, _ = launchlib.run(launcher, spec)
    assert rc == 125 and b"ELOOP" in err or b"symbolic links" in err


def test_missing_command_is_127(launcher, snap, test_user):
    rc, _, err, _ = launchlib.run(launcher, launchlib.make_spec(
        test_user, snap, ["/snap/hello/x1/bin/nope"]))
    assert rc == 127 and b"cannot run" in err


def test_probe_compat_abis(launcher, snap, test_user):
    """The filter covers the i386 ABI (int $0x80 from the 64-bit probe) and
    x32 (bit 30): denied calls get EPERM there too, instead of slipping past a
    filter written for x86_64 numbers only."""
    rc, out, err, _ = launchlib.run(launcher, launchlib.make_spec(
        test_user, snap, ["/snap/hello/x1/bin/pb-probe", "compat"]))
    assert rc == 0, err
    inside = parse(out)
    outside = parse(run_as(test_user, [os.path.join(snap, "bin", "pb-probe"), "compat"],
                           capture_output=True).stdout)
    assert inside["i386-getpid-allowed"] == "OK"
    for name in ("i386-ptrace", "i386-socketcall", "i386-mount", "i386-unshare-user",
                 "x32-ptrace"):
        assert inside[name] == "EPERM", (name, inside[name])
    # the control: outside, the i386 calls reach the kernel
    assert outside["i386-ptrace"] == "ESRCH" and outside["i386-unshare-user"] == "OK"
