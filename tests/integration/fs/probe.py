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

if __name__ == "__main__":
    CMDS[sys.argv[1]](*sys.argv[2:])
