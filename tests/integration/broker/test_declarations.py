# SPDX-License-Identifier: GPL-3.0-or-later
"""Local snap declarations: effective at the snap's next install or refresh."""


def camera_row(broker):
    out = broker.cli(["connections", "guvcview"]).stdout
    return [line for line in out.splitlines() if line.startswith("camera")][0].split()


def test_camera_auto_connect_only_at_next_install_or_refresh(broker, declare):
    broker.install("guvcview")
    assert camera_row(broker) == ["camera", "guvcview:camera", "-", "-"]
    declare("guvcview", {"plugs": {"camera": {"allow-auto-connection": True}}})
    # not before the next refresh
    assert camera_row(broker) == ["camera", "guvcview:camera", "-", "-"]
    broker.restart()
    assert camera_row(broker) == ["camera", "guvcview:camera", "-", "-"]
    broker.install("guvcview")  # refresh
    assert camera_row(broker) == ["camera", "guvcview:camera", ":camera", "-"]


def test_declaration_at_first_install(broker, declare):
    declare("guvcview", {"plugs": {"camera": {"allow-auto-connection": True}}})
    broker.install("guvcview")
    assert camera_row(broker) == ["camera", "guvcview:camera", ":camera", "-"]


def test_disconnected_declared_auto_connection_stays_undesired(broker, declare):
    declare("guvcview", {"plugs": {"camera": {"allow-auto-connection": True}}})
    broker.install("guvcview")
    broker.cli(["disconnect", "guvcview:camera"], check=True)
    broker.install("guvcview")
    assert camera_row(broker) == ["camera", "guvcview:camera", "-", "-"]


def test_allow_connection_false_denies_manual_connect(broker, declare):
    declare("vlc", {"plugs": {"camera": {"allow-connection": False}}})
    broker.install("vlc")
    r = broker.cli(["connect", "vlc:camera"])
    assert r.returncode == 1
    assert r.stderr.startswith("error: cannot perform the following tasks:\n"
                               "- Connect vlc:camera to snapd:camera (")
    assert "not allowed" in r.stderr
    assert "vlc:camera          -" in broker.cli(["connections", "vlc"]).stdout
