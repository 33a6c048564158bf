// Decoder of rANS-coded constant tensors (.sdkm encoding 1; the encoder and the format are
// in sdkbuild/codec.py and docs/sdkm-format.md). Runs once per coded tensor at load.
#pragma once

#include <stddef.h>
#include <stdint.h>

namespace sdk {

// Decodes exactly `out_size` bytes from `payload[0, size)` into `out`. Returns nullptr on
// success, else a static message naming what is wrong (every read is bounds-checked and
// the stream must end exactly where the tensor does, so corrupt data is always detected).
const char* rans_decode(const uint8_t* payload, size_t size, uint8_t* out, size_t out_size);

}  // namespace sdk
