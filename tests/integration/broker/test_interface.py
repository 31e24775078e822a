# SPDX-License-Identifier: GPL-3.0-or-later
"""plugboard interface [NAME] [--all] [--attrs]."""


def test_interface_listing_connected_and_all(broker):
    r = broker.cli(["interface"])
    assert (r.returncode, r.stderr) == (1, "error: no interfaces currently connected\n")
    broker.install("vlc")
    r = broker.cli(["interface"])
    assert r.returncode == 0
    lines = r.stdout.splitlines()
    assert lines[0].split() == ["Name", "Summary"]
    names = [line.split()[0] for line in lines[1:]]
    assert names == ["audio-playback", "desktop", "home"]
    assert "audio-playback  allows audio playback via supporting services" in r.stdout
    r = broker.cli(["interface", "--all"])
    all_names = [line.split()[0] for line in r.stdout.splitlines()[1:]]
    for want in ("home", "removable-media", "camera", "audio-playback", "audio-record",
                 "pulseaudio", "alsa", "x11", "wayland", "desktop", "desktop-legacy", "opengl",
                 "network", "network-bind", "joystick", "raw-usb", "serial-port", "kvm",
                 "hardware-random-observe", "hardware-random-control", "personal-files",
                 "system-files", "mount-observe", "log-observe", "fuse-support", "block-devices",
                 "content"):
        assert want in all_names
    assert all_names == sorted(all_names)


def test_interface_one_like_the_seed(broker):
    broker.install("vlc")
    broker.install("guvcview")
    r = broker.cli(["interface", "audio-playback"])
    assert r.returncode == 0
    assert r.stdout == (
        "name:    audio-playback\n"
        "summary: allows audio playback via supporting services\n"
        "plugs:\n"
        "  - vlc\n"
        "slots:\n"
        "  - snapd\n")


def test_interface_attrs_and_grants(broker):
    broker.install("gizmo")
    broker.install("minicom")
    r = broker.cli(["interface", "serial-port", "--attrs"])
    assert r.returncode == 0
    assert r.stdout.startswith(
        "name:    serial-port\n"
        "summary: allows accessing a specific serial port\n"
        "plugs:\n"
        "  - minicom:serial\n"
        "slots:\n"
        "  - gizmo:ser0 (serial port for debugging):\n"
        "      path: /dev/ttyS0\n"
        "  - gizmo:ser1:\n"
        "      path: /dev/ttyS1\n"), r.stdout
    r = broker.cli(["interface", "camera", "--attrs"])
    assert "\ngrants:\n" in r.stdout
    assert "/dev/video" in r.stdout.split("grants:")[1]
    # without --attrs, snap's output only
    assert "grants:" not in broker.cli(["interface", "camera"]).stdout


def test_no_such_interface(broker):
    r = broker.cli(["interface", "frobnicator"])
    assert (r.returncode, r.stdout, r.stderr) == (1, "", "error: no such interface\n")
