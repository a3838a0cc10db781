"""The package version: its one source. pyproject.toml reads it (``[tool.setuptools.dynamic]``), and
``backtest_rpc.__version__`` is this, so a checkout used through PYTHONPATH reports the same version as an
installed copy."""

__all__ = ["__version__"]

__version__ = "0.1.0"
