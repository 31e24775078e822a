# SPDX-License-Identifier: GPL-3.0-or-later
"""Helpers of the hardening tests."""
import json
import os

from conftest import build_dir


def sanitized():
    """Whether the build under test is an ASan/UBSan build."""
    with open(os.path.join(build_dir(), "meson-info", "intro-buildoptions.json")) as f:
        opts = {o["name"]: o["value"] for o in json.load(f)}
    return opts.get("b_sanitize", "none") != "none"
