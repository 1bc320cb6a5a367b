"""Files on disk: reading and writing images (``image_io``), animations (``record``), and the one
``atomic_write`` every writer of the package goes through."""
