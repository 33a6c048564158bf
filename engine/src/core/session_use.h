// The session's thread-safety contract (engine.h, "Threading"): one thread at a time inside
// the C API calls on a session. Each call holds the session's in-use flag for its duration
// (api.cpp: session_call takes it with session_enter and releases it on return); a call from
// another thread meanwhile is refused with SDK_ERR_STATE instead of running on the same
// arena, scratch and thread pool (which gave wrong outputs and data races). One atomic
// exchange per call; no lock is waited on.
#pragma once

#include "core/session.h"

namespace sdk {

// session.cpp: takes the flag; false (SDK_ERR_STATE set, naming sdk_<fn>) when another
// thread holds it.
bool session_enter(Session* s, const char* fn);

}  // namespace sdk
