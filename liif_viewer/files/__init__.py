"""Files on disk: reading and writing images (``image_io``, with ``ImageDocument``, the one open image),
animations (``record``), and the one ``atomic_write`` every writer of the package goes through."""
