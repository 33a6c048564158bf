"""Sparse weights in `.sdkm` files (TensorRec encoding 2; docs/sdkm-format.md).

A constant stored sparse is a CSR matrix whose rows are the layer's outputs, so the engine's
sparse kernels (engine/src/kernels/*/spmm_f32.cpp) walk one output's nonzeros at a time:

    u32 R, u32 K, u32 nnz, u32 flags (1: the rows are the tensor's last dim, i.e. stored
    transposed; 2: 32-bit column indices, else 16-bit)
    u32 row_ptr[R + 1]; u16/u32 col[nnz] (increasing within a row), padded to 4 bytes;
    f32 values[nnz]

`decode` checks exactly what the engine's loader checks (core/sparse.h).
"""

from __future__ import annotations

import struct

import numpy as np

TRANSPOSED, IDX32 = 1, 2
_HEAD = struct.Struct("<IIII")


class SparseError(ValueError):
    """A sparse payload that does not decode; the message says why."""


def _matrix(shape: tuple[int, ...], transposed: bool) -> tuple[int, int]:
    if not shape:
        raise SparseError("a scalar cannot be sparse")
    count = int(np.prod(shape, dtype=np.int64))
    rows = shape[-1] if transposed else shape[0]
    return rows, (count // rows if rows else 0)


def encode(data: np.ndarray, transposed: bool = False) -> bytes:
    """The payload of a float32 tensor: rows = its first dim (or its last, transposed)."""
    arr = np.asarray(data, dtype="<f4")
    rows, cols = _matrix(tuple(arr.shape), transposed)
    mat = (np.moveaxis(arr, -1, 0) if transposed else arr).reshape(rows, cols)
    r, c = np.nonzero(mat)  # row-major order: columns increasing within a row
    nnz = int(r.size)
    idx32 = cols > 65536
    row_ptr = np.zeros(rows + 1, dtype="<u4")
    np.cumsum(np.bincount(r, minlength=rows), out=row_ptr[1:])
    idx = c.astype("<u4" if idx32 else "<u2").tobytes()
    idx += b"\0" * (-len(idx) % 4)
    flags = (TRANSPOSED if transposed else 0) | (IDX32 if idx32 else 0)
    return _HEAD.pack(rows, cols, nnz, flags) + row_ptr.tobytes() + idx + mat[r, c].astype("<f4").tobytes()


def payload_size(nnz: int, rows: int, cols: int) -> int:
    ib = nnz * (4 if cols > 65536 else 2)
    return 16 + 4 * (rows + 1) + (ib + 3) // 4 * 4 + 4 * nnz


def decode(payload: bytes, shape: tuple[int, ...]) -> tuple[np.ndarray, bool]:
    """(the dense float32 tensor, whether it was stored transposed); SparseError if the
    payload is not one the engine accepts for that shape."""
    if len(payload) < _HEAD.size:
        raise SparseError("shorter than its header")
    rows, cols, nnz, flags = _HEAD.unpack_from(payload, 0)
    if flags & ~3:
        raise SparseError("unknown flags")
    transposed = bool(flags & TRANSPOSED)
    want_rows, want_cols = _matrix(tuple(shape), transposed)
    if rows != want_rows or rows * cols != int(np.prod(shape, dtype=np.int64)):
        raise SparseError("its rows x columns do not match the shape")
    if nnz > rows * cols:
        raise SparseError("more nonzeros than elements")
    idx32 = bool(flags & IDX32)
    if not idx32 and cols > 65536:
        raise SparseError("16-bit column indices for more than 65536 columns")
    ib = nnz * (4 if idx32 else 2)
    if len(payload) != 16 + 4 * (rows + 1) + (ib + 3) // 4 * 4 + 4 * nnz:
        raise SparseError("its size does not match its counts")
    at = 16
    row_ptr = np.frombuffer(payload, dtype="<u4", count=rows + 1, offset=at).astype(np.int64)
    at += 4 * (rows + 1)
    col = np.frombuffer(payload, dtype="<u4" if idx32 else "<u2", count=nnz, offset=at).astype(np.int64)
    at += (ib + 3) // 4 * 4
    values = np.frombuffer(payload, dtype="<f4", count=nnz, offset=at)
    if row_ptr[0] != 0 or row_ptr[-1] != nnz:
        raise SparseError("row pointers do not start at 0 and end at the nonzero count")
    counts = np.diff(row_ptr)
    if (counts < 0).any():
        raise SparseError("row pointers decrease")
    row_of = np.repeat(np.arange(rows), counts)
    if nnz and ((col >= cols).any() or ((np.diff(col) <= 0) & (np.diff(row_of) == 0)).any()):
        raise SparseError("column indices out of range or not increasing")
    mat = np.zeros((rows, cols), dtype="<f4")
    mat[row_of, col] = values
    if transposed:
        lead = tuple(shape[:-1])
        return np.moveaxis(mat.reshape((shape[-1], *lead)), 0, -1).copy(), True
    return mat.reshape(shape), False
