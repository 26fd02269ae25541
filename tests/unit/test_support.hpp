// Small helpers shared by the unit tests: problem lookup, a bounded wait, minute literals.
#pragma once

#include "engine/problems.hpp"
#include "engine/time.hpp"

#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>

namespace stillroom::test {

// True when a problem at exactly `path` mentions `fragment`.
inline bool has_problem(const Problems& p, const std::string& path, const std::string& fragment) {
    for (const auto& pr : p.list())
        if (pr.path == path && pr.message.find(fragment) != std::string::npos) return true;
    return false;
}

// Waits (bounded: at most 2 s) for a condition another thread makes true.
template <class Pred> bool soon(Pred p) {
    for (int i = 0; i < 400 && !p(); ++i)
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    return p();
}

// A whole file's bytes ("" when it cannot be read).
inline std::string read_bytes(const std::filesystem::path& p) {
    std::ifstream in(p, std::ios::binary);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
}

// Creates a small file (and its folders) where a playlist expects one.
inline void touch(const std::filesystem::path& p) {
    std::filesystem::create_directories(p.parent_path());
    std::ofstream(p) << "x";
}

inline Ms mins(int m) {
    return std::chrono::minutes{m};
}

} // namespace stillroom::test
