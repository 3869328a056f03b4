"""The test cloud names whoever holds a port it needs (issue 30: "horizon stopped, but port 30080 is
still held" although this Horizon never ran)."""

from __future__ import annotations

import os
import socket
import sys
from pathlib import Path

from tests.helpers import load_module

TESTBED = load_module(Path(__file__).resolve().parents[2] / "testbed" / "testbed.py", "testbed_ports")


def test_the_holder_of_a_port_is_named_with_its_pid() -> None:
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        port = listener.getsockname()[1]
        holder = TESTBED.port_holder(port)
    assert f"(pid {os.getpid()})" in holder and Path(sys.executable).name[:6] in holder


def test_a_free_port_has_no_holder_to_name() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    assert TESTBED.port_holder(port) == "another process"
