# SPDX-License-Identifier: GPL-3.0-or-later
"""Views without a run (issue 3 item 5): POST /v2/plugboard/views makes the
same view set a first `plugboard run` makes, its contents follow connect and
disconnect, DELETE tears it down; root only, bad input refused."""
import json
import os

from conftest import REPO, api, run_as

from .conftest import wait_for


def user_ls(user, path):
    r = run_as(user, ["ls", "-A", path], capture_output=True, text=True, timeout=30)
    return r.returncode, r.stdout.split(), r.stderr


def test_views_through_the_broker_follow_connections_and_are_torn_down(broker, test_user,
                                                                       workdir):
    broker.install(os.path.join(REPO, "examples", "probe"))
    broker.cli(["disconnect", "probe:home"])  # whatever the default, start disconnected
    name = "pb-views-" + os.path.basename(workdir)
    host_file = os.path.join(test_user.pw_dir, name)
    run_as(test_user, ["sh", "-c", f"echo hello > {host_file}"], check=True)
    try:
        st, res = api(broker.socket, "POST", "/v2/plugboard/views",
                      {"snap": "probe", "user": test_user.pw_uid})
        assert st == 200, res
        views = res["result"]["views"]
        assert res["result"]["snap"] == "probe" and res["result"]["user"] == test_user.pw_uid
        for kind in ("home", "host", "dev", "status"):
            assert os.path.ismount(views[kind]), (kind, views)
        home = views["home"]
        assert views == api(broker.socket, "POST", "/v2/plugboard/views",
                            {"snap": "probe", "user": test_user.pw_uid})[1]["result"]["views"], \
            "asking twice gives the same set"

        rc, names, _ = user_ls(test_user, home)
        assert name not in names, "home is not connected yet"
        broker.cli(["connect", "probe:home"], check=True)
        rc, names, err = user_ls(test_user, home)
        assert rc == 0 and name in names, (names, err)
        r = run_as(test_user, ["cat", os.path.join(home, name)], capture_output=True,
                   text=True, timeout=30)
        assert r.stdout == "hello\n", r
        broker.cli(["disconnect", "probe:home"], check=True)
        rc, names, _ = user_ls(test_user, home)
        assert name not in names, "a disconnect hides the entry at once"

        st, res = api(broker.socket, "DELETE",
                      f"/v2/plugboard/views?snap=probe&user={test_user.pw_uid}")
        assert st == 200, res
        assert wait_for(lambda: not any(os.path.ismount(p) for p in views.values())), \
            "the views are unmounted once the API's hold is dropped"
        st, res = api(broker.socket, "DELETE",
                      f"/v2/plugboard/views?snap=probe&user={test_user.pw_uid}")
        assert st == 404, res
    finally:
        os.unlink(host_file)


def test_views_api_refuses_bad_input_and_non_root(broker, test_user):
    broker.install(os.path.join(REPO, "examples", "probe"))
    for body in ({"snap": "probe"}, {"user": 0}, {"snap": "../x", "user": 0},
                 {"snap": "probe", "user": -1}, {"snap": "probe", "user": "0"}):
        st, res = api(broker.socket, "POST", "/v2/plugboard/views", body)
        assert st == 400, (body, res)
    st, res = api(broker.socket, "POST", "/v2/plugboard/views", {"snap": "nosuch", "user": 0})
    assert st == 404, res
    st, res = api(broker.socket, "POST", "/v2/plugboard/views",
                  {"snap": "probe", "user": 4000000000})
    assert st == 400, res
    st, res = api(broker.socket, "DELETE", "/v2/plugboard/views?snap=probe&user=x")
    assert st == 400, res
    r = run_as(test_user, ["curl", "-s", "--unix-socket", broker.socket, "-X", "POST",
                           "-d", json.dumps({"snap": "probe", "user": test_user.pw_uid}),
                           "http://localhost/v2/plugboard/views"],
               capture_output=True, text=True, timeout=30)
    assert json.loads(r.stdout)["status-code"] == 401, r.stdout  # login-required, as snapd
    assert not os.path.exists(os.path.join(broker.workdir, "views", str(test_user.pw_uid),
                                           "probe")), "nothing was mounted for the refused asks"
