"""The kernel manager grading uses: IPC sockets instead of TCP ports.

A kernel on TCP listens on localhost ports that any local process could connect to, and ipykernel
warns about it in red on every grading ("Kernel is running over TCP without encryption …"). Over
IPC the kernel talks through socket files in the runtime folder, readable by its user only.
"""

from __future__ import annotations

from jupyter_client.manager import AsyncKernelManager
from traitlets import Unicode


class IPCKernelManager(AsyncKernelManager):
    """An AsyncKernelManager whose kernel uses IPC (Unix socket) transport."""

    transport = Unicode("ipc")
