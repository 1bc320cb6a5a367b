"""The headless render engine (numpy/torch, no Qt): a viewport's pixels for every pane.

``engine`` (``RenderEngine``: LIIF progressively and cancellably, classic methods), ``viewport``
(geometry on the screen-tile lattice), ``liif_tiles`` and ``view_pass`` (LIIF tiles, the whole-view
pass), ``features``/``feature_blocks``/``prefetch`` (latent codes), ``fast_query`` (the folded MLP),
``lod``/``lod_checks``/``bands`` (adaptive refinement), ``lru`` (the one byte-budget LRU cache),
``tile_cache``/``memory`` (budgets), ``resample``/``alpha`` (classic methods, transparency),
``inspection`` (profiles, differences, PSNR, histograms) and ``sizes`` (output sizes); the cancel
token is :mod:`liif_viewer.cancel`. Files are in :mod:`liif_viewer.files`, the jobs built on the
engine in :mod:`liif_viewer.tasks`.

Importing the package imports none of its modules (the viewer's window starts without torch).
"""

__all__ = [
    "alpha", "bands", "engine", "fast_query", "feature_blocks", "features", "inspection", "liif_tiles",
    "lod", "lod_checks", "lru", "memory", "prefetch", "resample", "sizes", "tile_cache", "view_pass", "viewport",
]
