"""Bundled, dated and sourced device datasets for the coverage report."""
