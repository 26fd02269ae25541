// Small helpers shared by the integration tests: files and bounded waiting.
#pragma once

#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>

namespace stillroom::test {

inline void write_text(const std::filesystem::path& p, const std::string& text) {
    std::filesystem::create_directories(p.parent_path());
    std::ofstream(p) << text;
}

inline std::string read_text(const std::filesystem::path& p) {
    std::ifstream in(p, std::ios::binary);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
}

// Polls `pred` every 100 ms, at most `tenths` times: integration tests never wait unbounded.
template <class Pred> bool eventually(Pred pred, int tenths) {
    for (int i = 0; i < tenths; ++i) {
        if (pred()) return true;
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    return pred();
}

} // namespace stillroom::test
