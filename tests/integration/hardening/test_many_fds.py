# SPDX-License-Identifier: GPL-3.0-or-later
"""A broker holding more than FD_SETSIZE (1024) descriptors -- what ~50
sandboxes' views, control sockets and proxies add up to -- still serves its
API: nothing in the daemon may use select(2) on a descriptor. Found by the
50-sandbox soak (bench/soak.sh): every API connection was refused."""
import os
import socket
import subprocess
import time

from conftest import Broker, api


def test_api_served_with_more_than_fd_setsize_descriptors_open(workdir):
    b = Broker(workdir)
    fds = [os.open("/dev/null", os.O_RDONLY) for _ in range(1100)]
    b.log = open(b.log_path, "ab")
    try:
        # The daemon inherits the 1100 descriptors, so every socket it opens
        # (listening and accepted) is numbered above 1024.
        b.proc = subprocess.Popen(b.argv(), stdout=b.log, stderr=b.log, pass_fds=fds)
    finally:
        for fd in fds:
            os.close(fd)
    try:
        deadline = time.monotonic() + 20
        while True:
            assert b.proc.poll() is None, b.read_log()
            try:
                with socket.socket(socket.AF_UNIX) as s:
                    s.connect(b.socket)
                break
            except OSError:
                assert time.monotonic() < deadline, b.read_log()
                time.sleep(0.02)
        assert len(os.listdir(f"/proc/{b.proc.pid}/fd")) > 1100
        status, doc = api(b.socket, "GET", "/v2/system-info")
        assert status == 200, doc
        b.install("vlc")
        b.cli(["connect", "vlc:camera"], check=True)
        r = b.cli(["connections", "vlc"], check=True)
        assert "vlc:camera" in r.stdout
    finally:
        b.stop()
