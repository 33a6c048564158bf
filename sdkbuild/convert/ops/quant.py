"""Quantization ops at the int8 graph's edges (emitted by quantize.py, not imported)."""

from __future__ import annotations

from ..registry import engine_op

engine_op("QuantizeLinear", doc="X; the output tensor's QuantRec carries scale and zero point")
engine_op("DequantizeLinear", doc="X; the input tensor's QuantRec carries scale and zero point")
