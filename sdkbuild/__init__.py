"""sdkbuild: build mobile ML SDKs (AAR, XCFramework) from models and a small C++ engine."""

__version__ = "0.1.0"
