# SPDX-License-Identifier: GPL-3.0-or-later
"""App-side probe for the FUSE view tests; runs as the unprivileged user.
Each command reports what happened (content, or ERR <errno name>) so the test
can assert on it."""
import errno
import json
import mmap
import os
import select
import sys
import time


def err(e):
    return "ERR " + errno.errorcode.get(e.errno, str(e.errno))


def wait_line():
    return sys.stdin.readline().strip()


def say(*a, **kw):
    print(*a, flush=True, **kw)


def cmd_read(path):
    try:
        with open(path, "rb") as f:
            say(f.read().decode(errors="replace"), end="")
    except OSError as e:
        say(err(e))


def cmd_write(path, data):
    try:
        with open(path, "w") as f:
            f.write(data)
        say("OK")
    except OSError as e:
        say(err(e))


def cmd_ls(path):
    try:
        say(json.dumps(sorted(os.listdir(path))))
    except OSError as e:
        say(err(e))


def cmd_stat(path):
    try:
        st = os.lstat(path)
        say(json.dumps({"mode": st.st_mode, "size": st.st_size, "uid": st.st_uid,
                        "mtime_ns": st.st_mtime_ns, "nlink": st.st_nlink}))
    except OSError as e:
        say(err(e))


def try_op(fn):
    try:
        r = fn()
        return "OK" if r is None or isinstance(r, int) else r
    except OSError as e:
        return err(e)


def cmd_holder(path):
    """Open rw before the revoke; after 'go', try everything on the fd."""
    fd = os.open(path, os.O_RDWR)
    say("open")
    wait_line()
    res = {
        "read": try_op(lambda: os.pread(fd, 10, 0) and None),
        "write": try_op(lambda: os.pwrite(fd, b"x", 0) and None),
        "fstat": try_op(lambda: os.fstat(fd) and None),
        "fsync": try_op(lambda: os.fsync(fd)),
        "truncate": try_op(lambda: os.ftruncate(fd, 3)),
    }
    say(json.dumps(res))
    wait_line()
    os.close(fd)


def cmd_reader(path, ms):
    """Tight pread loop; reports the start time of the last successful read."""
    fd = os.open(path, os.O_RDONLY)
    n_ok = n_fail = 0
    last_ok = first_fail = 0
    errs = set()
    end = time.monotonic_ns() + int(ms) * 1000000
    while True:
        t = time.monotonic_ns()
        if t > end:
            break
        try:
            os.pread(fd, 4096, 0)
            n_ok += 1
            last_ok = t
            if n_ok == 100:
                say("looping")  # the test revokes only once reads are flowing
        except OSError as e:
            n_fail += 1
            errs.add(errno.errorcode.get(e.errno, str(e.errno)))
            if not first_fail:
                first_fail = t
    say(json.dumps({"ok": n_ok, "fail": n_fail, "last_ok_start": last_ok,
                    "first_fail": first_fail, "errors": sorted(errs)}))


def cmd_mmap(path, kind):
    fd = os.open(path, os.O_RDWR if kind == "shared" else os.O_RDONLY)
    flags = mmap.MAP_SHARED if kind == "shared" else mmap.MAP_PRIVATE
    prot = mmap.PROT_READ | (mmap.PROT_WRITE if kind == "shared" else 0)
    m = mmap.mmap(fd, 0, flags=flags, prot=prot)
    _ = m[0]
    say("mapped")
    wait_line()
    _ = m[0]  # SIGBUS kills us here when the revoke worked
    say("still readable")


def cmd_mmap_write(path, data):
    """Dirty a shared mapping and keep it dirty until told to exit."""
    fd = os.open(path, os.O_RDWR)
    m = mmap.mmap(fd, 0, flags=mmap.MAP_SHARED, prot=mmap.PROT_READ | mmap.PROT_WRITE)
    m[0:len(data)] = data.encode()
    say("dirty")
    wait_line()
    try:
        m.close()
        os.close(fd)
        say("closed")
    except OSError as e:
        say(err(e))


def cmd_cwd(path):
    os.chdir(path)
    say("in")
    wait_line()
    res = {"listdir": try_op(lambda: os.listdir(".") and None),
           "open": try_op(lambda: open("a.txt").close()),
           "stat": try_op(lambda: os.stat("a.txt") and None),
           "create": try_op(lambda: open("new.txt", "w").close())}
    say(json.dumps(res))


def cmd_swap_reads(path, ms):
    """Open and read path repeatedly; count what we saw."""
    seen = {}
    end = time.monotonic() + int(ms) / 1000
    while time.monotonic() < end:
        try:
            with open(path, "rb") as f:
                k = f.read(64).decode(errors="replace").strip()
        except OSError as e:
            k = err(e)
        seen[k] = seen.get(k, 0) + 1
    say(json.dumps(seen))


def cmd_wait_exists(path, want, ms):
    end = time.monotonic() + int(ms) / 1000
    while time.monotonic() < end:
        if os.path.exists(path) == (want == "1"):
            say("yes")
            return
        select.select([], [], [], 0.01)
    say("no")


CMDS = {"read": cmd_read, "write": cmd_write, "ls": cmd_ls, "stat": cmd_stat,
        "holder": cmd_holder, "reader": cmd_reader, "mmap": cmd_mmap,
        "mmap-write": cmd_mmap_write, "cwd": cmd_cwd, "swap-reads": cmd_swap_reads,
        "wait-exists": cmd_wait_exists}



def cmd_flock_hold(path):
    import fcntl
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    fcntl.flock(fd, fcntl.LOCK_EX)
    say("locked")
    wait_line()
    os.close(fd)


def cmd_lockf_hold(path):
    import fcntl
    fd = os.open(path, os.O_RDWR)
    fcntl.lockf(fd, fcntl.LOCK_EX | fcntl.LOCK_NB, 1, 0)
    say("locked")
    wait_line()
    os.close(fd)


def cmd_lockf_wait(path):
    import fcntl
    fd = os.open(path, os.O_RDWR)
    say("waiting")
    fcntl.lockf(fd, fcntl.LOCK_EX, 1, 0)
    say("locked")
    os.close(fd)


def cmd_ofd(path):
    """OFD locks belong to the open file: two opens in one process conflict,
    and a POSIX lock of the same process conflicts with them too."""
    import fcntl
    import struct
    a, b = os.open(path, os.O_RDWR), os.open(path, os.O_RDWR)
    lk = struct.pack("hhqqi", fcntl.F_WRLCK, 0, 0, 1, 0)
    fcntl.fcntl(a, fcntl.F_OFD_SETLK, lk)
    res = {"second_open": try_op(lambda: fcntl.fcntl(b, fcntl.F_OFD_SETLK, lk) and None)}
    res["posix_same_process"] = try_op(
        lambda: fcntl.lockf(b, fcntl.LOCK_EX | fcntl.LOCK_NB, 1, 0))
    os.close(a)
    res["after_close"] = try_op(lambda: fcntl.fcntl(b, fcntl.F_OFD_SETLK, lk) and None)
    say(json.dumps(res))


def cmd_lockf_try(path):
    import fcntl
    fd = os.open(path, os.O_RDWR)
    try:
        fcntl.lockf(fd, fcntl.LOCK_EX | fcntl.LOCK_NB, 1, 0)
        say("OK")
    except OSError as e:
        say(err(e))


def renameat2(a, b, flags):
    import ctypes
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.renameat2(-100, a.encode(), -100, b.encode(), flags) != 0:
        e = ctypes.get_errno()
        raise OSError(e, os.strerror(e))


def cmd_posix_misc(d):
    res = {}
    a, b = os.path.join(d, "ra"), os.path.join(d, "rb")
    for p, c in ((a, "A"), (b, "B")):
        with open(p, "w") as f:
            f.write(c)
    res["noreplace"] = try_op(lambda: renameat2(a, b, 1))
    renameat2(a, b, 2)
    res["exchange"] = [open(a).read(), open(b).read()]
    os.setxattr(a, "user.k", b"v1")
    res["xattr"] = os.getxattr(a, "user.k").decode()
    res["xattr_list"] = "user.k" in os.listxattr(a)
    f = os.path.join(d, "sz")
    with open(f, "w") as fh:
        fh.write("x")
    m1 = os.stat(f).st_mtime_ns
    time_ns = __import__("time").time_ns
    t0 = time_ns()
    while time_ns() - t0 < 20_000_000:
        pass
    with open(f, "a") as fh:
        fh.write("123456789")
    st = os.stat(f)
    res["size"] = st.st_size
    res["mtime_moved"] = st.st_mtime_ns > m1
    os.truncate(f, 4)
    res["truncate"] = os.stat(f).st_size
    os.chmod(f, 0o600)
    res["chmod"] = oct(os.stat(f).st_mode & 0o777)
    os.utime(f, (1000000000, 1000000000))
    res["utime"] = int(os.stat(f).st_mtime)
    os.symlink("target", os.path.join(d, "sl"))
    res["symlink"] = os.readlink(os.path.join(d, "sl"))
    fd = os.open(f, os.O_RDWR)
    os.posix_fallocate(fd, 0, 65536)
    os.close(fd)
    res["fallocate"] = os.stat(f).st_size
    res["statfs"] = os.statvfs(d).f_blocks > 0
    os.mkdir(os.path.join(d, "emptydir"))
    res["rmdir"] = try_op(lambda: os.rmdir(os.path.join(d, "emptydir")))
    say(json.dumps(res))


def cmd_write_hold(path, size):
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    block = bytes(range(256)) * 4096
    n = int(size)
    while n > 0:
        n -= os.write(fd, block[:n])
    say("written")
    wait_line()
    say(try_op(lambda: os.write(fd, b"after") and None))
    try:
        os.close(fd)
    except OSError:
        pass


def cmd_churn(d, stop, kind):
    """Keep the view busy until `stop` exists; every error is expected."""
    n = 0
    while not os.path.exists(stop):
        n += 1
        if n == 2:
            say("started")
        p = os.path.join(d, f"churn-{kind}-{n % 8}")
        try:
            if kind == "write":
                with open(p, "wb") as f:
                    f.write(os.urandom(1 << 16) * 8)
                    f.flush()
                    os.fsync(f.fileno())
            elif kind == "read":
                for name in os.listdir(d):
                    with open(os.path.join(d, name), "rb") as f:
                        f.read()
            elif kind == "meta":
                os.mkdir(p)
                os.rename(p, p + "x")
                os.rmdir(p + "x")
        except OSError:
            pass
    say(n)


def cmd_perms(d):
    """Host permission bits as they change, each step right after the last
    (the names below are all cached by then): what a native directory does,
    the view must do."""
    res = {}
    sub, f = os.path.join(d, "sub"), os.path.join(d, "sub", "f")
    os.mkdir(sub)
    with open(f, "w") as fh:
        fh.write("data")
    os.stat(f)
    for mode in (0o000, 0o400, 0o300, 0o100, 0o700):
        os.chmod(sub, mode)
        step = res[oct(mode)] = {}
        step["stat"] = try_op(lambda: os.stat(f) and None)
        step["read"] = try_op(lambda: open(f).read() and None)
        step["list"] = try_op(lambda: os.listdir(sub) and None)
        step["x_ok"] = os.access(sub, os.X_OK)
        step["r_ok"] = os.access(sub, os.R_OK)
        step["create"] = try_op(lambda: open(os.path.join(sub, "n" + oct(mode)), "w").close())
        step["chdir"] = try_op(lambda: os.chdir(sub))
        os.chdir("/")
    for mode in (0o444, 0o000, 0o755):
        os.chmod(f, mode)
        step = res["f" + oct(mode)] = {}
        step["w_ok"] = os.access(f, os.W_OK)
        step["r_ok"] = os.access(f, os.R_OK)
        step["x_ok"] = os.access(f, os.X_OK)
        step["write"] = try_op(lambda: open(f, "a").close())
        step["read"] = try_op(lambda: open(f).close())
    say(json.dumps(res, sort_keys=True))


CMDS.update({"perms": cmd_perms, "churn": cmd_churn, "write-hold": cmd_write_hold, "flock-hold": cmd_flock_hold, "lockf-hold": cmd_lockf_hold,
             "lockf-try": cmd_lockf_try, "lockf-wait": cmd_lockf_wait, "ofd": cmd_ofd, "posix-misc": cmd_posix_misc})


if __name__ == "__main__":
    CMDS[sys.argv[1]](*sys.argv[2:])
