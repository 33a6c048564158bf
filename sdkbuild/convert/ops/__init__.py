"""The converter's op knowledge, one family per module, one registration per op.

Each module registers, with the decorators of `sdkbuild.convert.registry`:
* `@onnx_op("Relu", max_version=14, doc=...)`: how a node of an ONNX op becomes engine
  ops, through the `NodeContext` of `sdkbuild.convert.importer`;
* `engine_op("Relu", ...)`: an engine op it emits (engine/src/ops/<op>.cpp) and how to
  express that op back in ONNX for int8 calibration.
A new module is picked up by `registry.load_all()` without being listed anywhere.
"""
