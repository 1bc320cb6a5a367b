"""Headless jobs built on the engine, used by the CLI and the viewer alike: ``export`` (a region at any
size, to a file), ``demos`` (the resolution sweep and the zoom flight), ``bench`` (speed and memory) and
``lod_stress`` (the fast-mode error study)."""
