# SPDX-License-Identifier: GPL-3.0-or-later
"""Fixtures of the broker's integration tests. The reusable helper,
start_broker(), is in tests/integration/conftest.py."""
import json
import os

import pytest

from conftest import start_broker  # noqa: F401 (tests/integration/conftest.py)



@pytest.fixture
def declare(broker):
    """Write a local snap declaration (takes effect at the next install/refresh)."""
    def write(snap, doc):
        doc = dict(doc)
        doc.setdefault("snap-name", snap)
        with open(os.path.join(broker.declarations_dir, f"{snap}.json"), "w") as f:
            json.dump(doc, f)
    return write
