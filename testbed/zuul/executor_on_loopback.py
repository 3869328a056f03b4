"""zuul-executor with its log streamer bound to 127.0.0.1 instead of every interface.

Zuul 14.3 starts the streamer with the host ``'::'`` written into ``zuul/cmd/executor.py``
and offers no option for it (only ``finger_port``); the test Zuul must listen on loopback
only, so this wrapper replaces the host before the executor starts. Nothing else changes.
"""

import sys

import zuul.lib.log_streamer
from zuul.cmd.executor import main

_original = zuul.lib.log_streamer.LogStreamer.__init__


def _on_loopback(self, host, port, jobdir_root):  # type: ignore[no-untyped-def]
    _original(self, "127.0.0.1", port, jobdir_root)


zuul.lib.log_streamer.LogStreamer.__init__ = _on_loopback

if __name__ == "__main__":
    sys.argv[0] = "zuul-executor"
    sys.exit(main())
