"""reprolab: runnable reproductions of ten recent papers, one notebook each over one thin library.

Layers (imports run one way): notebooks -> paper packages -> ``lm`` / ``sparsity`` -> ``core``.
"""

__version__ = "0.1.0"
