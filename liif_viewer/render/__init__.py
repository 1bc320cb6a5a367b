"""Headless render engine (numpy/torch, no Qt): image I/O, geometry, fast LIIF paths, export."""
