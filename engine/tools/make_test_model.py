#!/usr/bin/env python3
"""Write the small .sdkm model the engine's C++ tests load (engine/tests/engine_test.cpp).

Standard library only (it runs with whatever Python runs Meson, also inside Conan), so it
carries a minimal writer of the format in docs/sdkm-format.md; sdkbuild/sdkm.py is the
full one, and tests/test_loader.py checks the two agree on this file.

Graph:  x f32[1,4,4,4] -> Relu -> a -> Reshape(shape=[4,16], + constant shape input) -> b
        -> Relu -> y (output);   q i8[2,8] (scale 0.5, zp -3) -> Relu -> yq (output)
"""

from __future__ import annotations

import struct
import sys
import zlib


def build() -> bytes:
    strings = bytearray(b"\0")

    def s(text: str) -> int:
        off = len(strings)
        strings.extend(text.encode() + b"\0")
        return off

    blob = bytearray()

    def blob_add(data: bytes) -> int:
        while len(blob) % 4:
            blob.append(0)
        off = len(blob)
        blob.extend(data)
        return off

    const = bytearray()
    shape_data = struct.pack("<2i", 4, 16)
    const.extend(shape_data)
    quant = struct.pack("<iIII", -1, 1, blob_add(struct.pack("<f", 0.5)), blob_add(struct.pack("<i", -3)))

    def tensor(name: str, dtype: int, dims: list[int], flags: int, data: tuple[int, int] = (0, 0), q: int = 0xFFFFFFFF):
        d = dims + [0] * (6 - len(dims))
        return struct.pack("<IBBH6iQQI12x", s(name), dtype, len(dims), flags, *d, data[0], data[1], q)

    tensors = b"".join([
        tensor("x", 1, [1, 4, 4, 4], 2),          # 0 input
        tensor("a", 1, [1, 4, 4, 4], 0),          # 1
        tensor("shape", 3, [2], 1, (0, 8)),       # 2 constant
        tensor("b", 1, [4, 16], 0),               # 3
        tensor("y", 1, [4, 16], 4),               # 4 output
        tensor("q", 2, [2, 8], 2, q=0),           # 5 input
        tensor("yq", 2, [2, 8], 4, q=0),          # 6 output
    ])
    attrs = struct.pack("<IIII", s("shape"), 1, 2, blob_add(struct.pack("<2i", 4, 16)))
    indices = [0, 1, 1, 2, 3, 3, 4, 5, 6, 0, 5, 4, 6]
    nodes = b"".join([
        struct.pack("<IIHHIII", s("Relu"), s("relu1"), 1, 1, 0, 0, 0),
        struct.pack("<IIHHIII", s("Reshape"), s("reshape"), 2, 1, 2, 0, 1),
        struct.pack("<IIHHIII", s("Relu"), s("relu2"), 1, 1, 5, 0, 0),
        struct.pack("<IIHHIII", s("Relu"), s("relu_q"), 1, 1, 7, 0, 0),
    ])
    graph = struct.pack("<IIIIII", s("engine_test"), 2, 9, 2, 11, 0)
    sections = [
        (1, bytes(strings)), (2, tensors), (3, nodes), (4, struct.pack(f"<{len(indices)}i", *indices)),
        (5, attrs), (6, bytes(blob)), (7, graph), (10, quant), (8, bytes(const)),
    ]
    base = 32 + 24 * len(sections)
    body = bytearray()
    table = bytearray()
    for kind, data in sections:
        align = 64 if kind == 8 else 8
        while (base + len(body)) % align:
            body.append(0)
        table.extend(struct.pack("<IIQQ", kind, 0, base + len(body), len(data)))
        body.extend(data)
    rest = bytes(table) + bytes(body)
    header = struct.pack("<4sHHIIQII", b"SDKM", 1, 0, 0, len(sections), 32 + len(rest), zlib.crc32(rest), 0)
    return header + rest


if __name__ == "__main__":
    with open(sys.argv[1], "wb") as f:
        f.write(build())
