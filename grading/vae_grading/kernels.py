"""The kernel manager grading uses: IPC sockets instead of TCP ports.

A kernel on TCP listens on localhost ports that any local process could connect to, and ipykernel
warns about it in red on every grading ("Kernel is running over TCP without encryption …"). Over
IPC the kernel talks through socket files in the runtime folder, readable by its user only.
A socket path has at most 107 bytes: where the connection file lies deeper than that allows (a
long $TMPDIR), the kernel falls back to TCP rather than failing to start.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from jupyter_client.manager import AsyncKernelManager
from traitlets import Unicode, observe

#: The longest path a Unix socket can be bound at (sun_path holds 108 bytes with its NUL).
MAX_SOCKET_PATH = 107


def ipc_paths_fit(connection_file: str) -> bool:
    """Whether the IPC sockets next to `connection_file` (`<name>-ipc-<port>`) fit a socket path."""
    longest = str(Path(connection_file).with_suffix("")) + "-ipc-65535"
    return len(longest.encode()) <= MAX_SOCKET_PATH


class IPCKernelManager(AsyncKernelManager):
    """An AsyncKernelManager whose kernel uses IPC (Unix socket) transport."""

    transport = Unicode("ipc")

    @observe("connection_file")
    def _tcp_where_sockets_cannot_live(self, change: dict[str, Any]) -> None:
        """Wherever the connection file is put, fall back to TCP if IPC sockets cannot go there."""
        if change["new"] and not ipc_paths_fit(change["new"]):
            self.transport = "tcp"
