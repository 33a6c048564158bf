// .sdkm loader and verifier (docs/sdkm-format.md; sdkbuild/sdkm.py is the reference).
//
// Every offset, size, index, string reference, rank, dim, dtype and the CRC are checked
// before anything is dereferenced, so a hostile file yields SDK_ERR_BAD_MODEL with a
// message naming the problem, never a crash. Then each node's op is looked up (a missing
// op is SDK_ERR_UNSUPPORTED) and prepared (ops check shapes and attributes), and the
// memory planner runs.
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>

#include "core/alloc.h"
#include "core/model.h"
#if SDK_FEATURE_CODED
#include "core/rans.h"
#endif
#include "core/status.h"

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "the .sdkm loader assumes a little-endian target"
#endif

namespace sdk {

namespace {

constexpr uint32_t kHeaderSize = 32;
constexpr uint32_t kSectionSize = 24;
constexpr uint32_t kTensorRec = 64;
constexpr uint32_t kNodeRec = 24;
constexpr uint32_t kAttrRec = 16;
constexpr uint32_t kGraphRec = 24;
constexpr uint32_t kQuantRec = 16;
constexpr uint32_t kNoQuant = 0xFFFFFFFFu;
constexpr uint32_t kEncodingRans = 1;  // TensorRec encoding: 0 raw, 1 rANS-coded (core/rans.h)
constexpr int kNumKinds = 11;  // kinds 1..10

enum Kind { S_STRINGS = 1, S_TENSORS, S_NODES, S_INDICES, S_ATTRS, S_BLOB, S_GRAPH, S_CONST, S_META, S_QUANT };
// Fixed-width names, not a pointer table: no relocations (and no .data.rel.ro section).
const char kKindNames[kNumKinds][8] = {"?",    "STRINGS", "TENSORS", "NODES", "INDICES", "ATTRS",
                                       "BLOB", "GRAPH",   "CONST",   "META",  "QUANT"};

// A tensor may not exceed 2 GiB - 1 (keeps all size arithmetic far from overflow, also on
// 32-bit targets, and lets kernels index elements with int32).
constexpr uint64_t kMaxTensorBytes = 0x7FFFFFFFu;

inline uint16_t rd16(const uint8_t* p) { uint16_t v; memcpy(&v, p, 2); return v; }
inline uint32_t rd32(const uint8_t* p) { uint32_t v; memcpy(&v, p, 4); return v; }
inline int32_t rdi32(const uint8_t* p) { int32_t v; memcpy(&v, p, 4); return v; }
inline uint64_t rd64(const uint8_t* p) { uint64_t v; memcpy(&v, p, 8); return v; }

uint32_t crc32_ieee(const uint8_t* p, size_t n) {
    uint32_t crc = 0xFFFFFFFFu;
    // builds with ops (whose models carry megabytes of weights) have a fast loop
    // (kernels/ref/common.cpp); the op-less engine goes bit by bit (no table to build or keep)
    if (kCrc32Update) return kCrc32Update(crc, p, n) ^ 0xFFFFFFFFu;
    for (size_t i = 0; i < n; ++i) {
        crc ^= p[i];
        for (int k = 0; k < 8; ++k) crc = (crc >> 1) ^ (0xEDB88320u & (0u - (crc & 1)));
    }
    return crc ^ 0xFFFFFFFFu;
}

struct Section {
    const uint8_t* data;
    uint64_t size;
    bool present;
};

// Messages name the record and the problem; load_model() prefixes "invalid .sdkm model: "
// once, and the per-record loops prefix the record ("tensor 'x': ", "node 'n': "), so the
// formats here stay short and shared.
#define bad(...) set_error(SDK_ERR_BAD_MODEL, __VA_ARGS__)
#define bad_ref(record, i, field) bad("%s %d: %s string reference out of range", record, static_cast<int>(i), field)
// The rANS decoder is optional (meson option `coded`): `sdkbuild build` compiles it only when
// one of the SDK's models is coded. Without it a coded model is refused before any of its
// coded data is read, naming the fix.
#define no_decoder()                                                                            \
    set_error(SDK_ERR_UNSUPPORTED, "the model is rANS-coded (this engine has no decoder): rebuild " \
                                   "the SDK with the model in its [models] files")

struct Loader {
    Model* m;
    Section sec[kNumKinds];
    uint64_t total_io;  // node IO entries so far
    const char* missing[16];  // op types this build lacks (ops_and_prepare)
    PrepareContext ctx;       // the node being prepared (heap, not stack: no canary)

    // A string ref must point inside STRINGS; header() checked that STRINGS ends with a
    // NUL, so every string inside it is terminated.
    // (Pointers returned, not written through out-parameters: address-taken locals would
    // give their callers stack-protector canaries.) nullptr when out of range.
    const char* string(uint32_t ref) {
        const Section& s = sec[S_STRINGS];
        return ref < s.size ? reinterpret_cast<const char*>(s.data + ref) : nullptr;
    }

    const void* blob_range(uint32_t off, uint64_t count) {  // count 4-byte values
        const Section& b = sec[S_BLOB];
        if (off % 4 != 0 || off > b.size || count > (b.size - off) / 4) return nullptr;
        return b.data + off;
    }

    // [first, first + count) must lie inside INDICES.
    sdk_status index_range(uint64_t first, uint64_t count, const char* what) {
        if (first + count > sec[S_INDICES].size / 4)
            return bad("%s [%llu, +%llu) lie outside INDICES", what, static_cast<unsigned long long>(first),
                       static_cast<unsigned long long>(count));
        return SDK_OK;
    }

    // A tensor index read from INDICES (what: "input 0"...).
    sdk_status tensor_index(int32_t t, const char* what, uint32_t k) {
        if (t < 0 || t >= m->num_tensors) return bad("%s %u: tensor index %d out of range", what, k, t);
        return SDK_OK;
    }

#if SDK_FEATURE_CODED
    // Model-lifetime memory for decoded constants (freed with the model), 64-byte aligned,
    // charged to the model's memory limit first (a coded section may claim ~2048x its size):
    // nullptr with the limit's message set, or with no message on OOM.
    void* model_alloc(size_t bytes) {
        if (model_charge(m, bytes, "decoded data") != SDK_OK) return nullptr;
        void* p = aligned_alloc64(bytes);
        if (!p) return nullptr;
        alloc_next(p) = m->allocs;
        m->allocs = p;
        return p;
    }

    // A rANS-coded section (u64 decoded size, then the coded data) is decoded into model
    // memory; everything after reads the decoded bytes.
    sdk_status decode_section(uint32_t kind) {
        Section& s = sec[kind];
        if (s.size < 8) return bad("coded section %s is shorter than its size field", kKindNames[kind]);
        const uint64_t raw = rd64(s.data);
        // order-0 rANS cannot code a byte in less than ~1/2048 bit: a bigger claim is corrupt
        if (raw > (s.size - 8) * 2048 + 64 || raw > kMaxTensorBytes)
            return bad("coded section %s claims %llu bytes", kKindNames[kind], static_cast<unsigned long long>(raw));
        uint8_t* dst = static_cast<uint8_t*>(model_alloc(static_cast<size_t>(raw)));
        if (!dst)
            return last_error()[0] ? SDK_ERR_OUT_OF_MEMORY
                                   : set_error(SDK_ERR_OUT_OF_MEMORY, "out of memory decoding section %s",
                                               kKindNames[kind]);
        if (const char* why = rans_decode(s.data + 8, static_cast<size_t>(s.size - 8), dst, static_cast<size_t>(raw)))
            return bad("coded section %s: %s", kKindNames[kind], why);
        s = Section{dst, raw, true};
        return SDK_OK;
    }

#endif

    sdk_status header(const uint8_t* d, size_t size);
    sdk_status quants();
    sdk_status tensor(int32_t i);
    sdk_status attrs();
    sdk_status node(int32_t i, int32_t* producer);
    sdk_status graph_list(const int32_t* list, uint32_t count, bool output, int32_t* producer);
    sdk_status graph_and_nodes();
    sdk_status ops_and_prepare();
};

sdk_status Loader::header(const uint8_t* d, size_t size) {
    if (size < kHeaderSize)
        return bad("file is %zu bytes, shorter than a header (truncated?)", size);
    if (memcmp(d, "SDKE", 4) == 0)
        return bad("the model is encrypted: load it with its key through the SDK's API");
    if (memcmp(d, "SDKM", 4) != 0) return bad("not a .sdkm file (bad magic)");
    uint16_t major = rd16(d + 4);
    if (major != 1) return bad("format version %u is not supported (only 1 is)", major);
    uint32_t nsec = rd32(d + 12);
    uint64_t fsize = rd64(d + 16);
    if (fsize != size)
        return bad("header says %llu bytes, the file has %zu (truncated or padded)",
                   static_cast<unsigned long long>(fsize), size);
    if (nsec < 1 || nsec > 64 || kHeaderSize + uint64_t(nsec) * kSectionSize > size)
        return bad("bad section count %u", nsec);
    if (crc32_ieee(d + kHeaderSize, size - kHeaderSize) != rd32(d + 24))
        return bad("CRC-32 mismatch: the file is corrupted");

    const uint64_t table_end = kHeaderSize + uint64_t(nsec) * kSectionSize;
    for (uint32_t i = 0; i < nsec; ++i) {
        const uint8_t* r = d + kHeaderSize + i * kSectionSize;
        uint32_t kind = rd32(r);
        uint64_t off = rd64(r + 8), sz = rd64(r + 16);
        if (off < table_end || off > size || sz > size - off)
            return bad("section %u (kind %u) lies outside the file", i, kind);
        uint32_t align = kind == S_CONST ? 64 : 8;
        if (off % align != 0) return bad("section %u (kind %u) is not %u-byte aligned", i, kind, align);
        for (uint32_t j = 0; j < i; ++j) {  // earlier entries were checked: re-read them
            const uint8_t* o = d + kHeaderSize + j * kSectionSize;
            uint64_t ooff = rd64(o + 8), oend = ooff + rd64(o + 16);
            if (sz > 0 && oend > ooff && off < oend && ooff < off + sz) return bad("sections %u and %u overlap", j, i);
        }
        const uint32_t encoding = rd32(r + 4);
        if (kind >= 1 && kind < kNumKinds) {
            if (sec[kind].present) return bad("section %s appears twice", kKindNames[kind]);
            sec[kind] = Section{d + off, sz, true};
            if (encoding == kEncodingRans && kind != S_CONST) {
#if SDK_FEATURE_CODED
                sdk_status st = decode_section(kind);
                if (st != SDK_OK) return st;
#else
                return no_decoder();
#endif
            } else if (encoding != 0) {
                return bad("section %s: unknown encoding %u", kKindNames[kind], encoding);
            }
        }
        // Unknown kinds are skipped: a newer minor version may add optional sections.
    }
    // Per kind: required (rec with the high bit), record size.
    static const uint8_t kRec[kNumKinds] = {0, 0x81, 0x80 | kTensorRec, 0x80 | kNodeRec, 0x84, kAttrRec, 0,
                                            0x80,  0,    0,                  kQuantRec};
    for (int k = 1; k < kNumKinds; ++k) {
        const uint32_t rec = kRec[k] & 0x7F;
        if ((kRec[k] & 0x80) && !sec[k].present) return bad("required section %s is missing", kKindNames[k]);
        if (rec > 1 && sec[k].size % rec != 0)
            return bad("section %s is not a multiple of %u bytes", kKindNames[k], rec);
        if (rec > 1 && sec[k].size / rec > 0x7FFFFFFF) return bad("section %s has too many records", kKindNames[k]);
    }
    if (sec[S_GRAPH].size < kGraphRec) return bad("section GRAPH is too short");
    if (sec[S_STRINGS].size > 0 && sec[S_STRINGS].data[sec[S_STRINGS].size - 1] != 0)
        return bad("section STRINGS does not end with a NUL");
    return SDK_OK;
}

sdk_status Loader::quants() {
    const Section& q = sec[S_QUANT];
    m->num_quants = static_cast<uint32_t>(q.size / kQuantRec);
    m->quants = alloc_array<QuantParams>(m->num_quants);
    if (!m->quants) return SDK_ERR_OUT_OF_MEMORY;
    for (uint32_t i = 0; i < m->num_quants; ++i) {
        const uint8_t* r = q.data + i * kQuantRec;
        QuantParams& p = m->quants[i];
        p.axis = rdi32(r);
        p.count = rd32(r + 4);
        const void* sc = blob_range(rd32(r + 8), p.count);
        const void* zp = blob_range(rd32(r + 12), p.count);
        sdk_status st = SDK_OK;
        if (p.axis < -1 || p.axis >= kMaxRank) {
            st = bad("bad axis %d", p.axis);
        } else if (p.count < 1 || (p.axis == -1 && p.count != 1)) {
            st = bad("count %u does not fit axis %d", p.count, p.axis);
        } else if (!sc || !zp) {
            st = bad("scales or zero points lie outside the BLOB section");
        } else {
            p.scales = static_cast<const float*>(sc);
            p.zero_points = static_cast<const int32_t*>(zp);
            for (uint32_t c = 0; c < p.count && st == SDK_OK; ++c)
                if (!(p.scales[c] > 0.0f) || p.scales[c] > 3.0e38f)
                    st = bad("scale %g is not a positive number", p.scales[c]);
        }
        if (st != SDK_OK) {
            prefix_error("quantization record %u: ", i);
            return st;
        }
    }
    return SDK_OK;
}

sdk_status Loader::tensor(int32_t i) {
    const Section& c = sec[S_CONST];
    const uint8_t* r = sec[S_TENSORS].data + uint64_t(i) * kTensorRec;
    Tensor& x = m->tensors[i];
    if (!(x.name = string(rd32(r)))) return bad_ref("tensor", i, "name");
    uint8_t dt = r[4], rank = r[5];
    uint16_t flags = rd16(r + 6);
    if (dt < 1 || dt > kMaxDType) return bad("unknown dtype %u", dt);
    if (rank > kMaxRank) return bad("rank %u exceeds the maximum %d", rank, kMaxRank);
    if (flags & ~7u) return bad("unknown flags 0x%x", flags);
    x.dtype = static_cast<DType>(dt);
    x.flags = flags;
    x.shape.rank = rank;
    uint64_t bytes = dtype_size(x.dtype);
    for (int k = 0; k < kMaxRank; ++k) {
        int32_t d = rdi32(r + 8 + 4 * k);
        if (k < rank ? d < 1 : d != 0)
            return bad("%sdimension %d is %d (must be %s)", k < rank ? "" : "unused ", k, d, k < rank ? ">= 1" : "0");
        if (k < rank) bytes *= static_cast<uint64_t>(d);
        if (bytes > kMaxTensorBytes) return bad("too large (over 2 GiB)");
        x.shape.dims[k] = d;
    }
#if SDK_FEATURE_STORAGE
    if (const int bits = dtype_subbits(x.dtype)) bytes = (bytes * bits + 7) / 8;  // packed
#endif
    x.bytes = static_cast<size_t>(bytes);
    uint64_t doff = rd64(r + 32), dsize = rd64(r + 40);
    const uint32_t encoding = rd32(r + 52);
    if (encoding > kEncodingRans) return bad("unknown data encoding %u", encoding);
    if (rd32(r + 56) != 0 || rd32(r + 60) != 0) return bad("reserved fields are not zero");
    if (flags & kTensorConstant) {
        if (flags & (kTensorGraphInput | kTensorGraphOutput)) return bad("a constant is a graph input/output");
        if (encoding == kEncodingRans) {
#if !SDK_FEATURE_CODED
            return no_decoder();
#else
            if (doff % 4 != 0) return bad("coded constant data offset is not 4-byte aligned");
            if (doff > c.size || dsize > c.size - doff) return bad("constant data lies outside the CONST section");
            uint8_t* dst = static_cast<uint8_t*>(model_alloc(x.bytes));
            if (!dst && last_error()[0]) return SDK_ERR_OUT_OF_MEMORY;  // over the model's memory limit
            if (!dst) return set_error(SDK_ERR_OUT_OF_MEMORY, "out of memory decoding %llu bytes",
                                       static_cast<unsigned long long>(bytes));
            if (const char* why = rans_decode(c.data + doff, static_cast<size_t>(dsize), dst, x.bytes))
                return bad("coded constant data: %s", why);
            x.const_data = dst;
            m->coded_bytes += static_cast<size_t>(dsize);
#endif
        } else {
            if (dsize != bytes)
                return bad("constant data is %llu bytes, its shape needs %llu", static_cast<unsigned long long>(dsize),
                           static_cast<unsigned long long>(bytes));
            if (doff % 64 != 0) return bad("constant data offset is not 64-byte aligned");
            if (doff > c.size || dsize > c.size - doff) return bad("constant data lies outside the CONST section");
            x.const_data = c.data + doff;
        }
        m->weights_bytes += x.bytes;
    } else if (dsize != 0 || doff != 0 || encoding != 0) {
        return bad("it is not constant but has constant data");
    }
    uint32_t q = rd32(r + 48);
    if (q != kNoQuant) {
        if (q >= m->num_quants) return bad("quantization index %u out of range", q);
        const QuantParams& p = m->quants[q];
        if (p.axis >= 0 && (p.axis >= rank || static_cast<uint32_t>(x.shape.dims[p.axis]) != p.count))
            return bad("quantization axis %d / count %u does not match the shape", p.axis, p.count);
        // kernels add and subtract zero points in int32: they must be values of the dtype
        const bool u8 = x.dtype == DType::U8;
        if (u8 || x.dtype == DType::I8)
            for (uint32_t c = 0; c < p.count; ++c)
                if (p.zero_points[c] < (u8 ? 0 : -128) || p.zero_points[c] > (u8 ? 255 : 127))
                    return bad("zero point %d is outside the %s range", p.zero_points[c], u8 ? "uint8" : "int8");
        x.quant = &p;
    }
#if !SDK_FEATURE_INT8
    if (x.dtype == DType::I8)
        return set_error(SDK_ERR_UNSUPPORTED,
                         "model uses int8 tensors (e.g. '%.64s') but this engine build has no int8 support "
                         "(rebuild with dtypes including int8)", x.name);
#endif
    return SDK_OK;
}

sdk_status Loader::attrs() {
    const Section& a = sec[S_ATTRS];
    m->num_attrs = static_cast<uint32_t>(a.size / kAttrRec);
    m->attrs = alloc_array<Attr>(m->num_attrs);
    if (!m->attrs) return SDK_ERR_OUT_OF_MEMORY;
    for (uint32_t i = 0; i < m->num_attrs; ++i) {
        const uint8_t* r = a.data + uint64_t(i) * kAttrRec;
        Attr& x = m->attrs[i];
        if (!(x.name = string(rd32(r)))) return bad_ref("attribute", i, "name");
        uint32_t type = rd32(r + 4);
        x.count = rd32(r + 8);
        uint32_t off = rd32(r + 12);
        sdk_status st = SDK_OK;
        if (type == kAttrString) {
            x.data = string(off);
            if (x.count != 1 || !x.data) st = bad("bad string value reference");
        } else if (type == kAttrInts || type == kAttrFloats) {
            if (!(x.data = blob_range(off, x.count)))
                st = bad("%u values lie outside the BLOB section", x.count);
        } else {
            st = bad("unknown type %u", type);
        }
        if (st != SDK_OK) {
            prefix_error("attribute '%.64s': ", x.name);
            return st;
        }
        x.type = static_cast<AttrType>(type);
    }
    return SDK_OK;
}

// producer[t]: 0 not yet produced, -1 graph input, else node index + 1 (zero = calloc's
// zeroes: no fill loop); producer[nt + t]: 1
// when listed as a graph output.
sdk_status Loader::node(int32_t i, int32_t* producer) {
    const int32_t* indices = reinterpret_cast<const int32_t*>(sec[S_INDICES].data);  // 8-aligned section
    const uint8_t* r = sec[S_NODES].data + uint64_t(i) * kNodeRec;
    Node& n = m->nodes[i];
    if (!(n.type = string(rd32(r)))) return bad_ref("node", i, "op type");
    if (!(n.name = string(rd32(r + 4)))) return bad_ref("node", i, "name");
    if (!n.name[0]) n.name = n.type;
    uint32_t ni = rd16(r + 8), no = rd16(r + 10), first = rd32(r + 12), fa = rd32(r + 16), na = rd32(r + 20);
    sdk_status st = index_range(first, ni + no, "inputs/outputs");
    if (st != SDK_OK) return st;
    if (uint64_t(fa) + na > m->num_attrs) return bad("attributes [%u, +%u) out of range", fa, na);
    if (no < 1) return bad("it has no outputs");
    n.inputs = indices + first;
    n.outputs = indices + first + ni;
    n.num_inputs = static_cast<int>(ni);
    n.num_outputs = static_cast<int>(no);
    n.attrs = m->attrs + fa;
    n.num_attrs = static_cast<int>(na);
    n.io_offset = static_cast<uint32_t>(total_io);
    total_io += ni + no;
    for (uint32_t k = 0; k < ni; ++k) {
        int32_t t = n.inputs[k];
        if (t == -1) continue;  // an absent optional input
        if ((st = tensor_index(t, "input", k)) != SDK_OK) return st;
        if (!(m->tensors[t].flags & kTensorConstant) && producer[t] == 0)
            return bad("input '%.64s' is used before any node produces it",
                       m->tensors[t].name);
    }
    for (uint32_t k = 0; k < no; ++k) {
        int32_t t = n.outputs[k];
        if ((st = tensor_index(t, "output", k)) != SDK_OK) return st;
        const Tensor& x = m->tensors[t];
        if ((x.flags & kTensorConstant) || producer[t] != 0)
            return bad("writes %s '%.64s'%s", x.flags & kTensorConstant ? "constant tensor"
                                              : producer[t] < 0         ? "graph input"
                                                                        : "tensor",
                       x.name, producer[t] > 0 ? ", which is produced twice" : "");
        producer[t] = i + 1;
    }
    return SDK_OK;
}

// The graph's input (before the nodes) or output list (after them); producer as for node().
// (linear checks: a hostile file may list millions of outputs)
sdk_status Loader::graph_list(const int32_t* list, uint32_t count, bool output, int32_t* producer) {
    const char* what = output ? "graph output" : "graph input";
    for (uint32_t i = 0; i < count; ++i) {
        const int32_t t = list[i];
        sdk_status st = tensor_index(t, what, i);
        if (st != SDK_OK) return st;
        const Tensor& x = m->tensors[t];
        int32_t& listed = producer[output ? m->num_tensors + t : t];
        if (output && producer[t] == 0) return bad("graph output '%.64s' is never produced", x.name);
        if (!(x.flags & (output ? kTensorGraphOutput : kTensorGraphInput)))
            return bad("%s '%.64s' lacks the GRAPH_%s flag", what, x.name, output ? "OUTPUT" : "INPUT");
        if (listed != 0) return bad("tensor '%.64s' is listed twice as a %s", x.name, what);
        listed = output ? 1 : -1;
    }
    return SDK_OK;
}

sdk_status Loader::graph_and_nodes() {
    const int32_t* indices = reinterpret_cast<const int32_t*>(sec[S_INDICES].data);
    const uint8_t* g = sec[S_GRAPH].data;
    if (!(m->name = string(rd32(g)))) return bad("graph name string reference out of range");
    uint32_t nin = rd32(g + 4), fin = rd32(g + 8), nout = rd32(g + 12), fout = rd32(g + 16);
    sdk_status st = index_range(fin, nin, "graph inputs");
    if (st == SDK_OK) st = index_range(fout, nout, "graph outputs");
    if (st != SDK_OK) return st;
    if (nout == 0) return bad("the graph has no outputs");
    m->inputs = indices + fin;
    m->num_inputs = static_cast<int32_t>(nin);
    m->outputs = indices + fout;
    m->num_outputs = static_cast<int32_t>(nout);

    const int32_t nt = m->num_tensors;
    const Section& ns = sec[S_NODES];
    m->num_nodes = static_cast<int32_t>(ns.size / kNodeRec);
    m->nodes = alloc_array<Node>(m->num_nodes);
    int32_t* producer = alloc_array<int32_t>(2 * static_cast<size_t>(nt));
    if (!m->nodes || !producer) {
        free(producer);
        return SDK_ERR_OUT_OF_MEMORY;
    }
    st = graph_list(m->inputs, nin, false, producer);
    for (int32_t i = 0; i < m->num_nodes && st == SDK_OK; ++i) {
        st = node(i, producer);
        if (st != SDK_OK && m->nodes[i].name) prefix_error("node '%.64s': ", m->nodes[i].name);
    }
    if (st == SDK_OK) st = graph_list(m->outputs, nout, true, producer);
    // The flags must agree with the graph's lists in the other direction too.
    for (int32_t t = 0; t < nt && st == SDK_OK; ++t) {
        const Tensor& x = m->tensors[t];
        const bool in = producer[t] < 0, out = producer[nt + t];
        if (((x.flags & kTensorGraphInput) != 0) != in || ((x.flags & kTensorGraphOutput) != 0) != out)
            st = bad("tensor '%.64s' is flagged GRAPH_%s but is not a graph %s", x.name,
                     in == !(x.flags & kTensorGraphInput) ? "INPUT" : "OUTPUT",
                     in == !(x.flags & kTensorGraphInput) ? "input" : "output");
    }
    free(producer);
    if (st != SDK_OK) return st;

    // nodes may share INDICES ranges, so the IO entries can outnumber the file's bytes
    if ((st = model_charge(m, total_io * sizeof(const Tensor*), "its node I/O table")) != SDK_OK) return st;
    m->num_io = static_cast<uint32_t>(total_io);
    m->io_tensors = alloc_array<const Tensor*>(total_io);
    if (!m->io_tensors) return SDK_ERR_OUT_OF_MEMORY;
    for (int32_t i = 0; i < m->num_nodes; ++i) {
        const Node& n = m->nodes[i];
        for (int k = 0; k < n.num_inputs + n.num_outputs; ++k) {
            int32_t t = n.inputs[k];  // outputs follow inputs in INDICES
            m->io_tensors[n.io_offset + k] = t >= 0 ? &m->tensors[t] : nullptr;
        }
    }
    return SDK_OK;
}

sdk_status Loader::ops_and_prepare() {
    // Name every op the build lacks at once, so the user can fix the op list in one go.
    constexpr int kMaxListed = sizeof missing / sizeof missing[0];
    int nmissing = 0;
    for (int32_t i = 0; i < m->num_nodes; ++i) {
        Node& n = m->nodes[i];
        n.op = find_op(n.type);
        int k = 0;  // listed already? (at most kMaxListed compares: linear in the node count)
        while (!n.op && k < nmissing && !str_eq(missing[k], n.type)) ++k;
        if (!n.op && k == nmissing && nmissing < kMaxListed) missing[nmissing++] = n.type;
    }
    if (nmissing) {
        set_error(SDK_ERR_UNSUPPORTED, "model uses op%s ", nmissing > 1 ? "s" : "");
        for (int i = 0; i < nmissing; ++i) append_error(i ? ", '" : "'", missing[i], "'");
        append_error(" which this engine build does not include (compiled: ", kRegisteredOpCount ? "" : "no ops", "");
        for (int i = 0; i < kRegisteredOpCount; ++i) append_error(i ? ", " : "", kRegisteredOps[i]->type, "");
        append_error("); rebuild the engine with ", nmissing > 1 ? "them" : "it", " in its op list");
        return SDK_ERR_UNSUPPORTED;
    }
    for (int32_t i = 0; i < m->num_nodes; ++i) {
        Node& n = m->nodes[i];
        ctx = PrepareContext{m, &n};
#if SDK_FEATURE_STORAGE
        if (!str_eq(n.type, "Cast")) {  // storage types are held and converted, never computed with
            for (int k = 0; k < n.num_inputs + n.num_outputs; ++k) {
                const Tensor* x = m->io_tensors[n.io_offset + k];
                if (x && is_storage(x->dtype))
                    return set_error(SDK_ERR_UNSUPPORTED, "node '%s' (%s): tensor '%s' has a storage dtype (%d), "
                                     "which only Cast takes", n.name, n.type, x->name, static_cast<int>(x->dtype));
            }
        }
#endif
        sdk_status st = n.op->prepare(ctx);
        if (st != SDK_OK) return st;
        if (!n.op->run && !(n.op->flags & kOpAlias))
            return set_error(SDK_ERR_INTERNAL, "op '%s' has no run function", n.type);
        if (n.scratch_bytes > m->scratch_bytes) m->scratch_bytes = n.scratch_bytes;
        if (n.thread_scratch_bytes > SIZE_MAX / 128 || n.scratch_bytes > SIZE_MAX / 2)
            return set_error(SDK_ERR_OUT_OF_MEMORY, "node '%s' (%s): too much scratch memory", n.name, n.type);
        if (align_up(n.thread_scratch_bytes) > m->thread_scratch_bytes) m->thread_scratch_bytes = align_up(n.thread_scratch_bytes);
    }
    return SDK_OK;
}

}  // namespace

const OpDef* find_op(const char* type) {
    for (int i = 0; i < kRegisteredOpCount; ++i)
        if (str_eq(kRegisteredOps[i]->type, type)) return kRegisteredOps[i];
    return nullptr;
}

void free_model(Model* m) {
    if (!m) return;
    free_alloc_chain(m->allocs);
    free(m->tensors);
    free(m->quants);
    free(m->attrs);
    free(m->nodes);
    free(m->io_tensors);
    free(m->tensor_offset);  // tensor_const lives in the same block
    release_bytes(m->bytes, m->size, m->backing);
    free(m);
}

void release_bytes(const uint8_t* bytes, size_t size, Backing backing) {
    if (backing == Backing::kHeap) aligned_free(const_cast<uint8_t*>(bytes));
    else if (backing == Backing::kMapped && bytes) munmap(const_cast<uint8_t*>(bytes), size);
}

sdk_status model_limit_error(uint64_t need, size_t limit, const char* what) {
    return set_error(SDK_ERR_OUT_OF_MEMORY, SDK_LIMIT_FORMAT, "model", static_cast<unsigned long long>(need), what, limit,
                     "sdk_model_options.max_model_bytes");
}

sdk_status model_charge(Model* m, uint64_t bytes, const char* what) {
    // (max_bytes 0: a Model made by hand, e.g. by the kernel tests, has no limit)
    if (m->max_bytes && bytes > m->max_bytes - m->held_bytes) return model_limit_error(bytes, m->max_bytes, what);
    m->held_bytes += static_cast<size_t>(bytes);
    return SDK_OK;
}

sdk_status load_model(const uint8_t* bytes, size_t size, Backing backing, Model** out, size_t max_bytes) {
    *out = nullptr;
    // the model and its loader's state in one zeroed block (calloc: no memset import); the
    // model comes first, so freeing the model frees both
    struct ModelAndLoader {
        Model model;
        Loader loader;
    };
    ModelAndLoader* both = alloc_array<ModelAndLoader>(1);
    Model* m = both ? &both->model : nullptr;
    Loader* L = both ? &both->loader : nullptr;
    sdk_status st = m ? SDK_OK : SDK_ERR_OUT_OF_MEMORY;
    if (m) {
        m->name = "";
        m->bytes = bytes;
        m->size = size;
        m->backing = backing;
        m->max_bytes = max_bytes;
    } else {
        release_bytes(bytes, size, backing);
    }
    if (st == SDK_OK) {
        clear_error();
        L->m = m;
        // a heap copy of the file is the model's memory; a mapped file's pages are the system's
        // (clean, droppable) and borrowed bytes are the caller's
        if (backing == Backing::kHeap) st = model_charge(m, size, "the copy of the file");
        if (st == SDK_OK) st = L->header(bytes, size);
        // the per-record tables and the plan, sized by the section sizes
        const uint64_t nt = L->sec[S_TENSORS].size / kTensorRec;
        if (st == SDK_OK)
            st = model_charge(m,
                              nt * (sizeof(Tensor) + 2 * sizeof(size_t)) +
                                  L->sec[S_QUANT].size / kQuantRec * sizeof(QuantParams) +
                                  L->sec[S_ATTRS].size / kAttrRec * sizeof(Attr) +
                                  L->sec[S_NODES].size / kNodeRec * sizeof(Node),
                              "its tables");
        if (st == SDK_OK) st = L->quants();
        if (st == SDK_OK) {
            m->num_tensors = static_cast<int32_t>(L->sec[S_TENSORS].size / kTensorRec);
            m->tensors = alloc_array<Tensor>(m->num_tensors);
            if (!m->tensors) st = SDK_ERR_OUT_OF_MEMORY;
        }
        for (int32_t i = 0; st == SDK_OK && i < m->num_tensors; ++i) {
            st = L->tensor(i);
            if (st == SDK_ERR_BAD_MODEL && m->tensors[i].name) prefix_error("tensor '%.64s': ", m->tensors[i].name);
        }
        if (st == SDK_OK) st = L->attrs();
        if (st == SDK_OK) st = L->graph_and_nodes();
    }
    // the structural checks' OOM carries no message yet (a limit's does); their bad-model
    // messages get the prefix
    if (st == SDK_ERR_OUT_OF_MEMORY && !last_error()[0]) set_error(st, "out of memory loading the model");
    if (st == SDK_ERR_BAD_MODEL) prefix_error("invalid .sdkm model (convert it again): ");
    if (st == SDK_OK) st = L->ops_and_prepare();
    if (st == SDK_OK) st = plan_model(m);
#undef bad
    if (st != SDK_OK) {
        free_model(m);
        return st;
    }
    *out = m;
    return SDK_OK;
}

}  // namespace sdk
