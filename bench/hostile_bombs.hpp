// The FLAC-bomb load of bench_hostile (issue 25 item 7): curators on other addresses
// (127.0.0.6 ...) upload, over and over, a ~1 MiB FLAC of 26 hours of silence made with sox
// (refused from its header) and a file just under the 3 h limit (accepted with replace=1,
// then decoded whole on the room's background thread), each in the room's 768 KiB chunks.
#pragma once

#include "../tests/integration/raw_http.hpp"

#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

namespace stillroom::bench {

struct BombCounts {
    std::atomic<long> refused{0};   // the bomb, 422
    std::atomic<long> accepted{0};  // the long file, 201 (decoded in the background)
    std::atomic<long> throttled{0}; // 429: the room saves a few files a second (sent again)
    std::atomic<long> other{0};     // anything else (a failure of the load)
};

inline std::string slurp(const std::filesystem::path& p) {
    std::ifstream in(p, std::ios::binary);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
}

// Makes the two files with sox (digital silence, no dither: constant FLAC blocks). False
// when sox fails.
inline bool make_bombs(const std::filesystem::path& dir, std::string* bomb, std::string* long_ok) {
    std::filesystem::create_directories(dir);
    const std::string b = (dir / "bomb.flac").string(), l = (dir / "long.flac").string();
    const std::string sox = "sox -D -n -r 4000 -c 1 -b 16 ";
    if (std::system((sox + "'" + b + "' trim 0 26:00:00 2>/dev/null").c_str()) != 0 ||
        std::system((sox + "'" + l + "' trim 0 2:50:00 2>/dev/null").c_str()) != 0)
        return false;
    *bomb = slurp(b);
    *long_ok = slurp(l);
    return !bomb->empty() && !long_ok->empty();
}

// One upload in chunks; the status of the last request.
inline int upload(const std::string& source_ip, int port, const std::string& auth,
                  const std::string& path, const std::string& bytes) {
    constexpr std::size_t kChunk = 768 * 1024;
    int status = 0;
    for (std::size_t at = 0; at < bytes.size(); at += kChunk) {
        const std::size_t n = std::min(kChunk, bytes.size() - at);
        const std::string range = "Content-Range: bytes " + std::to_string(at) + "-" +
                                  std::to_string(at + n - 1) + "/" + std::to_string(bytes.size()) +
                                  "\r\n";
        status = test::raw_request(source_ip, port, "PUT", path,
                                   auth + "Content-Type: application/octet-stream\r\n" + range,
                                   bytes.substr(at, n), 30'000)
                     .status;
        if (status != 202) break;
    }
    return status;
}

// Uploads the bomb and the long file, in turn, until `stop`.
inline void bomb_uploader(int port, const std::string& auth, int k, const std::string& bomb,
                          const std::string& long_ok, const std::atomic<bool>& stop,
                          BombCounts& counts) {
    const std::string ip = "127.0.0." + std::to_string(6 + k % 4);
    const std::string name = "audio/b" + std::to_string(k);
    while (!stop) {
        // An attacker does not wait: a 429 (the room's save rate) is counted and the upload
        // started again at once.
        const int a = upload(ip, port, auth, "/api/v1/audio/files/" + name + "-bomb.flac", bomb);
        (a == 422 ? counts.refused : a == 429 ? counts.throttled : counts.other)++;
        if (stop) break;
        const int b =
            upload(ip, port, auth, "/api/v1/audio/files/" + name + "-long.flac?replace=1", long_ok);
        (b == 201 ? counts.accepted : b == 429 ? counts.throttled : counts.other)++;
    }
}

} // namespace stillroom::bench
