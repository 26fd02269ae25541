// The curator's audio files: list, range-streamed preview, chunked upload.
#include "control/api_audio.hpp"

#include "playlists/sndfile.hpp"

#include <httplib.h>

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <fstream>
#include <vector>

namespace stillroom {

namespace fs = std::filesystem;

namespace {

struct AudioType {
    const char* ext;
    const char* mime;
};
constexpr std::array<AudioType, 11> kTypes{{{".flac", "audio/flac"},
                                            {".wav", "audio/wav"},
                                            {".ogg", "audio/ogg"},
                                            {".oga", "audio/ogg"},
                                            {".opus", "audio/ogg"},
                                            {".mp3", "audio/mpeg"},
                                            {".m4a", "audio/mp4"},
                                            {".aac", "audio/aac"},
                                            {".webm", "audio/webm"},
                                            {".aif", "audio/aiff"},
                                            {".aiff", "audio/aiff"}}};

const AudioType* audio_type(const fs::path& p) {
    std::string ext = p.extension().string();
    std::transform(ext.begin(), ext.end(), ext.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    for (const auto& t : kTypes)
        if (ext == t.ext) return &t;
    return nullptr;
}

bool inside(const fs::path& base, const fs::path& p) {
    auto b = base.begin(), i = p.begin();
    for (; b != base.end(); ++b, ++i)
        if (i == p.end() || *i != *b) return false;
    return true;
}

void reply(httplib::Response& res, int status, const Json& body) {
    res.status = status;
    res.set_header("Cache-Control", "no-store");
    res.set_content(dump_json(body), "application/json");
}

// Decodes the whole file: a truncated or damaged file fails here, not during a session.
std::optional<AudioFileInfo> check_audio(const fs::path& path, std::string* error) {
    auto f = open_audio(path, error);
    if (!f) return std::nullopt;
    const AudioFileInfo info = f->info();
    if (info.frames <= 0 || info.sample_rate <= 0 || info.channels <= 0) {
        *error = "the file holds no audio";
        return std::nullopt;
    }
    std::vector<float> buf(static_cast<std::size_t>(4096 * info.channels));
    std::int64_t total = 0;
    for (std::int64_t n; (n = f->read(buf.data(), 4096)) > 0;)
        total += n;
    if (total < info.frames) {
        *error = "the file ends early (" + std::to_string(total) + " of " +
                 std::to_string(info.frames) + " frames can be decoded)";
        return std::nullopt;
    }
    return info;
}

bool append_at(const fs::path& path, std::uintmax_t offset, const std::string& data) {
    const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0) return false;
    bool ok = ::ftruncate(fd, static_cast<off_t>(offset)) == 0 &&
              ::lseek(fd, static_cast<off_t>(offset), SEEK_SET) >= 0;
    for (std::size_t done = 0; ok && done < data.size();) {
        const auto n = ::write(fd, data.data() + done, data.size() - done);
        if (n <= 0)
            ok = false;
        else
            done += static_cast<std::size_t>(n);
    }
    ok = ok && ::fsync(fd) == 0;
    ::close(fd);
    return ok;
}

} // namespace

std::optional<fs::path> library_audio_path(const fs::path& library_dir, const std::string& relative,
                                           bool upload, std::string* error) {
    const fs::path rel(relative);
    if (relative.empty() || rel.is_absolute() || relative.find('\\') != std::string::npos ||
        relative.find('\0') != std::string::npos) {
        *error = "expected a path inside the library, like audio/onset-1.flac";
        return std::nullopt;
    }
    for (const auto& part : rel) {
        const std::string s = part.string();
        if (s.empty() || s[0] == '.') {
            *error = "a path may not contain \".\", \"..\" or hidden names";
            return std::nullopt;
        }
    }
    if (!audio_type(rel)) {
        *error = "expected an audio file (.flac, .wav, .ogg, .opus, .mp3, .m4a, .aac, .aiff)";
        return std::nullopt;
    }
    if (upload && *rel.begin() != "audio") {
        *error = "uploads go into the library's audio/ folder: audio/NAME";
        return std::nullopt;
    }
    std::error_code ec;
    const fs::path base = fs::weakly_canonical(library_dir, ec);
    const fs::path full = fs::weakly_canonical(library_dir / rel, ec);
    if (ec || !inside(base, full)) {
        *error = "the path leads outside the library";
        return std::nullopt;
    }
    return full;
}

Json list_library_audio(const fs::path& library_dir) {
    std::vector<fs::path> found;
    std::error_code ec;
    bool truncated = false;
    fs::recursive_directory_iterator it(library_dir, fs::directory_options::skip_permission_denied,
                                        ec),
        end;
    for (; !ec && it != end; it.increment(ec)) {
        const fs::path& p = it->path();
        if (p.filename().string().starts_with(".")) {
            if (it->is_directory(ec)) it.disable_recursion_pending();
            continue;
        }
        if (!it->is_regular_file(ec) || !audio_type(p)) continue;
        if (found.size() >= kMaxAudioListed) {
            truncated = true;
            break;
        }
        found.push_back(p.lexically_relative(library_dir));
    }
    std::sort(found.begin(), found.end());
    Json files = Json::array();
    for (const auto& rel : found) {
        Json j = {{"file", rel.generic_string()}, {"size", fs::file_size(library_dir / rel, ec)}};
        std::string error;
        if (auto info = probe_audio(library_dir / rel, &error)) {
            j["length"] =
                info->sample_rate > 0 ? static_cast<double>(info->frames) / info->sample_rate : 0.0;
            j["sample_rate"] = info->sample_rate;
            j["channels"] = info->channels;
            j["format"] = info->format;
        } else {
            j["error"] = error;
        }
        files.push_back(std::move(j));
    }
    return {{"files", files}, {"truncated", truncated}};
}

std::optional<UploadChunk> parse_upload_range(const std::string& header, std::size_t body_size,
                                              std::string* error) {
    UploadChunk c;
    if (header.empty()) { // the whole file in one request
        c.start = 0;
        c.total = body_size;
        return c;
    }
    unsigned long long start = 0, last = 0, total = 0;
    char tail = 0;
    if (std::sscanf(header.c_str(), "bytes %llu-%llu/%llu%c", &start, &last, &total, &tail) != 3 ||
        last < start || last >= total || last - start + 1 != body_size) {
        *error = "Content-Range: expected \"bytes START-END/TOTAL\" matching the body (" +
                 std::to_string(body_size) + " bytes)";
        return std::nullopt;
    }
    c.start = start;
    c.total = total;
    return c;
}

UploadResult AudioUploads::receive(const std::string& relative, const UploadChunk& chunk,
                                   const std::string& data, bool replace) {
    std::lock_guard lock(mutex_);
    std::string error;
    auto dest = library_audio_path(dir_, relative, true, &error);
    if (!dest) return {400, {{"error", relative + ": " + error}}};
    if (chunk.total == 0) return {400, {{"error", "the file is empty"}}};
    if (chunk.total > max_size_)
        return {413,
                {{"error",
                  "an audio file may be at most " + std::to_string(max_size_ >> 20) + " MiB"}}};
    std::error_code ec;
    if (!replace && fs::exists(*dest, ec))
        return {409,
                {{"error", relative + " already exists; upload with ?replace=1 to replace it"}}};
    fs::create_directories(dest->parent_path(), ec);
    const fs::path part = dest->parent_path() / ("." + dest->filename().string() + ".upload" +
                                                 dest->extension().string());
    const std::uintmax_t have = chunk.start == 0       ? 0
                                : fs::exists(part, ec) ? fs::file_size(part, ec)
                                                       : 0;
    if (chunk.start != have)
        return {409,
                {{"error", "expected the chunk at byte " + std::to_string(have)}, {"next", have}}};
    if (!append_at(part, chunk.start, data)) {
        fs::remove(part, ec);
        return {500, {{"error", "cannot write the upload (disk full?)"}}};
    }
    const std::uintmax_t now_have = chunk.start + data.size();
    if (now_have < chunk.total)
        return {202, {{"file", relative}, {"received", now_have}, {"total", chunk.total}}};
    auto info = check_audio(part, &error);
    if (!info) {
        fs::remove(part, ec);
        return {400, {{"error", relative + ": not playable audio: " + error}}};
    }
    if (::rename(part.c_str(), dest->c_str()) != 0) {
        fs::remove(part, ec);
        return {500, {{"error", "cannot save " + relative}}};
    }
    if (const int d = ::open(dest->parent_path().c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        d >= 0) {
        ::fsync(d);
        ::close(d);
    }
    return {201,
            {{"file", relative},
             {"size", chunk.total},
             {"length", static_cast<double>(info->frames) / info->sample_rate},
             {"sample_rate", info->sample_rate},
             {"channels", info->channels},
             {"format", info->format}}};
}

std::vector<AudioRoute> audio_routes(const fs::path& library_dir) {
    auto uploads = std::make_shared<AudioUploads>(library_dir);
    std::vector<AudioRoute> routes;
    routes.push_back({"GET", "/api/v1/audio/files", Role::Curator,
                      [library_dir](const httplib::Request&, httplib::Response& res) {
                          reply(res, 200, list_library_audio(library_dir));
                      }});
    // Preview: ranges (an <audio> element seeking) are answered 206 by httplib itself.
    routes.push_back(
        {"GET", kAudioFileRoute, Role::Curator,
         [library_dir](const httplib::Request& req, httplib::Response& res) {
             std::string error;
             auto path = library_audio_path(library_dir, req.matches[1], false, &error);
             if (!path)
                 return reply(res, 400, {{"error", std::string(req.matches[1]) + ": " + error}});
             std::error_code ec;
             const auto size = fs::file_size(*path, ec);
             auto in = std::make_shared<std::ifstream>(*path, std::ios::binary);
             if (ec || !*in) return reply(res, 404, {{"error", "no such audio file"}});
             res.set_header("Cache-Control", "no-store");
             res.set_content_provider(
                 static_cast<std::size_t>(size), audio_type(*path)->mime,
                 [in](std::size_t offset, std::size_t length, httplib::DataSink& sink) {
                     std::array<char, 64 * 1024> buf{};
                     in->clear();
                     in->seekg(static_cast<std::streamoff>(offset));
                     const auto want = std::min(length, buf.size());
                     in->read(buf.data(), static_cast<std::streamsize>(want));
                     const auto got = in->gcount();
                     return got > 0 && sink.write(buf.data(), static_cast<std::size_t>(got));
                 });
         }});
    routes.push_back({"PUT", kAudioFileRoute, Role::Curator,
                      [uploads](const httplib::Request& req, httplib::Response& res) {
                          std::string error;
                          auto chunk = parse_upload_range(req.get_header_value("Content-Range"),
                                                          req.body.size(), &error);
                          if (!chunk) return reply(res, 400, {{"error", error}});
                          const bool replace =
                              req.has_param("replace") && req.get_param_value("replace") == "1";
                          auto r = uploads->receive(req.matches[1], *chunk, req.body, replace);
                          reply(res, r.status, r.body);
                      }});
    return routes;
}

} // namespace stillroom
