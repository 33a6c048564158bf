// Runs saved inputs through the fuzz target's entry point (fuzz_load_run.cpp), for builds
// without libFuzzer (any compiler, release or sanitizer builds):
//     fuzz_replay FILE_OR_DIR...
// Directories are read one level deep, files in name order. Prints one summary line of
// JSON (the outcome counters); exits 0 when every input ran through (a crash, a sanitizer
// report with halt_on_error, or a broken contract aborts the process).
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <algorithm>
#include <string>
#include <vector>

#include "fuzz_stats.h"

extern "C" int LLVMFuzzerTestOneInput(const unsigned char* data, size_t size);


static bool read_file(const std::string& path, std::vector<unsigned char>* out) {
    FILE* f = fopen(path.c_str(), "rb");
    if (!f) return false;
    unsigned char buf[65536];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, f)) > 0) out->insert(out->end(), buf, buf + n);
    fclose(f);
    return true;
}

int main(int argc, char** argv) {
    std::vector<std::string> files;
    for (int i = 1; i < argc; ++i) {
        struct stat st;
        if (stat(argv[i], &st) != 0) {
            fprintf(stderr, "fuzz_replay: %s does not exist\n", argv[i]);
            return 2;
        }
        if (!S_ISDIR(st.st_mode)) {
            files.push_back(argv[i]);
            continue;
        }
        std::vector<std::string> here;
        if (DIR* d = opendir(argv[i])) {
            while (dirent* e = readdir(d)) {
                std::string p = std::string(argv[i]) + "/" + e->d_name;
                if (e->d_name[0] != '.' && stat(p.c_str(), &st) == 0 && S_ISREG(st.st_mode)) here.push_back(p);
            }
            closedir(d);
        }
        std::sort(here.begin(), here.end());
        files.insert(files.end(), here.begin(), here.end());
    }
    const bool verbose = getenv("FUZZ_REPLAY_VERBOSE") != nullptr;
    for (const std::string& f : files) {
        std::vector<unsigned char> data;
        if (!read_file(f, &data)) {
            fprintf(stderr, "fuzz_replay: cannot read %s\n", f.c_str());
            return 2;
        }
        if (verbose) fprintf(stderr, "%s\n", f.c_str());
        LLVMFuzzerTestOneInput(data.data(), data.size());
    }
    const FuzzStats& s = g_fuzz_stats;
    printf("{\"inputs\": %ld, \"load_refused\": %ld, \"session_refused\": %ld, \"ran\": %ld, \"run_refused\": %ld, "
           "\"errors_by_status\": {\"invalid_argument\": %ld, \"io\": %ld, \"bad_model\": %ld, \"unsupported\": %ld, "
           "\"out_of_memory\": %ld, \"state\": %ld}}\n",
           s.inputs, s.load_refused, s.session_refused, s.ran, s.run_refused, s.by_status[1], s.by_status[2],
           s.by_status[3], s.by_status[4], s.by_status[5], s.by_status[6]);
    return 0;
}
