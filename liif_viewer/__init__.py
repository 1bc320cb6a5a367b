"""liif-viewer: a zoom viewer that shows any photo as a continuous image, built on LIIF.

Layers import downwards only: ``model`` (PyTorch) → ``render`` (headless engine)
→ ``app`` (Qt) → ``cli``.
"""

__version__ = "0.1.0"
