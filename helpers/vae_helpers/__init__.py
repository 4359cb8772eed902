"""Helpers for the VAE course: import a submodule, e.g. ``from vae_helpers import plots``.

Nothing heavy (torch, matplotlib) is imported here, so ``import vae_helpers`` stays instant.
"""

__version__ = "1.2.0"
