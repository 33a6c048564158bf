"""Packaging: AAR + Maven POM (aar.py), XCFramework + SwiftPM manifest (xcframework.py),
driven by dist.py (`sdkbuild package`). Every archive is deterministic (archive.py) and
every output is written to a temporary name, then renamed.
"""
