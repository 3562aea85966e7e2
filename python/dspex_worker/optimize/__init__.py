"""Real DSPy optimizers on programs that live in Node (DESIGN.md section 5).

Importing this package registers the `optimize.*` tools; pools load it with
`modules: ["dspex_worker.optimize"]`.
"""

from . import tools  # noqa: F401
