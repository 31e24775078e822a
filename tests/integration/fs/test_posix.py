# SPDX-License-Identifier: GPL-3.0-or-later
"""Full POSIX behaviour where granted: real programs on the home view."""
import json
import os
import subprocess
import textwrap

from .conftest import as_user, demote_fn, home_spec, probe, read_line, spawn_probe


def sh(user, script, cwd):
    r = as_user(user, ["sh", "-ec", script], cwd=cwd, timeout=120)
    assert r.returncode == 0, f"{script}\nstdout: {r.stdout}\nstderr: {r.stderr}"
    return r.stdout


def test_sqlite_wal(views, home, test_user):
    v = views("home", home, home_spec(home))
    out = sh(test_user, textwrap.dedent("""
        sqlite3 db.sqlite "PRAGMA journal_mode=WAL; CREATE TABLE t(x INTEGER);"
        pids=""
        for i in 1 2 3 4 5; do
            sqlite3 -cmd ".timeout 10000" db.sqlite "BEGIN IMMEDIATE; WITH RECURSIVE c(n) AS (SELECT 1 UNION ALL SELECT n+1 FROM c WHERE n<200) INSERT INTO t SELECT n FROM c; COMMIT;" &
            pids="$pids $!"
        done
        for p in $pids; do wait $p; done
        sqlite3 db.sqlite "PRAGMA journal_mode; PRAGMA integrity_check; SELECT count(*) FROM t;"
    """), v.path("Documents"))
    assert out.split() == ["wal", "wal", "ok", "1000"], out


def test_git_init_commit_clone_fsck(views, home, test_user):
    v = views("home", home, home_spec(home))
    out = sh(test_user, textwrap.dedent("""
        export GIT_AUTHOR_NAME=t GIT_AUTHOR_EMAIL=t@e GIT_COMMITTER_NAME=t GIT_COMMITTER_EMAIL=t@e
        git init -q repo && cd repo
        for i in $(seq 1 30); do echo "line $i" > f$i; done
        mkdir sub && echo x > sub/y && ln -s f1 link
        git add -A && git commit -qm one
        git mv f2 f2-renamed && echo more >> f3 && git commit -qam two
        git gc -q
        cd .. && git clone -q repo clone && cd clone && git fsck --strict 2>&1
        git log --oneline | wc -l
        readlink link
    """), v.path("Documents"))
    assert out.split()[-2:] == ["2", "f1"], out


def test_flock_between_processes(views, home, test_user):
    v = views("home", home, home_spec(home))
    lock = v.path("Music/lockfile")
    p = spawn_probe(test_user, "flock-hold", lock)
    assert read_line(p) == "locked"
    r = as_user(test_user, ["flock", "-n", lock, "true"])
    assert r.returncode == 1, "the lock is held by the other process"
    p.stdin.write("release\n")
    p.stdin.flush()
    p.wait(timeout=10)
    r = as_user(test_user, ["flock", "-n", lock, "true"])
    assert r.returncode == 0, r.stderr


def test_posix_and_ofd_locks_conflict_on_host(views, home, test_user):
    v = views("home", home, home_spec(home))
    lock = v.path("Music/a.txt")
    p = spawn_probe(test_user, "lockf-hold", lock)
    assert read_line(p) == "locked"
    # Another process, and a host process on the real file, both see it.
    assert probe(test_user, "lockf-try", lock).stdout.strip() == "ERR EAGAIN"
    assert probe(test_user, "lockf-try", os.path.join(home, "Music/a.txt")).stdout.strip() \
        == "ERR EAGAIN"
    p.stdin.write("release\n")
    p.stdin.flush()
    p.wait(timeout=10)
    assert probe(test_user, "lockf-try", lock).stdout.strip() == "OK"


def test_fio_verify(views, home, test_user):
    v = views("home", home, home_spec(home))
    r = as_user(test_user, ["fio", "--name=verify", "--filename=" + v.path("Music/fio.dat"),
                            "--size=16M", "--bs=4k", "--rw=randwrite", "--verify=crc32c",
                            "--do_verify=1", "--ioengine=psync", "--output-format=terse"],
                timeout=120)
    assert r.returncode == 0, r.stderr + r.stdout


def test_tar_extract_matches_native(views, home, test_user, workdir):
    tarball = os.path.join(workdir, "src.tar")
    subprocess.run(["tar", "cf", tarball, "-C", "/usr/include", "linux"], check=True)
    os.chmod(tarball, 0o644)
    native = os.path.join(workdir, "native")
    os.makedirs(native)
    subprocess.run(["chown", f"{test_user.pw_uid}:{test_user.pw_gid}", native], check=True)
    v = views("home", home, home_spec(home))
    sh(test_user, f"tar xf {tarball} -C {native}", workdir)
    sh(test_user, f"tar xf {tarball} -C {v.path('Documents')}", workdir)
    r = subprocess.run(["diff", "-r", "--no-dereference", os.path.join(native, "linux"),
                        v.path("Documents/linux")], capture_output=True, text=True)
    assert r.returncode == 0, r.stdout[:2000]
    n = int(sh(test_user, f"find {v.path('Documents/linux')} | wc -l", workdir))
    assert n > 500


def test_rename_flags_xattrs_mtime_size(views, home, test_user):
    v = views("home", home, home_spec(home))
    out = probe(test_user, "posix-misc", v.path("Music")).stdout
    res = json.loads(out)
    assert res == {"noreplace": "ERR EEXIST", "exchange": ["B", "A"], "xattr": "v1",
                   "xattr_list": True, "size": 10, "mtime_moved": True, "truncate": 4,
                   "chmod": "0o600", "utime": 1000000000, "symlink": "target",
                   "fallocate": 65536, "statfs": True, "rmdir": "OK"}, res


def natively_and_in_view(views, home, test_user, workdir, command):
    """The probe `command` run by the user in a fresh native directory, then
    in the home view's Music: (native result, view result)."""
    native = os.path.join(workdir, "native-" + command)
    os.makedirs(native)
    subprocess.run(["chown", f"{test_user.pw_uid}:{test_user.pw_gid}", native], check=True)
    v = views("home", home, home_spec(home))
    return (json.loads(probe(test_user, command, native).stdout),
            json.loads(probe(test_user, command, v.path("Music")).stdout))


def differences(got, want):
    return {k: (got.get(k), want[k]) for k in want if got.get(k) != want[k]}


def test_host_permission_bits_apply_at_once_as_natively(views, home, test_user, workdir):
    """Permission bits changed through the view refuse and allow exactly
    what they do natively, at once, even for names the kernel still holds:
    a directory the user may read but not search lists its names (using
    them fails), one they may search but not read lists nothing; access()
    and chdir() answer as natively."""
    want, got = natively_and_in_view(views, home, test_user, workdir, "perms")
    assert want["0o0"]["stat"] == "ERR EACCES" and want["0o700"]["create"] == "OK", want
    assert got == want, differences(got, want)


def test_edge_cases_of_the_calls_behave_as_natively(views, home, test_user, workdir):
    """About ninety edge cases of the POSIX calls (errors of the namespace
    calls, links, renames, symlinks, trailing slashes, long names, sparse
    files and holes, punched holes, unlinked and replaced open files,
    special files, ownership, umask, set-group-ID directories, xattrs,
    times, O_TMPFILE files linked or never linkable), run by the user in a
    native directory and in the view: every outcome must be the same."""
    want, got = natively_and_in_view(views, home, test_user, workdir, "parity")
    assert len(want) > 60 and want["rmdir_not_empty"] == "ERR ENOTEMPTY", want
    assert got == want, differences(got, want)


def test_large_directory_listing(views, home, test_user):
    big = os.path.join(home, "Music/big")
    os.makedirs(big)
    names = {f"file-{i:05d}-with-a-longer-name" for i in range(5000)}
    for n in names:
        open(os.path.join(big, n), "w").close()
    v = views("home", home, home_spec(home))
    got = json.loads(probe(test_user, "ls", v.path("Music/big")).stdout)
    assert len(got) == 5000 and set(got) == names


def test_lock_waiters_do_not_starve_the_view(views, home, test_user):
    # More blocked lock waits than the view has workers: the view keeps
    # answering and publishing; the waiters get their locks in turn.
    v = views("home", home, home_spec(home))
    lock = v.path("Music/lockfile")
    p = spawn_probe(test_user, "flock-hold", lock)
    assert read_line(p) == "locked"
    waiters = [subprocess.Popen(["flock", lock, "true"], preexec_fn=demote_fn(test_user))
               for _ in range(24)]
    holder = spawn_probe(test_user, "lockf-hold", v.path("Music/a.txt"))
    assert read_line(holder) == "locked"
    posix = spawn_probe(test_user, "lockf-wait", v.path("Music/a.txt"))
    assert read_line(posix) == "waiting"
    try:
        assert "Music" in json.loads(probe(test_user, "ls", v.mount).stdout)
        assert v.publish(home_spec(home))["rc"] == 0
    finally:
        p.stdin.write("release\n")
        p.stdin.flush()
        holder.stdin.write("release\n")
        holder.stdin.flush()
    assert [w.wait(timeout=30) for w in waiters] == [0] * len(waiters)
    assert read_line(posix, 30) == "locked"
    posix.wait(timeout=10)
    p.wait(timeout=10)
    holder.wait(timeout=10)


def test_ofd_locks_behave_as_native(views, home, test_user):
    v = views("home", home, home_spec(home))
    native = json.loads(probe(test_user, "ofd", os.path.join(home, "Music/a.txt")).stdout)
    viewed = json.loads(probe(test_user, "ofd", v.path("Music/a.txt")).stdout)
    assert viewed == native == {"second_open": "ERR EAGAIN", "posix_same_process": "ERR EAGAIN",
                                "after_close": "OK"}, (viewed, native)


def test_a_close_drops_its_locks_before_the_next_lock_is_tried(views, home, test_user):
    """The kernel sends a close's RELEASE in the background and the app's
    next request may reach the daemon first, on another thread: a lock taken
    right after a close must still find the closed fd's OFD lock gone. The
    harness delays every RELEASE by 5 ms (fault injection) so that the race
    is lost every time unless the lock waits for the requests queued before
    it."""
    v = views("home", home, home_spec(home), env={"PB_FS_TEST_RELEASE_DELAY_US": "5000"})
    for _ in range(3):
        viewed = json.loads(probe(test_user, "ofd", v.path("Music/a.txt")).stdout)
        assert viewed["after_close"] == "OK", viewed


def test_listing_names_the_kernel_just_got_is_complete_and_they_stay_usable(
        views, home, test_user):
    # With caching on (as the broker mounts views), READDIRPLUS lists names
    # whose entries the kernel got moments ago without attributes
    # (ops-dir.c): the listing must still be complete and exact, hidden
    # names still absent, and every name must stat and open as before.
    v = views("home", home, home_spec(home), cache=5)
    d = v.path("Music/fresh")
    script = ("import json, os, sys\n"
              "d = sys.argv[1]\n"
              "os.mkdir(d)\n"
              "for i in range(300):\n"
              "    open(os.path.join(d, f'f{i:03d}'), 'w').write(str(i))\n"
              "names = sorted(os.listdir(d))\n"
              "sizes = {e.name: e.stat().st_size for e in os.scandir(d)}\n"
              "data = {n: open(os.path.join(d, n)).read() for n in names}\n"
              "top = sorted(os.listdir(os.path.dirname(os.path.dirname(d))))\n"
              "print(json.dumps([names, sizes, data, top]))\n")
    out = as_user(test_user, ["/usr/bin/python3", "-c", script, d], check=True).stdout
    names, sizes, data, top = json.loads(out)
    want = [f"f{i:03d}" for i in range(300)]
    assert names == want
    assert sizes == {n: len(str(int(n[1:]))) for n in want}
    assert data == {n: str(int(n[1:])) for n in want}
    assert "Music" in top and not [n for n in top if n.startswith(".")], top


def test_listings_with_attributes_and_abandoned_listings(views, home, test_user):
    # READDIRPLUS hands out names with attributes: the same names as a plain
    # listing, the same checks as a lookup (hidden names get no entry).
    v = views("home", home, home_spec(home))
    out = as_user(test_user, ["du", "-ab", v.mount], check=True).stdout
    seen = {line.split("\t", 1)[1][len(v.mount):] for line in out.splitlines()}
    assert {"/Music/a.txt", "/Documents/deep/note", "/snap/app/common"} <= seen, seen
    assert not [p for p in seen if p.startswith(("/.ssh", "/.hidden", "/.app", "/snap/other"))]
    sizes = dict(reversed(line.split("\t", 1)) for line in out.splitlines())
    assert sizes[v.path("Music/a.txt")] == "6"
    # A listing abandoned after its first chunk leaves the daemon's stream
    # mid-way; the next listings still see every name exactly once.
    big = os.path.join(home, "Music/big")
    os.makedirs(big)
    names = {f"entry-{i:05d}" for i in range(3000)}
    for n in names:
        open(os.path.join(big, n), "w").close()
    part = ("import os, sys\n"
            "it = os.scandir(sys.argv[1])\n"
            "print(sum(1 for _, _ in zip(range(5), it)))\n"
            "it.close()\n")
    assert as_user(test_user, ["/usr/bin/python3", "-c", part, v.path("Music/big")],
                   check=True).stdout.strip() == "5"
    for _ in range(2):
        got = json.loads(probe(test_user, "ls", v.path("Music/big")).stdout)
        assert len(got) == len(names) and set(got) == names


# struct vfs_cap_data, revision 2: CAP_NET_BIND_SERVICE permitted and effective.
FILE_CAPS = (0x02000000 | 1).to_bytes(4, "little") + (1 << 10).to_bytes(4, "little") + bytes(12)
SETID_SCRIPT = textwrap.dedent("""
    import os, sys
    path, how = sys.argv[1], sys.argv[2]
    if how == "write":
        fd = os.open(path, os.O_WRONLY | os.O_APPEND)
        for _ in range(3):
            os.write(fd, b"x" * 4096)
        os.close(fd)
    else:
        os.truncate(path, 1)
""")


def setid_and_caps(host_path):
    """As root on the host: set-user-ID, set-group-ID (with group execute)
    and a file capability, as an installer might leave them."""
    os.chmod(host_path, 0o6775)
    os.setxattr(host_path, "security.capability", FILE_CAPS)


def privs_left(host_path):
    mode = os.stat(host_path).st_mode & 0o7777
    try:
        caps = os.getxattr(host_path, "security.capability")
    except OSError:
        caps = None
    return mode, caps


def test_write_and_truncate_remove_setid_bits_and_file_capabilities(views, home, test_user):
    """The view asks the kernel for FUSE_HANDLE_KILLPRIV_V2 (one
    security.capability check per inode instead of one per write), so the
    removal is the daemon's duty: a confined writer must not leave a
    set-user-ID, set-group-ID or capability-carrying binary behind with new
    content, through write() or truncate(), exactly as natively."""
    v = views("home", home, home_spec(home))
    native_dir = os.path.join(home, "Music")
    for how in ("write", "truncate"):
        results = {}
        for where, base in (("native", native_dir), ("view", v.path("Music"))):
            name = f"setid-{how}-{where}"
            host = os.path.join(native_dir, name)
            with open(host, "wb") as f:
                f.write(b"#!/bin/sh\n")
            os.chown(host, test_user.pw_uid, test_user.pw_gid)
            setid_and_caps(host)
            assert privs_left(host) == (0o6775, FILE_CAPS)
            r = as_user(test_user, ["/usr/bin/python3", "-c", SETID_SCRIPT,
                                    os.path.join(base, name), how])
            assert r.returncode == 0, r.stderr
            results[where] = privs_left(host)
        assert results["view"] == results["native"], results
        assert results["view"] == (0o0775, None), f"{how}: {results}"
