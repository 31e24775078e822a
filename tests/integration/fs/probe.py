# SPDX-License-Identifier: GPL-3.0-or-later
"""App-side probe for the FUSE view tests; runs as the unprivileged user.
Each command reports what happened (content, or ERR <errno name>) so the test
can assert on it."""
import ctypes
import errno
import fcntl
import json
import mmap
import os
import select
import stat
import struct
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
        "copy_range": try_op(lambda: os.copy_file_range(fd, fd, 2, 0, 4096)),
    }
    say(json.dumps(res))
    wait_line()
    os.close(fd)


def cmd_unnamed_holder(d):
    """An O_TMPFILE file made in d before the revoke; after 'go', its
    handle's next read and write."""
    fd = os.open(d, os.O_TMPFILE | os.O_RDWR, 0o600)
    os.write(fd, b"before")
    say("open")
    wait_line()
    say(json.dumps({"read": try_op(lambda: os.pread(fd, 6, 0) and None),
                    "write": try_op(lambda: os.pwrite(fd, b"after", 0) and None)}))
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
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    fcntl.flock(fd, fcntl.LOCK_EX)
    say("locked")
    wait_line()
    os.close(fd)


def cmd_lockf_hold(path):
    fd = os.open(path, os.O_RDWR)
    fcntl.lockf(fd, fcntl.LOCK_EX | fcntl.LOCK_NB, 1, 0)
    say("locked")
    wait_line()
    os.close(fd)


def cmd_lockf_wait(path):
    fd = os.open(path, os.O_RDWR)
    say("waiting")
    fcntl.lockf(fd, fcntl.LOCK_EX, 1, 0)
    say("locked")
    os.close(fd)


def cmd_ofd(path):
    """OFD locks belong to the open file: two opens in one process conflict,
    and a POSIX lock of the same process conflicts with them too."""
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
    fd = os.open(path, os.O_RDWR)
    try:
        fcntl.lockf(fd, fcntl.LOCK_EX | fcntl.LOCK_NB, 1, 0)
        say("OK")
    except OSError as e:
        say(err(e))


def renameat2(a, b, flags):
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


def fallocate(fd, mode, off, length):
    libc = ctypes.CDLL(None, use_errno=True)
    libc.fallocate.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_long, ctypes.c_long]
    if libc.fallocate(fd, mode, off, length) != 0:
        e = ctypes.get_errno()
        raise OSError(e, os.strerror(e))


def busy_wait_ms(ms):
    t0 = time.time_ns()
    while time.time_ns() - t0 < ms * 1_000_000:
        pass


def getlk_names_holder(path):
    """A child holds a POSIX write lock on path; F_GETLK from here must say
    so, and name the child's pid."""
    ready_r, ready_w = os.pipe()
    go_r, go_w = os.pipe()
    pid = os.fork()
    if pid == 0:
        fd = os.open(path, os.O_RDWR)
        fcntl.lockf(fd, fcntl.LOCK_EX)
        os.write(ready_w, b"x")
        os.read(go_r, 1)
        os._exit(0)
    os.read(ready_r, 1)
    fd = os.open(path, os.O_RDWR)
    try:
        got = fcntl.fcntl(fd, fcntl.F_GETLK, struct.pack("hhqqi", fcntl.F_WRLCK, 0, 0, 0, 0))
        kind, _, _, _, holder = struct.unpack("hhqqi", got)
        return [kind == fcntl.F_WRLCK, holder == pid]
    finally:
        os.close(fd)
        os.write(go_w, b"x")
        os.waitpid(pid, 0)
        for x in (ready_r, ready_w, go_r, go_w):
            os.close(x)


def cmd_parity(d):
    """Edge cases of the POSIX calls, each a named step whose outcome (a
    value, OK or ERR <errno>) a native directory and the view must share.
    Nothing here depends on inode numbers or devices."""
    res = {}
    d = os.path.join(d, "parity")
    os.mkdir(d)

    def j(*p):
        return os.path.join(d, *p)

    def step(name, fn):
        res[name] = try_op(fn)

    def wr(path, data):
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
        os.write(fd, data)
        os.close(fd)

    # Errors of the namespace calls.
    os.mkdir(j("a"))
    step("mkdir_exists", lambda: os.mkdir(j("a")))
    step("rmdir_missing", lambda: os.rmdir(j("nope")))
    wr(j("f"), b"hello")
    step("create_excl_exists", lambda: os.open(j("f"), os.O_CREAT | os.O_EXCL | os.O_WRONLY))
    step("open_file_as_dir", lambda: os.open(j("f"), os.O_RDONLY | os.O_DIRECTORY))
    step("open_dir_for_write", lambda: os.open(j("a"), os.O_WRONLY))
    step("unlink_dir", lambda: os.unlink(j("a")))
    step("rmdir_file", lambda: os.rmdir(j("f")))
    step("listdir_file", lambda: os.listdir(j("f")))
    step("path_through_file", lambda: os.stat(j("f", "x")))
    os.mkdir(j("a", "sub"))
    step("rmdir_not_empty", lambda: os.rmdir(j("a")))
    res["dir_nlink"] = os.stat(j("a")).st_nlink
    os.link(j("f"), j("g"))
    res["nlink_after_link"] = os.stat(j("f")).st_nlink
    os.unlink(j("g"))
    res["nlink_after_unlink"] = os.stat(j("f")).st_nlink
    step("link_dir", lambda: os.link(j("a"), j("b")))
    step("link_exists", lambda: os.link(j("f"), j("a")))
    step("rename_file_over_dir", lambda: os.rename(j("f"), j("a")))
    step("rename_dir_over_file", lambda: os.rename(j("a"), j("f")))
    os.mkdir(j("c"))
    wr(j("c", "x"), b"x")
    step("rename_dir_over_full_dir", lambda: os.rename(j("a"), j("c")))
    os.mkdir(j("e"))
    step("rename_dir_over_empty_dir", lambda: os.rename(j("a"), j("e")))
    step("rename_into_own_subdir", lambda: os.rename(j("e"), j("e", "sub", "x")))
    step("rename_to_itself", lambda: os.rename(j("f"), j("f")))
    step("rename_missing", lambda: os.rename(j("nope"), j("nope2")))
    step("exchange_missing", lambda: renameat2(j("f"), j("nope"), 2))
    step("noreplace_free", lambda: renameat2(j("c", "x"), j("c", "y"), 1))
    # Symbolic links.
    os.symlink("f", j("s"))
    res["readlink"] = os.readlink(j("s"))
    res["symlink_follows"] = open(j("s")).read()
    step("open_nofollow_symlink", lambda: os.open(j("s"), os.O_RDONLY | os.O_NOFOLLOW))
    step("readlink_file", lambda: os.readlink(j("f")))
    os.symlink("l2", j("l1"))
    os.symlink("l1", j("l2"))
    step("symlink_loop", lambda: open(j("l1")).close())
    os.symlink("missing", j("l3"))
    step("dangling_symlink", lambda: open(j("l3")).close())
    os.symlink("target", j("dl"))
    step("creat_through_dangling", lambda: os.close(os.open(j("dl"), os.O_CREAT | os.O_WRONLY, 0o644)))
    res["dangling_target_made"] = os.path.exists(j("target"))
    step("creat_excl_on_symlink", lambda: os.open(j("l3"), os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644))
    step("mkdir_on_symlink", lambda: os.mkdir(j("l3")))
    step("link_symlink_nofollow", lambda: os.link(j("l3"), j("hl"), follow_symlinks=False))
    res["hardlinked_symlink"] = os.path.islink(j("hl"))
    step("utime_symlink_nofollow", lambda: os.utime(j("hl"), ns=(5, 7), follow_symlinks=False))
    res["symlink_mtime"] = os.lstat(j("l3")).st_mtime_ns
    step("xattr_user_on_symlink", lambda: os.setxattr(j("l3"), "user.x", b"1", follow_symlinks=False))
    step("mkdir_trailing_slash", lambda: os.mkdir(j("ts") + "/"))
    step("open_file_trailing_slash", lambda: os.open(j("f") + "/", os.O_RDONLY))
    step("rename_file_trailing_slash", lambda: os.rename(j("f") + "/", j("g")))
    step("name_too_long", lambda: open(j("n" * 256), "w").close())
    step("name_255", lambda: open(j("n" * 255), "w").close())
    # Data.
    step("truncate_dir", lambda: os.truncate(j("c"), 0))
    fd = os.open(j("f"), os.O_WRONLY | os.O_APPEND)
    os.write(fd, b" world")
    os.close(fd)
    res["append"] = open(j("f"), "rb").read().decode()
    fd = os.open(j("f"), os.O_RDONLY)
    res["pread_past_end"] = len(os.pread(fd, 10, 1000))
    step("write_readonly_fd", lambda: os.write(fd, b"x"))
    os.close(fd)
    fd = os.open(j("sparse"), os.O_RDWR | os.O_CREAT, 0o644)
    os.pwrite(fd, b"z" * 4096, 1 << 20)
    os.fsync(fd)
    res["seek_end"] = os.lseek(fd, 0, os.SEEK_END)
    res["seek_hole"] = os.lseek(fd, 0, os.SEEK_HOLE)
    res["seek_data"] = os.lseek(fd, 0, os.SEEK_DATA)
    step("seek_data_past_end", lambda: os.lseek(fd, (1 << 20) + 8192, os.SEEK_DATA))
    os.ftruncate(fd, 2 << 20)
    res["grown_reads_zeros"] = os.pread(fd, 16, 3 << 19) == bytes(16)
    os.pwrite(fd, b"y" * 65536, 0)
    os.fsync(fd)
    blocks = os.fstat(fd).st_blocks
    step("punch_hole", lambda: fallocate(fd, 3, 4096, 16384))  # PUNCH_HOLE | KEEP_SIZE
    os.fsync(fd)
    res["punched_zeros"] = os.pread(fd, 16384, 4096) == bytes(16384)
    res["punched_size"] = os.fstat(fd).st_size
    res["punched_blocks_fewer"] = os.fstat(fd).st_blocks < blocks
    os.close(fd)
    fd = os.open(j("f"), os.O_RDONLY)
    step("ftruncate_readonly_fd", lambda: os.ftruncate(fd, 0))
    os.close(fd)
    # An O_TMPFILE file gets its name by linkat(AT_SYMLINK_FOLLOW) of its
    # /proc link (os.link passes that flag only with a directory fd).
    procfd = os.open("/proc/self/fd", os.O_RDONLY | os.O_DIRECTORY)
    fd = os.open(d, os.O_TMPFILE | os.O_RDWR, 0o640)
    os.write(fd, b"unnamed")
    res["tmpfile_nlink"] = os.fstat(fd).st_nlink
    res["tmpfile_mode"] = oct(os.fstat(fd).st_mode & 0o777)
    step("tmpfile_link", lambda: os.link(str(fd), j("named"), src_dir_fd=procfd))
    os.close(fd)
    step("tmpfile_linked", lambda: open(j("named")).read())
    fd = os.open(d, os.O_TMPFILE | os.O_RDWR | os.O_EXCL, 0o600)
    step("tmpfile_excl_link", lambda: os.link(str(fd), j("never"), src_dir_fd=procfd))
    os.close(fd)
    os.close(procfd)
    wr(j("locked"), b"x")
    res["getlk_names_holder"] = getlk_names_holder(j("locked"))
    wr(j("t"), b"0123456789")
    fd = os.open(j("t"), os.O_RDWR | os.O_TRUNC)
    res["o_trunc_size"] = os.fstat(fd).st_size
    os.close(fd)
    wr(j("u"), b"keep")
    fd = os.open(j("u"), os.O_RDONLY)
    os.unlink(j("u"))
    res["unlinked_fstat_nlink"] = os.fstat(fd).st_nlink
    res["unlinked_read"] = os.pread(fd, 4, 0).decode()
    os.close(fd)
    wr(j("v1"), b"one")
    wr(j("v2"), b"two")
    fd = os.open(j("v1"), os.O_RDONLY)
    os.rename(j("v2"), j("v1"))
    res["renamed_over_old_fd"] = os.pread(fd, 3, 0).decode()
    res["renamed_over_new"] = open(j("v1")).read()
    os.close(fd)
    wr(j("big"), b"b" * (1 << 20))
    fd = os.open(j("big"), os.O_RDONLY)
    os.fsync(fd)
    os.close(fd)
    res["blocks_1m"] = os.stat(j("big")).st_blocks
    src = os.open(j("big"), os.O_RDONLY)
    dst = os.open(j("copy"), os.O_WRONLY | os.O_CREAT, 0o644)
    res["copy_file_range"] = os.copy_file_range(src, dst, 1 << 20)
    os.close(src)
    os.close(dst)
    res["copy_same"] = open(j("copy"), "rb").read() == open(j("big"), "rb").read()
    # Special files, modes, times.
    os.mkfifo(j("fifo"))
    res["fifo_type"] = stat.S_ISFIFO(os.lstat(j("fifo")).st_mode)
    step("mknod_char", lambda: os.mknod(j("dev"), 0o600 | stat.S_IFCHR, os.makedev(1, 3)))
    os.utime(j("f"), ns=(1_000_000_001, 2_000_000_003))
    st = os.stat(j("f"))
    res["utime_ns"] = [st.st_atime_ns, st.st_mtime_ns]
    old = os.umask(0o027)
    open(j("masked"), "w").close()
    os.mkdir(j("maskeddir"))
    os.umask(old)
    res["umask_file"] = oct(os.stat(j("masked")).st_mode & 0o7777)
    res["umask_dir"] = oct(os.stat(j("maskeddir")).st_mode & 0o7777)
    open(j("own"), "w").close()
    step("chmod_setuid_own", lambda: os.chmod(j("own"), 0o4755))
    res["setuid_mode"] = oct(os.stat(j("own")).st_mode & 0o7777)
    step("chown_own_group", lambda: os.chown(j("own"), -1, os.getgid()))
    step("chown_to_root", lambda: os.chown(j("own"), 0, -1))
    for i in range(40):
        open(j(f"del{i}"), "w").close()
    with os.scandir(d) as it:
        for e in it:
            if e.name.startswith("del"):
                os.unlink(j(e.name))
    res["unlink_while_listing"] = sorted(n for n in os.listdir(d) if n.startswith("del"))
    os.mkdir(j("sg"))
    os.chmod(j("sg"), 0o2775)
    os.mkdir(j("sg", "child"))
    res["setgid_inherited"] = bool(os.stat(j("sg", "child")).st_mode & 0o2000)
    # Extended attributes.
    os.setxattr(j("f"), "user.a", b"1")
    step("xattr_missing", lambda: os.getxattr(j("f"), "user.zz"))
    step("xattr_create_exists", lambda: os.setxattr(j("f"), "user.a", b"2", os.XATTR_CREATE))
    step("xattr_replace_missing", lambda: os.setxattr(j("f"), "user.b", b"2", os.XATTR_REPLACE))
    step("xattr_remove_missing", lambda: os.removexattr(j("f"), "user.zz"))
    step("xattr_trusted", lambda: os.setxattr(j("f"), "trusted.x", b"1"))
    res["xattr_list"] = sorted(x for x in os.listxattr(j("f")) if x.startswith("user."))
    res["namemax"] = os.statvfs(d).f_namemax
    with os.scandir(d) as it:
        res["scandir"] = sorted([e.name[:20], e.is_dir(follow_symlinks=False),
                                 e.is_file(follow_symlinks=False), e.is_symlink()] for e in it)
    m1 = os.stat(d).st_mtime_ns
    busy_wait_ms(20)
    open(j("late"), "w").close()
    res["dir_mtime_moves"] = os.stat(d).st_mtime_ns > m1
    c1 = os.stat(j("f")).st_ctime_ns
    busy_wait_ms(20)
    os.chmod(j("f"), 0o600)
    res["ctime_moves_on_chmod"] = os.stat(j("f")).st_ctime_ns > c1
    say(json.dumps(res, sort_keys=True))


CMDS.update({"unnamed-holder": cmd_unnamed_holder, "parity": cmd_parity, "perms": cmd_perms, "churn": cmd_churn, "write-hold": cmd_write_hold, "flock-hold": cmd_flock_hold, "lockf-hold": cmd_lockf_hold,
             "lockf-try": cmd_lockf_try, "lockf-wait": cmd_lockf_wait, "ofd": cmd_ofd, "posix-misc": cmd_posix_misc})


if __name__ == "__main__":
    CMDS[sys.argv[1]](*sys.argv[2:])
