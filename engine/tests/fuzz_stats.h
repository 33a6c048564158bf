// Outcome counters of the fuzz target (fuzz_load_run.cpp), printed by fuzz_replay.
#pragma once

struct FuzzStats {
    long inputs, load_refused, session_refused, ran, run_refused;
    long by_status[8];  // failed calls by sdk_status (a run's refused second run included)
};
extern FuzzStats g_fuzz_stats;
