"""The analysis layer: one module per family, each written once over the shared pipeline.

Layout (arrows point down only: public names -> algorithms -> core -> compiled kernels):

- ``mpcore/__init__.py`` (and ``__init__.pyi``): the public names, nothing else.
- ``mpcore/_algos/<family>.py``: one family each (``anytime``: scrump/prescrump, ``streaming``:
  stumpi/aampi, ``motifs``, ``search`` (match), ``regimes`` (fluss/floss), ``chains``,
  ``multidim``, ``mpdist``, ``snippets``, ``ostinato``, ``stimp``).  A family takes an executor
  (or a profile function) as an argument and never imports one; its ``gpu_``, ``-ed`` and
  ``aamp_`` names are bindings of the one implementation, not copies.
- The core below them: ``_validate``, ``_prepare`` (window statistics, jobs and bands),
  ``_pipeline`` (threads executor, merge, exact refinement, result), ``_gpu``/``_gpu_api``
  (CUDA executor), ``_dask`` (Dask executor), ``_mparray`` (the result type), and the compiled
  ``_engine``/``_exact`` modules over ``_kernels/``.
"""
