// The library's version: a digest of its playlists, scenes and session templates.
#include "library/library.hpp"

#include <sodium.h>

#include <algorithm>
#include <fstream>
#include <sstream>
#include <vector>

namespace stillroom {

std::string library_version(const std::filesystem::path& dir) {
    namespace fs = std::filesystem;
    if (sodium_init() < 0) return "";
    crypto_generichash_state state;
    crypto_generichash_init(&state, nullptr, 0, 8);
    for (const char* folder : {"playlists", "scenes", "sessions"}) {
        std::vector<fs::path> files;
        std::error_code ec;
        for (const auto& e : fs::directory_iterator(dir / folder, ec))
            if (e.path().extension() == ".json" && e.is_regular_file(ec)) files.push_back(e.path());
        std::sort(files.begin(), files.end());
        for (const auto& f : files) {
            const std::string name = std::string(folder) + "/" + f.filename().string() + '\0';
            std::ifstream in(f, std::ios::binary);
            std::stringstream s;
            s << in.rdbuf();
            const std::string text = s.str();
            const std::string size = std::to_string(text.size()) + '\0';
            crypto_generichash_update(&state, reinterpret_cast<const unsigned char*>(name.data()),
                                      name.size());
            crypto_generichash_update(&state, reinterpret_cast<const unsigned char*>(size.data()),
                                      size.size());
            crypto_generichash_update(&state, reinterpret_cast<const unsigned char*>(text.data()),
                                      text.size());
        }
    }
    unsigned char digest[8];
    crypto_generichash_final(&state, digest, sizeof digest);
    static const char* hex = "0123456789abcdef";
    std::string out;
    for (unsigned char b : digest) {
        out += hex[b >> 4];
        out += hex[b & 15];
    }
    return out;
}

} // namespace stillroom
