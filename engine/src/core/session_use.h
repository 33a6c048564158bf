// The session's thread-safety contract (engine.h, "Threading"): one thread at a time inside
// the C API calls on a session. Each call holds the session's in-use flag for its
// duration; a call from another thread meanwhile is refused with SDK_ERR_STATE instead of
// running on the same arena, scratch and thread pool (which gave wrong outputs and data
// races). One atomic exchange per call; no lock is waited on.
#pragma once

#include "core/session.h"

namespace sdk {

// session.cpp: takes the flag; false (SDK_ERR_STATE set, naming fn) when another thread
// holds it.
bool session_enter(Session* s, const char* fn);

// Holds the flag for a C API call's scope.
struct SessionUse {
    Session* s;  // nullptr when not held (a NULL session: the call's own check reports it)
    bool busy;   // refused: another thread is inside a call on this session

    SessionUse(void* handle, const char* fn) : s(static_cast<Session*>(handle)), busy(false) {
        if (s && !session_enter(s, fn)) {
            s = nullptr;
            busy = true;
        }
    }
    ~SessionUse() {
        if (s) __atomic_store_n(&s->in_use, 0, __ATOMIC_RELEASE);
    }
    SessionUse(const SessionUse&) = delete;
    SessionUse& operator=(const SessionUse&) = delete;
};

}  // namespace sdk
