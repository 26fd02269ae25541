// JSON reading with paths, expected/found messages and unknown-key detection.
#include "engine/json_reader.hpp"

#include "engine/duration.hpp"
#include "engine/library_path.hpp"

#include <algorithm>
#include <cctype>
#include <fstream>
#include <sstream>

namespace stillroom {

namespace {

std::size_t edit_distance(std::string_view a, std::string_view b) {
    std::vector<std::size_t> row(b.size() + 1);
    for (std::size_t j = 0; j <= b.size(); ++j)
        row[j] = j;
    for (std::size_t i = 1; i <= a.size(); ++i) {
        std::size_t prev = row[0];
        row[0] = i;
        for (std::size_t j = 1; j <= b.size(); ++j) {
            const std::size_t cur = row[j];
            row[j] = std::min({row[j] + 1, row[j - 1] + 1, prev + (a[i - 1] == b[j - 1] ? 0 : 1)});
            prev = cur;
        }
    }
    return row[b.size()];
}

void line_and_column(std::string_view text, std::size_t byte, std::size_t& line, std::size_t& col) {
    line = 1;
    col = 1;
    for (std::size_t i = 0; i < byte && i < text.size(); ++i) {
        if (text[i] == '\n') {
            ++line;
            col = 1;
        } else {
            ++col;
        }
    }
}

} // namespace

bool json_nesting_exceeds(std::string_view text, int max_depth) {
    int depth = 0;
    bool in_string = false;
    for (std::size_t i = 0; i < text.size(); ++i) {
        const char c = text[i];
        if (in_string) {
            if (c == '\\')
                ++i;
            else if (c == '"')
                in_string = false;
        } else if (c == '"') {
            in_string = true;
        } else if (c == '[' || c == '{') {
            if (++depth > max_depth) return true;
        } else if (c == ']' || c == '}') {
            --depth;
        }
    }
    return false;
}

Json parse_json_or_discarded(std::string_view text) {
    if (json_nesting_exceeds(text)) return Json(Json::value_t::discarded);
    return Json::parse(text.begin(), text.end(), nullptr, false);
}

std::optional<Json> parse_json_text(std::string_view text, Problems& problems) {
    if (json_nesting_exceeds(text)) {
        problems.error("", "JSON nests deeper than " + std::to_string(kMaxJsonDepth) +
                               " levels of arrays and objects");
        return std::nullopt;
    }
    try {
        return Json::parse(text.begin(), text.end());
    } catch (const Json::parse_error& e) {
        std::size_t line = 0, col = 0;
        line_and_column(text, e.byte > 0 ? e.byte - 1 : 0, line, col);
        std::string what = e.what();
        // nlohmann's message is "[json.exception.parse_error.101] parse error at line 1, column 2:
        // ..."
        auto colon = what.find(": ", what.find("parse error"));
        std::string detail = colon == std::string::npos ? what : what.substr(colon + 2);
        problems.error("", "invalid JSON at line " + std::to_string(line) + ", column " +
                               std::to_string(col) + ": " + detail);
    } catch (const std::exception& e) {
        problems.error("", std::string("invalid JSON: ") + e.what());
    }
    return std::nullopt;
}

std::optional<Json> read_json_file(const std::filesystem::path& path, Problems& problems) {
    // Never blocks (a FIFO is refused, not waited on) and never reads more than 16 MiB.
    std::string error;
    auto read = read_regular_file(path, std::size_t{16} << 20, &error);
    if (!read) {
        problems.error("", "cannot read the file: " + error);
        return std::nullopt;
    }
    std::string text = std::move(*read);
    if (text.size() >= 3 && text.compare(0, 3, "\xEF\xBB\xBF") == 0) text.erase(0, 3);
    return parse_json_text(text, problems);
}

std::optional<Json> read_library_json(const std::filesystem::path& dir, const std::string& rel,
                                      Problems& problems) {
    std::string error;
    auto path = resolve_in_library(dir, rel, &error);
    if (!path) {
        problems.error("", "cannot read the file: it " + error);
        return std::nullopt;
    }
    return read_json_file(*path, problems);
}

std::string describe_json(const Json& value) {
    switch (value.type()) {
    case Json::value_t::object:
        return "an object";
    case Json::value_t::array:
        return "an array";
    case Json::value_t::null:
        return "null";
    case Json::value_t::boolean:
        return value.get<bool>() ? "true" : "false";
    default:
        break;
    }
    std::string text = value.dump(-1, ' ', false, Json::error_handler_t::replace);
    if (text.size() > 60) text = text.substr(0, 57) + "...";
    return text;
}

std::string json_path_index(const std::string& base, std::size_t index) {
    return base + "[" + std::to_string(index) + "]";
}

std::string json_path_key(const std::string& base, std::string_view key) {
    const bool plain = !key.empty() && std::all_of(key.begin(), key.end(), [](char c) {
        return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-';
    });
    if (!plain) return base + "[" + dump_json(Json(std::string(key))) + "]";
    return base.empty() ? std::string(key) : base + "." + std::string(key);
}

ObjectReader::ObjectReader(const Json& value, std::string path, Problems& problems)
    : path_(std::move(path)), problems_(&problems) {
    if (value.is_object()) {
        object_ = &value;
    } else {
        problems.error(path_, "expected an object, got " + describe_json(value));
    }
}

ObjectReader::ObjectReader(ObjectReader&& other) noexcept
    : object_(other.object_), path_(std::move(other.path_)), problems_(other.problems_),
      known_(std::move(other.known_)), finished_(other.finished_) {
    other.finished_ = true;
}

ObjectReader::~ObjectReader() {
    try {
        finish();
    } catch (...) {
        // Reporting is best effort in a destructor.
    }
}

bool ObjectReader::has(std::string_view key) const {
    return object_ && object_->contains(std::string(key));
}

const Json* ObjectReader::get(std::string_view key, Need need) {
    known_.emplace(key);
    if (!object_) return nullptr;
    auto it = object_->find(std::string(key));
    if (it == object_->end()) {
        if (need == Need::Required) problems_->error(path_of(key), "required, but missing");
        return nullptr;
    }
    return &*it;
}

std::optional<std::string> ObjectReader::string(std::string_view key, Need need) {
    const Json* v = get(key, need);
    if (!v) return std::nullopt;
    if (!v->is_string()) {
        problems_->error(path_of(key), "expected a string, got " + describe_json(*v));
        return std::nullopt;
    }
    return v->get<std::string>();
}

std::optional<bool> ObjectReader::boolean(std::string_view key, Need need) {
    const Json* v = get(key, need);
    if (!v) return std::nullopt;
    if (!v->is_boolean()) {
        problems_->error(path_of(key), "expected true or false, got " + describe_json(*v));
        return std::nullopt;
    }
    return v->get<bool>();
}

std::optional<double> ObjectReader::number(std::string_view key, Need need, double min,
                                           double max) {
    const Json* v = get(key, need);
    if (!v) return std::nullopt;
    if (!v->is_number()) {
        problems_->error(path_of(key), "expected a number, got " + describe_json(*v));
        return std::nullopt;
    }
    const double d = v->get<double>();
    if (!(d >= min && d <= max)) {
        std::ostringstream msg;
        msg << "expected a number from " << min << " to " << max << ", got " << describe_json(*v);
        problems_->error(path_of(key), msg.str());
        return std::nullopt;
    }
    return d;
}

std::optional<long long> ObjectReader::integer(std::string_view key, Need need, long long min,
                                               long long max) {
    const Json* v = get(key, need);
    if (!v) return std::nullopt;
    if (!v->is_number_integer()) {
        problems_->error(path_of(key), "expected a whole number, got " + describe_json(*v));
        return std::nullopt;
    }
    const long long n = v->get<long long>();
    if (n < min || n > max ||
        (v->is_number_unsigned() &&
         v->get<unsigned long long>() > static_cast<unsigned long long>(max))) {
        problems_->error(path_of(key), "expected a whole number from " + std::to_string(min) +
                                           " to " + std::to_string(max) + ", got " +
                                           describe_json(*v));
        return std::nullopt;
    }
    return n;
}

std::optional<Ms> read_duration(const Json& value, const std::string& path, Problems& problems) {
    std::optional<Ms> d;
    if (value.is_string()) {
        d = parse_duration(value.get<std::string>());
    } else if (value.is_number()) {
        d = duration_from_seconds(value.get<double>());
    }
    if (!d) {
        problems.error(path, "expected a duration like \"15m\", \"90s\", \"1h30m\" or a number of "
                             "seconds (0 to 48h), got " +
                                 describe_json(value));
    }
    return d;
}

std::optional<Ms> ObjectReader::duration(std::string_view key, Need need) {
    const Json* v = get(key, need);
    if (!v) return std::nullopt;
    return read_duration(*v, path_of(key), *problems_);
}

const Json* ObjectReader::array(std::string_view key, Need need) {
    const Json* v = get(key, need);
    if (!v) return nullptr;
    if (!v->is_array()) {
        problems_->error(path_of(key), "expected an array, got " + describe_json(*v));
        return nullptr;
    }
    return v;
}

std::optional<ObjectReader> ObjectReader::object(std::string_view key, Need need) {
    const Json* v = get(key, need);
    if (!v) return std::nullopt;
    if (!v->is_object()) {
        problems_->error(path_of(key), "expected an object, got " + describe_json(*v));
        return std::nullopt;
    }
    return std::optional<ObjectReader>(std::in_place, *v, path_of(key), *problems_);
}

void ObjectReader::finish() {
    if (finished_ || !object_) {
        finished_ = true;
        return;
    }
    finished_ = true;
    for (const auto& [key, value] : object_->items()) {
        if (known_.count(key)) continue;
        std::string best;
        std::size_t best_distance = 3;
        for (const auto& k : known_) {
            const std::size_t d = edit_distance(key, k);
            if (d < best_distance) best_distance = d, best = k;
        }
        std::string msg = "unknown key";
        if (!best.empty()) {
            msg += " (did you mean \"" + best + "\"?)";
        } else {
            msg += "; expected one of:";
            for (const auto& k : known_)
                msg += " " + k;
        }
        problems_->error(path_of(key), msg);
    }
}

} // namespace stillroom
