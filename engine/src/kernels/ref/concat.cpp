// Concat copy (any dtype): for each outer step, each input's chunk in turn.
#include <string.h>

#include "kernels/ref/move.h"

namespace sdk {
namespace ref {

void concat_copy(int num_inputs, const void* const* inputs, const int64_t* chunk_bytes, int64_t outer, void* y) {
    char* out = static_cast<char*>(y);
    for (int64_t o = 0; o < outer; ++o) {
        for (int i = 0; i < num_inputs; ++i) {
            const size_t n = (size_t)chunk_bytes[i];
            memcpy(out, static_cast<const char*>(inputs[i]) + o * chunk_bytes[i], n);
            out += n;
        }
    }
}

}  // namespace ref
}  // namespace sdk
