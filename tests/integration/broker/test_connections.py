# SPDX-License-Identifier: GPL-3.0-or-later
"""The seed's behaviours, through `plugboard` against the real daemon."""

VLC_TABLE = (
    "Interface       Plug                Slot             Notes\n"
    "audio-playback  vlc:audio-playback  :audio-playback  -\n"
    "audio-record    vlc:audio-record    -                -\n"
    "camera          vlc:camera          -                -\n"
    "desktop         vlc:desktop         :desktop         -\n"
    "home            vlc:home            :home            -\n"
)


def test_vlc_connections_table_matches_seed(broker):
    broker.install("vlc")
    r = broker.cli(["connections", "vlc"])
    assert r.returncode == 0, r.stderr
    assert r.stdout == VLC_TABLE
    assert r.stderr == ""


def test_connections_without_snap_lists_only_established(broker):
    broker.install("vlc")
    r = broker.cli(["connections"])
    assert r.returncode == 0
    assert r.stdout == (
        "Interface       Plug                Slot             Notes\n"
        "audio-playback  vlc:audio-playback  :audio-playback  -\n"
        "desktop         vlc:desktop         :desktop         -\n"
        "home            vlc:home            :home            -\n"
    )


def test_connections_all_with_snap_name_is_refused(broker):
    broker.install("vlc")
    r = broker.cli(["connections", "--all", "vlc"])
    assert r.returncode == 1
    assert r.stderr == "error: cannot use --all with snap name\n"


def test_connections_of_unknown_snap(broker):
    r = broker.cli(["connections", "not-found"])
    assert r.returncode == 1
    assert r.stderr == 'error: snap "not-found" not found\n'


def test_nothing_installed_prints_nothing(broker):
    r = broker.cli(["connections"])
    assert (r.returncode, r.stdout, r.stderr) == (0, "", "")


def test_manual_connect_and_disconnect(broker):
    broker.install("vlc")
    r = broker.cli(["connect", "vlc:audio-record"])
    assert (r.returncode, r.stdout, r.stderr) == (0, "", "")
    out = broker.cli(["connections", "vlc"]).stdout
    assert "audio-record    vlc:audio-record    :audio-record    manual\n" in out
    r = broker.cli(["disconnect", "vlc:audio-record"])
    assert (r.returncode, r.stdout, r.stderr) == (0, "", "")
    assert broker.cli(["connections", "vlc"]).stdout == VLC_TABLE
    # a manual connection is deleted on disconnect, not remembered
    assert not any("audio-record" in k for k in broker.state()["model"]["conns"])


def test_connect_already_connected_is_success_with_an_empty_change(broker):
    broker.install("vlc")
    r = broker.cli(["connect", "vlc:home"])
    assert (r.returncode, r.stdout, r.stderr) == (0, "", "")
    r = broker.cli(["connect", "--no-wait", "vlc:home"])
    chg = r.stdout.strip()
    out = broker.cli(["change", chg])
    assert out.returncode == 0
    assert out.stdout == "Status  Spawn  Ready  Summary\n\n"


def test_disconnect_auto_connection_is_remembered_through_refresh(broker):
    broker.install("vlc")
    r = broker.cli(["disconnect", "vlc:home"])
    assert r.returncode == 0, r.stderr
    assert "home            vlc:home            -                -\n" in \
        broker.cli(["connections", "vlc"]).stdout
    broker.install("vlc")  # refresh: x2
    assert "home            vlc:home            -                -\n" in \
        broker.cli(["connections", "vlc"]).stdout
    assert broker.cli(["list"]).stdout.splitlines()[1].split()[2] == "x2"


def test_forget_lets_next_refresh_auto_connect(broker):
    broker.install("vlc")
    broker.cli(["disconnect", "vlc:home"], check=True)
    r = broker.cli(["disconnect", "--forget", "vlc:home"])
    assert (r.returncode, r.stdout, r.stderr) == (0, "", "")
    # forgetting does not connect by itself ...
    assert "vlc:home            -" in broker.cli(["connections", "vlc"]).stdout
    broker.install("vlc")  # ... the next refresh does
    assert broker.cli(["connections", "vlc"]).stdout == VLC_TABLE


def test_remove_purge_keeps_undesired(broker):
    broker.install("vlc")
    broker.cli(["disconnect", "vlc:home"], check=True)
    r = broker.cli(["remove", "--purge", "vlc"])
    assert r.returncode == 0, r.stderr
    assert r.stdout == "vlc removed\n"
    assert broker.cli(["connections", "vlc"]).returncode == 1
    broker.install("vlc")
    assert "home            vlc:home            -                -\n" in \
        broker.cli(["connections", "vlc"]).stdout


def test_restart_keeps_undesired_even_when_snap_is_absent(broker):
    broker.install("vlc")
    broker.cli(["disconnect", "vlc:home"], check=True)
    broker.cli(["remove", "--purge", "vlc"], check=True)
    broker.restart()
    broker.install("vlc")
    out = broker.cli(["connections", "vlc"]).stdout
    assert "home            vlc:home            -                -\n" in out
    assert "desktop         vlc:desktop         :desktop         -\n" in out


def test_restart_keeps_manual_connections(broker):
    broker.install("vlc")
    broker.cli(["connect", "vlc:camera"], check=True)
    broker.restart()
    assert "camera          vlc:camera          :camera          manual\n" in \
        broker.cli(["connections", "vlc"]).stdout


def test_no_wait_prints_change_id_and_change_completes(broker):
    broker.install("vlc")
    r = broker.cli(["connect", "--no-wait", "vlc:camera"])
    assert r.returncode == 0
    chg = r.stdout
    assert chg.strip().isdigit() and chg.endswith("\n")
    # poll the change until it is ready (no sleep as synchronisation)
    import time
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        out = broker.cli(["change", chg.strip()]).stdout
        if out.startswith("Status  ") and "Done" in out:
            break
        time.sleep(0.05)
    assert "Done" in out and "Connect vlc:camera to snapd:camera" in out
    assert "camera          vlc:camera          :camera          manual" in \
        broker.cli(["connections", "vlc"]).stdout
    r = broker.cli(["disconnect", "--no-wait", "vlc:camera"])
    assert r.returncode == 0 and r.stdout.strip().isdigit()
    assert int(r.stdout) > int(chg)


def test_changes_lists_connect(broker):
    broker.install("vlc")
    broker.cli(["connect", "vlc:camera"], check=True)
    out = broker.cli(["changes"]).stdout.splitlines()
    assert out[0].split() == ["ID", "Status", "Spawn", "Ready", "Summary"]
    assert out[-1] == ""
    last = out[-2]
    assert last.split()[1] == "Done"
    assert last.endswith("Connect vlc:camera to snapd:camera")
    assert "today at " in last


def test_disconnect_nothing_connected(broker):
    broker.install("vlc")
    r = broker.cli(["disconnect", "vlc:camera"])
    assert (r.returncode, r.stdout) == (0, "No connections to disconnect\n")


def test_disconnect_named_pair_not_connected(broker):
    broker.install("vlc")
    r = broker.cli(["disconnect", "vlc:camera", ":camera"])
    assert r.returncode == 1
    assert r.stderr == "error: cannot disconnect vlc:camera from snapd:camera, it is not connected\n"


def test_forget_unknown_pair(broker):
    broker.install("vlc")
    r = broker.cli(["disconnect", "--forget", "vlc:camera", ":camera"])
    assert r.returncode == 1
    assert r.stderr == ("error: cannot forget connection vlc:camera from snapd:camera, it was not\n"
                        "       connected\n")


def test_bad_arguments(broker):
    broker.install("vlc")
    r = broker.cli(["disconnect", "home-consumer"])
    assert (r.returncode, r.stderr) == (
        1, 'error: invalid value: "home-consumer" (want snap:name or :name)\n')
    r = broker.cli(["connect", "a:b:c"])
    assert (r.returncode, r.stderr) == (1, 'error: invalid value: "a:b:c" (want snap:name or snap)\n')
    r = broker.cli(["connect"])
    assert (r.returncode, r.stderr) == (
        64, "error: the required argument `<snap>:<plug>` was not provided\n")
    r = broker.cli(["connect", "--bogus", "vlc:camera"])
    assert (r.returncode, r.stderr) == (64, "error: unknown flag `bogus'\n")
    r = broker.cli(["frobnicate"])
    assert r.returncode == 64


def test_resolve_errors(broker):
    broker.install("vlc")
    broker.install("gizmo")
    broker.install("minicom")
    cases = [
        (["connect", "foo:home"], 'error: snap "foo" is not installed\n'),
        (["disconnect", "foo:home"], 'error: snap "foo" is not installed\n'),
        (["connect", "vlc:nope"], 'error: snap "vlc" has no plug named "nope"\n'),
        (["connect", "vlc:camera", "gizmo:nope"], 'error: snap "gizmo" has no slot named "nope"\n'),
        (["connect", "minicom:serial"], 'error: snap "snapd" has no "serial-port" interface slots\n'),
        (["connect", "minicom:serial", "gizmo"],
         'error: snap "gizmo" has multiple "serial-port" interface slots: ser0, ser1\n'),
        (["connect", "vlc:camera", "gizmo:ser0"],
         'error: cannot connect vlc:camera ("camera" interface) to gizmo:ser0\n'
         '       ("serial-port" interface)\n'),
        (["connect", "home"], "error: cannot resolve connection, plug snap name is empty\n"),
    ]
    for args, err in cases:
        r = broker.cli(args)
        assert (r.returncode, r.stdout, r.stderr) == (1, "", err), args


def test_slot_provided_by_a_snap(broker):
    broker.install("gizmo")
    broker.install("minicom")
    r = broker.cli(["connect", "minicom:serial", "gizmo:ser1"])
    assert r.returncode == 0, r.stderr
    out = broker.cli(["connections", "minicom"]).stdout
    assert "serial-port       minicom:serial  gizmo:ser1" in out.replace("  manual", "")  or \
        "minicom:serial" in out and "gizmo:ser1" in out and "manual" in out
    r = broker.cli(["disconnect", "minicom:serial", "gizmo:ser1"])
    assert r.returncode == 0, r.stderr
    assert "gizmo:ser1" not in broker.cli(["connections"]).stdout


def test_non_root_cannot_mutate_but_can_read(broker, test_user):
    broker.install("vlc")
    r = broker.cli(["connect", "vlc:camera"], user=test_user)
    assert r.returncode == 1
    assert r.stderr == "error: access denied (try with sudo)\n"
    r = broker.cli(["connections", "vlc"], user=test_user)
    assert r.returncode == 0 and r.stdout == VLC_TABLE
    assert "vlc:camera          -" in broker.cli(["connections", "vlc"]).stdout


def test_plugboard_connections_route_serves_the_table_rows(broker):
    """GET /v2/plugboard/connections: the rows `plugboard connections` lays
    out, in its order; the snapd-format /v2/connections is unchanged."""
    from conftest import api
    broker.install("vlc")
    status, doc = api(broker.socket, "GET", "/v2/plugboard/connections?select=all&snap=vlc")
    assert status == 200 and doc["type"] == "sync"
    cells = [line.split() for line in VLC_TABLE.splitlines()[1:]]
    assert doc["result"] == {"rows": cells}
    status, doc = api(broker.socket, "GET", "/v2/connections?select=all&snap=vlc")
    assert status == 200 and "established" in doc["result"] and "rows" not in doc["result"]
    status, doc = api(broker.socket, "GET", "/v2/plugboard/connections?snap=nope")
    assert (status, doc["result"]["kind"]) == (404, "snap-not-found")
    status, doc = api(broker.socket, "GET", "/v2/plugboard/connections?select=bogus")
    assert (status, doc["result"]["message"]) == (400, "unsupported select qualifier")
    status, doc = api(broker.socket, "GET", "/v2/plugboard/connections?interface=home")
    assert status == 400
