// Reading user JSON with precise problems: every lookup knows its JSON path, every type
// mismatch says what was expected and what was found, and unknown keys are errors.
#pragma once

#include "engine/problems.hpp"
#include "engine/time.hpp"

#include <nlohmann/json.hpp>

#include <filesystem>
#include <optional>
#include <set>
#include <string>
#include <string_view>

namespace stillroom {

using Json = nlohmann::json;

enum class Need { Required, Optional };

// Serialises JSON for output. Invalid UTF-8 (which can only come from outside input quoted
// in a message) is replaced, never thrown: an odd byte must not crash a worker thread.
inline std::string dump_json(const Json& value, int indent = -1) {
    return value.dump(indent, ' ', false, Json::error_handler_t::replace);
}

// Arrays and objects nest at most this deep in any JSON we read (deeper input would make
// nlohmann's recursive dump and comparison overflow the stack).
constexpr int kMaxJsonDepth = 64;
// True if arrays and objects in `text` nest deeper than `max_depth`; strings are skipped.
// Iterative, one pass; it does not validate the JSON.
bool json_nesting_exceeds(std::string_view text, int max_depth = kMaxJsonDepth);
// Parses JSON text that is not ours to trust, without exceptions: discarded if it is
// invalid or nests deeper than kMaxJsonDepth.
Json parse_json_or_discarded(std::string_view text);

// Parses JSON text (nesting bounded by kMaxJsonDepth); on failure adds "invalid JSON at line L,
// column C: ..." to problems.
std::optional<Json> parse_json_text(std::string_view text, Problems& problems);

// Reads and parses a file; a missing or unreadable file, a FIFO or device (never waited
// on), or a file over 16 MiB is a problem, not an exception.
std::optional<Json> read_json_file(const std::filesystem::path& path, Problems& problems);
// read_json_file for a file a library holds (`rel` relative to `dir`), refused when it is
// not inside the library after resolving symlinks (engine/library_path.hpp).
std::optional<Json> read_library_json(const std::filesystem::path& dir, const std::string& rel,
                                      Problems& problems);

// A short description of a JSON value for "got ..." messages: "\"fifteen\"", "42", "an object".
std::string describe_json(const Json& value);

// "phases" + 2 -> "phases[2]"; "" + "name" -> "name"; "a" + "b" -> "a.b".
std::string json_path_index(const std::string& base, std::size_t index);
std::string json_path_key(const std::string& base, std::string_view key);

// Reads one JSON object. Each accessor marks its key as known; finish() (or the destructor)
// reports every key that no accessor asked for, suggesting the nearest known one.
class ObjectReader {
public:
    ObjectReader(const Json& value, std::string path, Problems& problems);
    ObjectReader(const ObjectReader&) = delete;
    ObjectReader& operator=(const ObjectReader&) = delete;
    ObjectReader(ObjectReader&& other) noexcept;
    ~ObjectReader();

    bool is_object() const { return object_ != nullptr; }
    const std::string& path() const { return path_; }
    std::string path_of(std::string_view key) const { return json_path_key(path_, key); }
    Problems& problems() { return *problems_; }

    // The raw value, or nullptr when absent (and an error when required).
    const Json* get(std::string_view key, Need need = Need::Optional);
    bool has(std::string_view key) const;

    std::optional<std::string> string(std::string_view key, Need need = Need::Optional);
    std::optional<bool> boolean(std::string_view key, Need need = Need::Optional);
    std::optional<double> number(std::string_view key, Need need, double min, double max);
    std::optional<long long> integer(std::string_view key, Need need, long long min, long long max);
    std::optional<Ms> duration(std::string_view key, Need need = Need::Optional);
    // A key that must hold an array; nullptr when absent or of the wrong type.
    const Json* array(std::string_view key, Need need = Need::Optional);
    // A nested object reader, or nullopt when absent / wrong type.
    std::optional<ObjectReader> object(std::string_view key, Need need = Need::Optional);

    // Reports unknown keys. Idempotent.
    void finish();

private:
    const Json* object_ = nullptr;
    std::string path_;
    Problems* problems_;
    std::set<std::string, std::less<>> known_;
    bool finished_ = false;
};

// Duration from a JSON value (string like "15m" or a number of seconds); reports at path.
std::optional<Ms> read_duration(const Json& value, const std::string& path, Problems& problems);

} // namespace stillroom
