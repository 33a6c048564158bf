"""Entropy coding of constant tensors in .sdkm files: static byte-wise rANS.

Why rANS and not Huffman: pruned and low-bit weights have very skewed byte statistics
(most bytes 0, a handful of small values), where Huffman's one-bit-per-symbol floor wastes
much of the gain; rANS codes each byte in -log2(p) bits. The decoder is ~60 lines of C in
the engine (engine/src/core/rans.h) and runs once per tensor at load.

Payload of a coded tensor (little-endian, format in docs/sdkm-format.md):

    u8  version (1)          u8  scale bits (12)      u16 symbol count S (1..256)
    the symbols, ascending:  S bytes when S < 32, else a 32-byte bitmap (bit s of byte s/8)
    their frequencies, in the same order, each as 1 byte (f < 128) or 2 bytes
                             (0x80 | f & 0x7F, f >> 7); f > 0, summing to 1 << scale bits
    pad to a multiple of 4
    u32 x 4                  the encoder's final states (the decoder's start states)
    u32 stream bytes N       then N bytes of the interleaved rANS stream

Symbol i of the tensor's bytes is coded with state i % 4 (four interleaved states let
the decoder overlap the dependent state updates). The decoder must end with every state
back at RANS_L and the stream fully consumed; anything else is a corrupt file.
"""

from __future__ import annotations

import struct

import numpy as np

VERSION = 1
SCALE_BITS = 12
RANS_L = 1 << 23  # lower bound of the normalized state
LANES = 4


class CodecError(ValueError):
    """A coded payload that does not decode; the message says why."""


def _frequencies(data: np.ndarray) -> np.ndarray:
    """Byte frequencies scaled to sum to 1 << SCALE_BITS, every present symbol >= 1."""
    counts = np.bincount(data, minlength=256).astype(np.int64)
    total = 1 << SCALE_BITS
    present = counts > 0
    freq = np.zeros(256, np.int64)
    freq[present] = np.maximum(1, (counts[present] * total) // counts.sum())
    # fix the sum: give or take from the most frequent symbols (keeping each >= 1)
    diff = total - int(freq.sum())
    order = np.argsort(-counts, kind="stable")
    i = 0
    while diff != 0:
        s = order[i % int(present.sum())]
        step = 1 if diff > 0 else -1
        if freq[s] + step >= 1:
            freq[s] += step
            diff -= step
        i += 1
    return freq


def encode(raw: bytes | np.ndarray) -> bytes:
    """rANS-code a byte string (or the bytes of an array)."""
    data = np.frombuffer(bytes(raw) if not isinstance(raw, np.ndarray) else raw.tobytes(), np.uint8)
    if data.size == 0:
        raise CodecError("nothing to code")
    freq = _frequencies(data)
    cum = np.concatenate([[0], np.cumsum(freq)[:-1]])
    symbols = np.flatnonzero(freq)
    header = struct.pack("<BBH", VERSION, SCALE_BITS, len(symbols))
    if len(symbols) < 32:
        header += bytes(int(v) for v in symbols)
    else:
        header += np.packbits(freq > 0, bitorder="little").tobytes()
    for v in freq[symbols].tolist():
        header += bytes([v]) if v < 128 else bytes([0x80 | (v & 0x7F), v >> 7])
    header += b"\0" * (-len(header) % 4)

    f_list, c_list = freq.tolist(), cum.tolist()
    states = [RANS_L] * LANES
    out = bytearray()
    # encode backwards so the decoder reads forwards; bytes are emitted in reverse order
    x_max_base = ((RANS_L >> SCALE_BITS) << 8)
    syms = data.tolist()
    for i in range(len(syms) - 1, -1, -1):
        s = syms[i]
        lane = i % LANES
        x = states[lane]
        f = f_list[s]
        x_max = x_max_base * f
        while x >= x_max:
            out.append(x & 0xFF)
            x >>= 8
        states[lane] = ((x // f) << SCALE_BITS) + (x % f) + c_list[s]
    out.reverse()
    return header + struct.pack("<4I", *states) + struct.pack("<I", len(out)) + bytes(out)


def decode(payload: bytes, size: int) -> bytes:
    """Decode `size` bytes from a payload written by encode() (the engine's algorithm)."""
    mv = memoryview(payload)
    if len(mv) < 4:
        raise CodecError("payload shorter than its header")
    version, scale, nsym = struct.unpack_from("<BBH", mv, 0)
    if version != VERSION or scale != SCALE_BITS or not 1 <= nsym <= 256:
        raise CodecError(f"unknown coding (version {version}, scale {scale}, {nsym} symbols)")
    pos = 4
    if nsym < 32:
        symbols = list(mv[pos:pos + nsym])
        pos += nsym
    else:
        bits = np.unpackbits(np.frombuffer(mv[pos:pos + 32], np.uint8), bitorder="little")
        symbols = np.flatnonzero(bits).tolist()
        pos += 32
    if len(symbols) != nsym or sorted(set(symbols)) != symbols:
        raise CodecError("bad symbol table")
    freq = np.zeros(256, np.int64)
    for s in symbols:
        if pos >= len(mv):
            raise CodecError("payload shorter than its symbol table")
        f = mv[pos]
        pos += 1
        if f & 0x80:
            if pos >= len(mv):
                raise CodecError("payload shorter than its symbol table")
            f = (f & 0x7F) | (mv[pos] << 7)
            pos += 1
        if f == 0:
            raise CodecError("bad symbol table")
        freq[s] = f
    table_end = pos + (-pos % 4)
    if table_end + 20 > len(mv):
        raise CodecError("payload shorter than its symbol table")
    if int(freq.sum()) != 1 << SCALE_BITS:
        raise CodecError("symbol frequencies do not sum to the scale")
    cum = np.concatenate([[0], np.cumsum(freq)[:-1]])
    slot = np.repeat(np.arange(256), freq)  # slot -> symbol
    states = list(struct.unpack_from("<4I", mv, table_end))
    (nbytes,) = struct.unpack_from("<I", mv, table_end + 16)
    stream = bytes(mv[table_end + 20:])
    if len(stream) != nbytes:
        raise CodecError("stream length does not match the payload")
    mask = (1 << SCALE_BITS) - 1
    f_list, c_list, slots = freq.tolist(), cum.tolist(), slot.tolist()
    out = bytearray(size)
    p = 0
    for i in range(size):
        lane = i % LANES
        x = states[lane]
        s = slots[x & mask]
        out[i] = s
        x = f_list[s] * (x >> SCALE_BITS) + (x & mask) - c_list[s]
        while x < RANS_L:
            if p >= nbytes:
                raise CodecError("stream ends early")
            x = (x << 8) | stream[p]
            p += 1
        states[lane] = x
    if p != nbytes or any(x != RANS_L for x in states):
        raise CodecError("stream does not end where the tensor does (corrupt data)")
    return bytes(out)


def entropy_bits(data: np.ndarray) -> float:
    """Shannon entropy of the bytes of `data`, in bits per byte (the coding's lower bound)."""
    counts = np.bincount(np.frombuffer(data.tobytes(), np.uint8), minlength=256)
    p = counts[counts > 0] / counts.sum()
    return float(-(p * np.log2(p)).sum())
