# SPDX-License-Identifier: GPL-3.0-or-later
"""Revocation (DESIGN §7): once publish returned, nothing the new table
denies is reachable — open fds, tight read loops, mmaps, cwd — and a
re-connect works without restarting the app."""
import json
import os
import signal

from .conftest import as_user, home_spec, probe, read_line, spawn_probe, spec


def revoke(v, home):
    return v.publish(home_spec(home, connected=False))


def test_open_fd_fails_next_read_and_write(views, home, test_user):
    v = views("home", home, home_spec(home))
    p = spawn_probe(test_user, "holder", v.path("Music/a.txt"))
    assert read_line(p) == "open"
    r = revoke(v, home)
    assert r["rc"] == 0
    p.stdin.write("go\n")
    p.stdin.flush()
    res = json.loads(read_line(p))
    p.stdin.write("done\n")
    p.stdin.flush()
    p.wait(timeout=10)
    assert res == {"read": "ERR EACCES", "write": "ERR EACCES", "fstat": "ERR EACCES",
                   "fsync": "ERR EACCES", "truncate": "ERR EACCES", "copy_range": "ERR EACCES"}
    with open(os.path.join(home, "Music/a.txt")) as f:
        assert f.read() == "hello\n", "nothing was written after the revoke"


def test_unnamed_file_is_revoked_with_its_directory(views, home, test_user):
    """An O_TMPFILE file has no name, only its directory: a revoke of the
    directory ends its handle too."""
    v = views("home", home, home_spec(home))
    p = spawn_probe(test_user, "unnamed-holder", v.path("Music"))
    assert read_line(p) == "open"
    assert revoke(v, home)["rc"] == 0
    p.stdin.write("go\n")
    p.stdin.flush()
    res = json.loads(read_line(p))
    p.wait(timeout=10)
    assert res == {"read": "ERR EACCES", "write": "ERR EACCES"}, res


def test_tight_read_loop_gets_zero_reads_after_publish(views, home, test_user):
    v = views("home", home, home_spec(home))
    p = spawn_probe(test_user, "reader", v.path("Music/a.txt"), "600")
    assert read_line(p) == "looping"
    r = revoke(v, home)
    res = json.loads(read_line(p))
    p.wait(timeout=10)
    assert res["ok"] > 0, "the reader read before the revoke"
    assert res["fail"] > 0 and res["errors"] == ["EACCES"]
    # Every successful read started before publish returned.
    assert res["last_ok_start"] < r["t_mono_ns"], (res, r)


def test_mmap_faults_with_sigbus_after_revoke(views, home, test_user):
    for kind in ("shared", "private"):
        v = views("home", home, home_spec(home), name="home-" + kind)
        p = spawn_probe(test_user, "mmap", v.path("Music/a.txt"), kind)
        assert read_line(p) == "mapped"
        revoke(v, home)
        p.stdin.write("touch\n")
        p.stdin.flush()
        p.wait(timeout=10)
        assert p.returncode == -signal.SIGBUS, (kind, p.returncode, p.stdout.read())


def test_dirty_shared_mmap_is_not_lost_at_revoke(views, home, test_user):
    v = views("home", home, home_spec(home))
    p = spawn_probe(test_user, "mmap-write", v.path("Music/a.txt"), "HELLO")
    assert read_line(p) == "dirty"
    revoke(v, home)
    with open(os.path.join(home, "Music/a.txt")) as f:
        assert f.read().startswith("HELLO"), "data written before the revoke reached the disk"
    p.stdin.write("exit\n")
    p.stdin.flush()
    p.wait(timeout=10)


def test_cwd_inside_revoked_directory_fails(views, home, test_user):
    v = views("home", home, home_spec(home))
    p = spawn_probe(test_user, "cwd", v.path("Music"))
    assert read_line(p) == "in"
    revoke(v, home)
    p.stdin.write("go\n")
    p.stdin.flush()
    res = json.loads(read_line(p))
    p.wait(timeout=10)
    assert all(x.startswith("ERR") for x in res.values()), res
    assert not os.path.exists(os.path.join(home, "Music/new.txt"))


def test_listing_loses_revoked_entries(views, home, test_user):
    v = views("home", home, home_spec(home))
    assert "Music" in json.loads(probe(test_user, "ls", v.mount).stdout)
    revoke(v, home)
    assert json.loads(probe(test_user, "ls", v.mount).stdout) == ["snap"]
    assert probe(test_user, "stat", v.path("Music")).stdout.strip() == "ERR ENOENT"


def test_reconnect_restores_access_without_restart(views, home, test_user):
    v = views("home", home, home_spec(home))
    p = spawn_probe(test_user, "cwd", v.mount)
    assert read_line(p) == "in"
    revoke(v, home)
    assert probe(test_user, "read", v.path("Music/a.txt")).stdout.strip() == "ERR ENOENT"
    v.publish(home_spec(home))
    # The same long-running process now opens what the re-connect grants.
    p.stdin.write("go\n")
    p.stdin.flush()
    res = json.loads(read_line(p))
    p.wait(timeout=10)
    assert res["listdir"] == "OK"
    assert probe(test_user, "read", v.path("Music/a.txt")).stdout == "hello\n"


def test_revoke_of_read_write_to_read_only(views, home, test_user):
    extra = [(f"{home}/Music/a.txt", "r", False, "home")]
    v = views("home", home, home_spec(home))
    p = spawn_probe(test_user, "holder", v.path("Music/a.txt"))
    assert read_line(p) == "open"
    v.publish(home_spec(home, extra=extra))
    p.stdin.write("go\n")
    p.stdin.flush()
    res = json.loads(read_line(p))
    p.stdin.write("done\n")
    p.stdin.flush()
    p.wait(timeout=10)
    # A handle opened for writing dies with write access (a writable mmap
    # must not be able to re-fault and dirty pages); new read-only opens work.
    # (fstat asks by inode, not handle: metadata is still readable.)
    assert res == {"read": "ERR EACCES", "write": "ERR EACCES", "fstat": "OK",
                   "fsync": "ERR EACCES", "truncate": "ERR EACCES",
                   "copy_range": "ERR EACCES"}, res
    assert probe(test_user, "read", v.path("Music/a.txt")).stdout == "hello\n"
    assert probe(test_user, "write", v.path("Music/a.txt"), "x").stdout.strip() == "ERR EACCES"


def test_directory_renamed_out_of_grant_loses_access(views, home, test_user):
    os.makedirs(os.path.join(home, "Music/album"))
    with open(os.path.join(home, "Music/album/song"), "w") as f:
        f.write("la\n")
    os.chown(os.path.join(home, "Music/album/song"), test_user.pw_uid, test_user.pw_gid)
    v = views("home", home, home_spec(home))
    p = spawn_probe(test_user, "holder", v.path("Music/album/song"))
    assert read_line(p) == "open"
    # Someone on the host moves the directory under a hidden (ungranted) name.
    os.rename(os.path.join(home, "Music/album"), os.path.join(home, ".ssh/album"))
    p.stdin.write("go\n")
    p.stdin.flush()
    res = json.loads(read_line(p))
    p.stdin.write("done\n")
    p.stdin.flush()
    p.wait(timeout=10)
    assert res["read"] == "ERR EACCES" and res["write"] == "ERR EACCES", res


def test_cached_writes_reach_disk_at_revoke(views, home, test_user):
    # write() returns once the kernel has the data (writeback cache); the
    # revoke writes it back before refusing anything: nothing is lost.
    v = views("home", home, home_spec(home))
    p = spawn_probe(test_user, "write-hold", v.path("Music/big.bin"), str(4 << 20))
    assert read_line(p) == "written"
    revoke(v, home)
    with open(os.path.join(home, "Music/big.bin"), "rb") as f:
        data = f.read()
    assert len(data) == 4 << 20 and data == bytes(range(256)) * (len(data) // 256)
    p.stdin.write("more\n")
    p.stdin.flush()
    assert read_line(p) == "ERR EACCES", "a write() after the revoke fails"
    p.wait(timeout=10)


def test_publish_under_load_never_hangs(views, home, test_user, workdir):
    # Writers (with fsync), readers and directory churn race 30 publishes
    # that alternately revoke and restore; each must return promptly (no
    # deadlock between invalidation and the requests it waits for).
    v = views("home", home, home_spec(home))
    stop = os.path.join(workdir, "stop-churn")
    procs = [spawn_probe(test_user, "churn", v.path("Music"), stop, kind)
             for kind in ("write", "write", "read", "meta")]
    try:
        assert [read_line(p) for p in procs] == ["started"] * len(procs)
        slowest = 0
        for i in range(30):
            r = v.publish(home_spec(home, connected=(i % 2 == 1)))
            assert r["rc"] == 0
            slowest = max(slowest, r["elapsed_ns"])
            probe(test_user, "ls", v.mount)  # lets the churn run between publishes
    finally:
        open(stop, "w").close()
        counts = [int(read_line(p, 30)) for p in procs]
        for p in procs:
            p.wait(timeout=10)
    assert all(c > 0 for c in counts), counts
    assert slowest < 5_000_000_000, slowest
    # The view still works after the storm.
    assert probe(test_user, "write", v.path("Music/after"), "ok").stdout.strip() == "OK"


def test_cached_listing_follows_connect_and_disconnect(views, home, test_user):
    # The kernel serves a listing it has seen from its cache without asking
    # the view (ops-dir.c); each publish must drop the listings it changes.
    v = views("home", home, home_spec(home, personal=False))

    def ls(*parts):
        return json.loads(probe(test_user, "ls", v.path(*parts)).stdout)

    for _ in range(2):  # the second listing comes from the kernel's cache
        assert ".app" not in ls()
        assert "Music" in ls()
    r = v.publish(home_spec(home, personal=True))
    assert r["rc"] == 0
    assert ".app" in ls(), "a connect shows its entry in a cached listing at once"
    assert ls(".app") == ["config"]
    assert ls(".app") == ["config"]
    v.publish(home_spec(home, personal=False))
    assert ".app" not in ls(), "a disconnect hides its entry from a cached listing at once"
    assert probe(test_user, "stat", v.path(".app")).stdout.strip() == "ERR ENOENT"
    # A cached listing of a directory that stays visible but loses entries.
    assert sorted(ls("Documents")) == ["deep"]
    v.publish(home_spec(home, connected=False))
    assert ls() == ["snap"]
    v.publish(home_spec(home))
    assert "Music" in ls() and sorted(ls("Documents")) == ["deep"]


def test_cached_listing_follows_the_views_own_changes(views, home, test_user):
    v = views("home", home, home_spec(home))

    def ls(*parts):
        return sorted(json.loads(probe(test_user, "ls", v.path(*parts)).stdout))

    assert ls("Music") == ["a.txt"]
    assert ls("Music") == ["a.txt"]
    assert probe(test_user, "write", v.path("Music/b.txt"), "b").stdout.strip() == "OK"
    assert ls("Music") == ["a.txt", "b.txt"]
    as_user(test_user, ["mv", v.path("Music/b.txt"), v.path("Documents/b.txt")], check=True)
    assert ls("Music") == ["a.txt"] and ls("Documents") == ["b.txt", "deep"]
    as_user(test_user, ["mkdir", v.path("Music/sub")], check=True)
    assert ls("Music") == ["a.txt", "sub"]
    as_user(test_user, ["rm", "-r", v.path("Music/sub"), v.path("Documents/b.txt")], check=True)
    assert ls("Music") == ["a.txt"] and ls("Documents") == ["deep"]


def test_file_moved_on_host_into_revoked_area_is_revoked(views, home, test_user):
    """Publish finds each node's place from the name it was looked up by only
    while the same object is still there: a file the host moved into the area
    being revoked (and a new file under its old name) must not fool it, or the
    reader would go on reading its cached pages."""
    def two(docs):
        return spec({"music": True, "docs": docs},
                    [(f"{home}/Music", "rw", True, "music"),
                     (f"{home}/Documents", "rw", True, "docs"),
                     (home, "r", False, None)])
    v = views("home", home, two(True))
    p = spawn_probe(test_user, "reader", v.path("Music/a.txt"), "600")
    assert read_line(p) == "looping"
    os.rename(os.path.join(home, "Music/a.txt"), os.path.join(home, "Documents/a.txt"))
    with open(os.path.join(home, "Music/a.txt"), "w") as f:
        f.write("decoy\n")
    r = v.publish(two(False))
    assert r["rc"] == 0
    res = json.loads(read_line(p))
    p.wait(timeout=10)
    assert res["ok"] > 0, "the reader read before the revoke"
    assert res["fail"] > 0 and res["errors"] == ["EACCES"]
    assert res["last_ok_start"] < r["t_mono_ns"], (res, r)
