"""Reader and writer of the engine's `.sdkm` model files (see docs/sdkm-format.md).

The Python side of the format contract: the converter builds a `Model` and calls
`write()`; `inspect`, the selective build and the tests call `read()`. The C++ loader
(engine/src/core/loader.cpp) implements the same layout and must agree byte for byte.
"""

from __future__ import annotations

import json
import os
import struct
import zlib
from dataclasses import dataclass, field
from pathlib import Path

import ml_dtypes
import numpy as np

from . import codec, sparse
from .fileio import write_atomic

MAGIC = b"SDKM"
VERSION_MAJOR = 1
VERSION_MINOR = 3  # 1.1: dtypes i64, bool, f16; 1.2: rANS-coded constants; 1.3: sparse constants
HEADER = struct.Struct("<4sHHIIQII")  # magic, major, minor, flags, nsections, file_size, crc, reserved
SECTION = struct.Struct("<IIQQ")
TENSOR = struct.Struct("<IBBH6iQQII8x")
NODE = struct.Struct("<IIHHIII")
ATTR = struct.Struct("<IIII")
GRAPH = struct.Struct("<IIIIII")
QUANT = struct.Struct("<iIII")
assert HEADER.size == 32 and SECTION.size == 24 and TENSOR.size == 64
assert NODE.size == 24 and ATTR.size == 16 and GRAPH.size == 24 and QUANT.size == 16

S_STRINGS, S_TENSORS, S_NODES, S_INDICES, S_ATTRS, S_BLOB, S_GRAPH, S_CONST, S_META, S_QUANT = range(1, 11)

F_CONSTANT, F_GRAPH_INPUT, F_GRAPH_OUTPUT = 1, 2, 4
A_INTS, A_FLOATS, A_STRING = 1, 2, 3
NO_QUANT = 0xFFFFFFFF
MAX_RANK = 6
CONST_ALIGN = 64
SMALL_CONST = 64 * 1024  # encode(): constants laid out first

DTYPES: dict[int, np.dtype] = {
    1: np.dtype("<f4"),
    2: np.dtype("i1"),
    3: np.dtype("<i4"),
    4: np.dtype("u1"),
    5: np.dtype("<i8"),
    6: np.dtype("?"),  # one byte, 0 or 1
    7: np.dtype("<f2"),
}
# Storage types (codes 8..22): held at the model boundary and converted by Cast, computed
# with wider types (sdkbuild/convert/storage.py); engines built with the `storage` option.
# numpy holds them as ml_dtypes (one byte per element even for the sub-byte ones); the file
# and the engine pack int4/uint4/float4 two and int2/uint2 four to a byte, element 0 lowest.
STORAGE_DTYPES: dict[int, np.dtype] = {
    8: np.dtype("<i2"),
    9: np.dtype("<u2"),
    10: np.dtype("<u4"),
    11: np.dtype("<u8"),
    12: np.dtype(ml_dtypes.bfloat16),
    13: np.dtype(ml_dtypes.float8_e4m3fn),
    14: np.dtype(ml_dtypes.float8_e4m3fnuz),
    15: np.dtype(ml_dtypes.float8_e5m2),
    16: np.dtype(ml_dtypes.float8_e5m2fnuz),
    17: np.dtype(ml_dtypes.float8_e8m0fnu),
    18: np.dtype(ml_dtypes.float4_e2m1fn),
    19: np.dtype(ml_dtypes.int4),
    20: np.dtype(ml_dtypes.uint4),
    21: np.dtype(ml_dtypes.int2),
    22: np.dtype(ml_dtypes.uint2),
}
DTYPES.update(STORAGE_DTYPES)
SUB_BYTE_BITS = {18: 4, 19: 4, 20: 4, 21: 2, 22: 2}
DTYPE_NAMES = {1: "f32", 2: "i8", 3: "i32", 4: "u8", 5: "i64", 6: "bool", 7: "f16", 8: "i16", 9: "u16", 10: "u32",
               11: "u64", 12: "bf16", 13: "f8e4m3fn", 14: "f8e4m3fnuz", 15: "f8e5m2", 16: "f8e5m2fnuz",
               17: "f8e8m0", 18: "f4e2m1", 19: "i4", 20: "u4", 21: "i2", 22: "u2"}
STORAGE_NAMES = frozenset(DTYPE_NAMES[c] for c in STORAGE_DTYPES)
DTYPE_CODES = {np.dtype(v).str: k for k, v in DTYPES.items() if k not in STORAGE_DTYPES}
DTYPE_CODES_BY_DTYPE = {np.dtype(v): k for k, v in DTYPES.items()}


def packed_nbytes(code: int, count: int) -> int:
    """Bytes of `count` elements of dtype `code` as the file and the engine hold them."""
    bits = SUB_BYTE_BITS.get(code)
    return (count * bits + 7) // 8 if bits else count * DTYPES[code].itemsize


def to_bytes(arr: np.ndarray, code: int) -> bytes:
    """The elements of `arr` (of dtype `code`) as stored: sub-byte types packed."""
    arr = np.ascontiguousarray(arr, dtype=DTYPES[code]).reshape(-1)
    bits = SUB_BYTE_BITS.get(code)
    if not bits:
        return arr.tobytes()
    per = 8 // bits
    v = arr.view(np.uint8) & ((1 << bits) - 1)
    v = np.concatenate([v, np.zeros((-v.size) % per, np.uint8)]).reshape(-1, per).astype(np.uint8)
    out = np.zeros(v.shape[0], np.uint8)
    for j in range(per):
        out |= v[:, j] << (j * bits)
    return out.tobytes()


def from_bytes(raw: bytes | memoryview | np.ndarray, code: int, shape: tuple[int, ...]) -> np.ndarray:
    """Stored bytes as an array of dtype `code` and `shape` (sub-byte types unpacked)."""
    count = int(np.prod(shape, dtype=np.int64))
    bits = SUB_BYTE_BITS.get(code)
    b = np.frombuffer(raw, dtype=np.uint8, count=packed_nbytes(code, count))
    if not bits:
        return b.view(DTYPES[code]).reshape(shape)
    per = 8 // bits
    mask = (1 << bits) - 1
    v = np.stack([(b >> (j * bits)) & mask for j in range(per)], axis=1).reshape(-1)[:count]
    if code in (19, 21):  # signed: sign-extend within the byte ml_dtypes holds
        v = np.where(v >> (bits - 1), v | (0xFF ^ mask), v).astype(np.uint8)
    return v.astype(np.uint8).view(DTYPES[code]).reshape(shape)

ENC_RAW, ENC_RANS, ENC_SPARSE = 0, 1, 2  # TensorRec encoding of a constant's data (codec.py, sparse.py)

ACT_NONE, ACT_RELU, ACT_CLIP, ACT_HARDSWISH, ACT_SIGMOID, ACT_SILU = range(6)


class SdkmError(ValueError):
    """A .sdkm file that cannot be read; the message names the problem."""


def dtype_code(dtype: np.dtype | type) -> int:
    code = (DTYPE_CODES_BY_DTYPE.get(np.dtype(dtype)) or DTYPE_CODES.get(np.dtype(dtype).newbyteorder("<").str)
            or DTYPE_CODES.get(np.dtype(dtype).str))
    if code is None:
        raise SdkmError(f"dtype {np.dtype(dtype)} cannot be stored in a .sdkm file (allowed: " + ", ".join(DTYPE_NAMES.values()) + ")")
    return code


@dataclass
class Quant:
    scales: np.ndarray  # float32, 1 element per-tensor or one per channel
    zero_points: np.ndarray  # int32, same length
    axis: int = -1  # -1 = per-tensor


@dataclass
class Tensor:
    name: str
    dtype: int  # a DTYPES key
    shape: tuple[int, ...]
    data: np.ndarray | None = None  # set for constants
    quant: Quant | None = None
    # ENC_RANS: store the constant entropy-coded (written coded only when that is smaller);
    # read() sets it to what the file holds
    encoding: int = ENC_RAW
    # ENC_SPARSE: the CSR matrix's rows are the tensor's last dim (B of MatMul, Gemm transB=0)
    sparse_transposed: bool = False

    @property
    def numpy_dtype(self) -> np.dtype:
        return DTYPES[self.dtype]

    @property
    def nbytes(self) -> int:
        return packed_nbytes(self.dtype, int(np.prod(self.shape, dtype=np.int64)))


AttrValue = list[int] | list[float] | str


@dataclass
class Node:
    op: str
    name: str
    inputs: list[int]  # tensor indices, -1 for an absent optional input
    outputs: list[int]
    attrs: dict[str, AttrValue] = field(default_factory=dict)
    # attrs holding float lists are told apart from int lists by this set (a list of
    # whole-number floats would otherwise be ambiguous)
    float_attrs: frozenset[str] = frozenset()


@dataclass
class Model:
    name: str = "model"
    tensors: list[Tensor] = field(default_factory=list)
    nodes: list[Node] = field(default_factory=list)
    inputs: list[int] = field(default_factory=list)
    outputs: list[int] = field(default_factory=list)
    meta: dict = field(default_factory=dict)
    # store every section but CONST rANS-coded where that is smaller (CONST: per tensor)
    code_sections: bool = False
    # META lists the ops and dtypes used (they repeat what the file holds: off for the smallest files)
    meta_lists: bool = True

    def add_tensor(self, tensor: Tensor) -> int:
        self.tensors.append(tensor)
        return len(self.tensors) - 1

    def ops_used(self) -> list[str]:
        return sorted({n.op for n in self.nodes})

    def dtypes_used(self) -> list[str]:
        return sorted({DTYPE_NAMES[t.dtype] for t in self.tensors})

    def uses_storage_dtypes(self) -> bool:
        """Whether a tensor has a storage type (int16, bfloat16, float8, int4, ...): the engine
        then needs its `storage` option."""
        return any(t.dtype in STORAGE_DTYPES for t in self.tensors)

    def uses_rans(self) -> bool:
        """Whether the engine needs its rANS decoder for this model (a coded constant or
        section). Exact for a model read from a file (decode() sets both from what the file
        holds); for a model about to be written, an upper bound (data is stored coded only
        where that is smaller)."""
        return self.code_sections or any(t.encoding == ENC_RANS for t in self.tensors)

    def uses_winograd(self) -> bool:
        """Whether a convolution of this model takes the engine's Winograd path: the rule of
        conv_f32_wino_plan (engine/src/kernels/ref/conv_f32_wino.cpp) on the recorded shapes:
        fp32, dense 3x3, stride 1, dilation 1, >= 4 input channels, output plane >= 13x13. The
        engine compiles it only for such models; were the two rules to differ, a conv would run
        on the GEMM instead: slower, never wrong."""
        for n in self.nodes:
            if n.op != "Conv" or len(n.inputs) < 2 or not n.outputs:
                continue
            x, w, y = (self.tensors[i] for i in (n.inputs[0], n.inputs[1], n.outputs[0]))
            if DTYPE_NAMES.get(x.dtype) != "f32" or len(w.shape) != 4 or len(y.shape) != 4:
                continue
            a = n.attrs
            group = a.get("group", 1)
            if (tuple(w.shape[2:]) == (3, 3) and (group[0] if isinstance(group, list) else group) == 1 and list(a.get("strides", [1, 1])) == [1, 1]
                    and list(a.get("dilations", [1, 1])) == [1, 1] and w.shape[1] >= 4
                    and y.shape[2] >= 13 and y.shape[3] >= 13):
                return True
        return False

    def uses_sparse(self) -> bool:
        """Whether the engine needs its sparse kernels for this model (a constant stored sparse)."""
        return any(t.encoding == ENC_SPARSE and t.data is not None for t in self.tensors)


# --------------------------------------------------------------------------- writing


class _Strings:
    def __init__(self) -> None:
        self.buf = bytearray(b"\0")  # offset 0 = empty string
        self.index: dict[str, int] = {"": 0}

    def ref(self, s: str) -> int:
        if s not in self.index:
            self.index[s] = len(self.buf)
            self.buf += s.encode() + b"\0"
        return self.index[s]


class _Blob:
    def __init__(self) -> None:
        self.buf = bytearray()

    def add(self, data: bytes) -> int:
        while len(self.buf) % 4:
            self.buf.append(0)
        off = len(self.buf)
        self.buf += data
        return off


def _pad(buf: bytearray, align: int) -> None:
    while len(buf) % align:
        buf.append(0)


def encode(model: Model) -> bytes:
    """The .sdkm bytes of `model` (deterministic: same model, same bytes)."""
    strings, blob = _Strings(), _Blob()
    quant_recs = bytearray()
    tensor_recs = bytearray()
    const = bytearray()
    flags_by_index = [0] * len(model.tensors)
    for i in model.inputs:
        flags_by_index[i] |= F_GRAPH_INPUT
    for i in model.outputs:
        flags_by_index[i] |= F_GRAPH_OUTPUT
    n_quant = 0
    recs: list[list] = []  # per tensor: TENSOR's fields, the data offset filled in below
    payloads: list[tuple[int, bytes, int, int]] = []  # (tensor, data, encoding, alignment)
    for i, t in enumerate(model.tensors):
        if len(t.shape) > MAX_RANK:
            raise SdkmError(f"tensor {t.name!r} has rank {len(t.shape)}; the engine supports at most {MAX_RANK}")
        dims = list(t.shape) + [0] * (MAX_RANK - len(t.shape))
        flags = flags_by_index[i]
        encoding = 0
        payload = b""
        if t.data is not None:
            # np.ascontiguousarray would turn a rank-0 scalar into shape (1,)
            arr = np.array(t.data, dtype=DTYPES[t.dtype], order="C", copy=True)
            if tuple(arr.shape) != tuple(t.shape):
                raise SdkmError(f"tensor {t.name!r}: data shape {arr.shape} != declared {t.shape}")
            flags |= F_CONSTANT
            raw = to_bytes(arr, t.dtype)
            coded = codec.encode(raw) if t.encoding == ENC_RANS and arr.size else None
            if t.encoding == ENC_SPARSE:
                if t.dtype != 1 or not arr.ndim:
                    raise SdkmError(f"tensor {t.name!r}: only float32 tensors of rank >= 1 can be stored sparse")
                payload, encoding, align = sparse.encode(arr, t.sparse_transposed), ENC_SPARSE, 4
            elif coded is not None and len(coded) < len(raw):
                payload, encoding, align = coded, ENC_RANS, 4
            else:
                payload, align = raw, CONST_ALIGN
            payloads.append((i, payload, encoding, align))
        qidx = NO_QUANT
        if t.quant is not None:
            sc = np.ascontiguousarray(t.quant.scales, dtype="<f4").reshape(-1)
            zp = np.ascontiguousarray(t.quant.zero_points, dtype="<i4").reshape(-1)
            quant_recs += QUANT.pack(t.quant.axis, sc.size, blob.add(sc.tobytes()), blob.add(zp.tobytes()))
            qidx = n_quant
            n_quant += 1
        recs.append([strings.ref(t.name), t.dtype, len(t.shape), flags, *dims, 0, len(payload), qidx, encoding])
    # Small constants (biases, scales, norms, depthwise filters: under SMALL_CONST bytes) first,
    # then the large ones, each group in tensor order. A mapped file's pages come back into a
    # process a folio or a fault-around window (64 KiB) at a time: small constants read in
    # place between large weights that the engine packs at load (MatMul/Gemm B, int8 conv
    # weights) would bring back parts of those weights' sources with them.
    for i, payload, _encoding, align in sorted(payloads, key=lambda p: (len(p[1]) >= SMALL_CONST, p[0])):
        _pad(const, align)
        recs[i][4 + MAX_RANK] = len(const)
        const += payload
    for r in recs:
        tensor_recs += TENSOR.pack(*r)

    indices: list[int] = []
    node_recs = bytearray()
    attr_recs = bytearray()
    n_attrs = 0
    for n in model.nodes:
        first_io = len(indices)
        indices += n.inputs + n.outputs
        first_attr = n_attrs
        for key in sorted(n.attrs):
            v = n.attrs[key]
            if isinstance(v, str):
                attr_recs += ATTR.pack(strings.ref(key), A_STRING, 1, strings.ref(v))
            elif key in n.float_attrs or any(isinstance(x, float) for x in v):
                arr = np.asarray(v, dtype="<f4").reshape(-1)
                attr_recs += ATTR.pack(strings.ref(key), A_FLOATS, arr.size, blob.add(arr.tobytes()))
            else:
                arr = np.asarray(v, dtype="<i4").reshape(-1)
                attr_recs += ATTR.pack(strings.ref(key), A_INTS, arr.size, blob.add(arr.tobytes()))
            n_attrs += 1
        node_recs += NODE.pack(
            strings.ref(n.op), strings.ref(n.name), len(n.inputs), len(n.outputs), first_io, first_attr, len(n.attrs)
        )
    first_in = len(indices)
    indices += model.inputs
    first_out = len(indices)
    indices += model.outputs
    graph_rec = GRAPH.pack(strings.ref(model.name), len(model.inputs), first_in, len(model.outputs), first_out, 0)
    meta = dict(model.meta)
    if model.meta_lists:
        meta.setdefault("ops", model.ops_used())
        meta.setdefault("dtypes", model.dtypes_used())
    meta_bytes = json.dumps(meta, sort_keys=True).encode()

    sections: list[tuple[int, bytes]] = [
        (S_STRINGS, bytes(strings.buf)),
        (S_TENSORS, bytes(tensor_recs)),
        (S_NODES, bytes(node_recs)),
        (S_INDICES, np.asarray(indices, dtype="<i4").tobytes()),
        (S_ATTRS, bytes(attr_recs)),
        (S_BLOB, bytes(blob.buf)),
        (S_GRAPH, graph_rec),
        (S_QUANT, bytes(quant_recs)),
        (S_META, meta_bytes),
        (S_CONST, bytes(const)),  # last, so its 64-byte alignment wastes the least
    ]
    body = bytearray()
    table = bytearray()
    base = HEADER.size + SECTION.size * len(sections)
    for kind, data in sections:
        align = CONST_ALIGN if kind == S_CONST else 8
        while (base + len(body)) % align:
            body.append(0)
        enc = ENC_RAW
        if model.code_sections and kind != S_CONST and len(data) >= 32:
            coded = struct.pack("<Q", len(data)) + codec.encode(data)
            if len(coded) < len(data):
                data, enc = coded, ENC_RANS
        table += SECTION.pack(kind, enc, base + len(body), len(data))
        body += data
    rest = bytes(table) + bytes(body)
    size = HEADER.size + len(rest)
    header = HEADER.pack(MAGIC, VERSION_MAJOR, VERSION_MINOR, 0, len(sections), size, zlib.crc32(rest), 0)
    return header + rest


def write(model: Model, path: str | os.PathLike) -> None:
    """Write atomically: a failed conversion never leaves a half-written file behind."""
    write_atomic(path, encode(model))


# --------------------------------------------------------------------------- reading


def decode(data: bytes) -> Model:
    """Parse and check .sdkm bytes; raises SdkmError naming the first problem."""
    try:
        return _decode(data)
    except SdkmError:
        raise
    except (struct.error, ValueError, IndexError, UnicodeDecodeError) as e:
        raise SdkmError(f"malformed .sdkm file ({type(e).__name__}: {e})") from None


def has_coded_data(data: bytes) -> bool:
    """Whether an encoded (unencrypted) .sdkm file holds rANS-coded data, i.e. needs the
    engine's decoder: a coded section, or a constant stored coded. Reads only the section
    table and the tensor records (no decoding); a malformed file counts as not coded
    (loading it fails anyway)."""
    try:
        nsec = HEADER.unpack_from(data, 0)[4]
        tensors = None
        for i in range(min(nsec, 64)):
            kind, enc, off, sz = SECTION.unpack_from(data, HEADER.size + i * SECTION.size)
            if enc == ENC_RANS and kind != S_CONST:
                return True
            if kind == S_TENSORS:
                tensors = data[off : off + sz]
        if tensors is None:
            return False
        return any(TENSOR.unpack_from(tensors, at)[-1] == ENC_RANS
                   for at in range(0, len(tensors) - TENSOR.size + 1, TENSOR.size))
    except struct.error:
        return False


def has_sparse_data(data: bytes) -> bool:
    """Whether an encoded (unencrypted) .sdkm file stores a constant sparse, i.e. needs the
    engine's sparse kernels. Reads only the section table and the tensor records; a
    malformed file counts as not sparse (loading it fails anyway)."""
    try:
        nsec = HEADER.unpack_from(data, 0)[4]
        for i in range(min(nsec, 64)):
            kind, enc, off, sz = SECTION.unpack_from(data, HEADER.size + i * SECTION.size)
            if kind != S_TENSORS:
                continue
            tensors = data[off : off + sz]
            if enc == ENC_RANS and sz >= 8:
                tensors = codec.decode(tensors[8:], struct.unpack_from("<Q", tensors, 0)[0])
            return any(TENSOR.unpack_from(tensors, at)[-1] == ENC_SPARSE
                       for at in range(0, len(tensors) - TENSOR.size + 1, TENSOR.size))
        return False
    except (struct.error, codec.CodecError):
        return False


def _decode(data: bytes) -> Model:
    if len(data) < HEADER.size:
        raise SdkmError(f"file is {len(data)} bytes, shorter than the {HEADER.size}-byte header (truncated?)")
    magic, major, _minor, _flags, nsec, size, crc, _ = HEADER.unpack_from(data, 0)
    if magic == b"SDKE":
        raise SdkmError("the model is encrypted (SDKE): decrypt it with its key first (sdkbuild.protect.decrypt)")
    if magic != MAGIC:
        raise SdkmError(f"not a .sdkm file (magic {magic!r}, expected {MAGIC!r})")
    if major != VERSION_MAJOR:
        raise SdkmError(f"format version {major} is not supported (this reader knows {VERSION_MAJOR})")
    if size != len(data):
        raise SdkmError(f"header says {size} bytes but the file has {len(data)} (truncated or padded)")
    if not 1 <= nsec <= 64 or HEADER.size + nsec * SECTION.size > size:
        raise SdkmError(f"bad section count {nsec}")
    if zlib.crc32(data[HEADER.size :]) != crc:
        raise SdkmError("CRC-32 mismatch: the file is corrupted")
    sec: dict[int, bytes] = {}
    coded_sections = False
    for i in range(nsec):
        kind, enc, off, sz = SECTION.unpack_from(data, HEADER.size + i * SECTION.size)
        if off + sz > size or off < HEADER.size + nsec * SECTION.size:
            raise SdkmError(f"section {kind} [{off}, {off + sz}) lies outside the file")
        sec[kind] = data[off : off + sz]
        if enc == ENC_RANS and kind != S_CONST and sz >= 8:
            (raw_size,) = struct.unpack_from("<Q", sec[kind], 0)
            coded_sections = True
            try:
                sec[kind] = codec.decode(sec[kind][8:], raw_size)
            except codec.CodecError as e:
                raise SdkmError(f"section {kind}: coded data: {e}") from None
        elif enc != ENC_RAW:
            raise SdkmError(f"section {kind}: unknown encoding {enc}")
    for k in (S_STRINGS, S_TENSORS, S_NODES, S_INDICES, S_GRAPH):
        if k not in sec:
            raise SdkmError(f"required section {k} is missing")
    strings, blob, const = sec[S_STRINGS], sec.get(S_BLOB, b""), sec.get(S_CONST, b"")

    def string(ref: int) -> str:
        end = strings.find(b"\0", ref)
        if ref >= len(strings) or end < 0:
            raise SdkmError(f"string reference {ref} is out of range")
        return strings[ref:end].decode()

    def blob_array(off: int, count: int, dtype: str) -> np.ndarray:
        nbytes = count * np.dtype(dtype).itemsize
        if off + nbytes > len(blob):
            raise SdkmError("attribute or quantization data lies outside the BLOB section")
        return np.frombuffer(blob, dtype=dtype, count=count, offset=off)

    quants = []
    qsec = sec.get(S_QUANT, b"")
    for i in range(len(qsec) // QUANT.size):
        axis, count, soff, zoff = QUANT.unpack_from(qsec, i * QUANT.size)
        quants.append(Quant(blob_array(soff, count, "<f4").copy(), blob_array(zoff, count, "<i4").copy(), axis))

    m = Model(code_sections=coded_sections)
    tsec = sec[S_TENSORS]
    for i in range(len(tsec) // TENSOR.size):
        name, dt, rank, flags, *rest = TENSOR.unpack_from(tsec, i * TENSOR.size)
        dims, (doff, dsize, qidx, encoding) = rest[:6], rest[6:]
        if dt not in DTYPES or rank > MAX_RANK:
            raise SdkmError(f"tensor {i}: bad dtype {dt} or rank {rank}")
        t = Tensor(string(name), dt, tuple(dims[:rank]))
        if flags & F_CONSTANT:
            if doff + dsize > len(const) or (encoding == ENC_RAW and dsize != t.nbytes):
                raise SdkmError(f"tensor {t.name!r}: constant data out of range or of the wrong size")
            if encoding == ENC_RANS:
                try:
                    raw = codec.decode(const[doff:doff + dsize], t.nbytes)
                except codec.CodecError as e:
                    raise SdkmError(f"tensor {t.name!r}: coded data: {e}") from None
                t.data = from_bytes(raw, dt, t.shape)
                t.encoding = ENC_RANS
            elif encoding == ENC_SPARSE:
                if dt != 1:
                    raise SdkmError(f"tensor {t.name!r}: sparse data of a non-float32 tensor")
                try:
                    t.data, t.sparse_transposed = sparse.decode(const[doff:doff + dsize], t.shape)
                except sparse.SparseError as e:
                    raise SdkmError(f"tensor {t.name!r}: sparse data: {e}") from None
                t.encoding = ENC_SPARSE
            elif encoding == ENC_RAW:
                t.data = from_bytes(memoryview(const)[doff:doff + dsize], dt, t.shape)
            else:
                raise SdkmError(f"tensor {t.name!r}: unknown data encoding {encoding}")
        if qidx != NO_QUANT:
            if qidx >= len(quants):
                raise SdkmError(f"tensor {t.name!r}: quant index {qidx} out of range")
            t.quant = quants[qidx]
        m.tensors.append(t)
    indices = np.frombuffer(sec[S_INDICES], dtype="<i4").tolist()
    asec = sec.get(S_ATTRS, b"")
    nsec_ = sec[S_NODES]
    for i in range(len(nsec_) // NODE.size):
        op, name, nin, nout, first, first_attr, nattr = NODE.unpack_from(nsec_, i * NODE.size)
        if first + nin + nout > len(indices):
            raise SdkmError(f"node {i}: inputs/outputs out of range")
        attrs: dict[str, AttrValue] = {}
        floats = set()
        for a in range(first_attr, first_attr + nattr):
            if (a + 1) * ATTR.size > len(asec):
                raise SdkmError(f"node {i}: attribute {a} out of range")
            aname, atype, count, off = ATTR.unpack_from(asec, a * ATTR.size)
            key = string(aname)
            if atype == A_STRING:
                attrs[key] = string(off)
            elif atype == A_FLOATS:
                attrs[key] = [float(x) for x in blob_array(off, count, "<f4")]
                floats.add(key)
            elif atype == A_INTS:
                attrs[key] = [int(x) for x in blob_array(off, count, "<i4")]
            else:
                raise SdkmError(f"node {i}: attribute {key!r} has unknown type {atype}")
        m.nodes.append(
            Node(string(op), string(name), indices[first : first + nin], indices[first + nin : first + nin + nout],
                 attrs, frozenset(floats))
        )
    gname, nin, fin, nout, fout, _ = GRAPH.unpack_from(sec[S_GRAPH], 0)
    m.name = string(gname)
    m.inputs, m.outputs = indices[fin : fin + nin], indices[fout : fout + nout]
    if S_META in sec and sec[S_META]:
        try:
            m.meta = json.loads(sec[S_META].decode())
        except ValueError as e:
            raise SdkmError(f"META section is not valid JSON: {e}") from None
    return m


def read(path: str | os.PathLike, key: bytes | None = None) -> Model:
    """Read a .sdkm file; an encrypted one (SDKE) is decrypted with `key` (protect.py)."""
    p = Path(path)
    try:
        data = p.read_bytes()
    except OSError as e:
        raise SdkmError(f"cannot read {p}: {e.strerror}") from None
    if key is not None and data[:4] == b"SDKE":
        from .protect import decrypt

        data = decrypt(data, key)
    try:
        return decode(data)
    except SdkmError as e:
        raise SdkmError(f"{p}: {e}") from None
