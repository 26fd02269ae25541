// Problem lists for loaders.
#include "engine/problems.hpp"

namespace stillroom {

std::string Problem::to_string() const {
    std::string out = file.empty() ? std::string{} : file + ": ";
    if (!path.empty()) out += path + ": ";
    if (severity == Severity::Warning) out += "warning: ";
    out += message;
    return out;
}

void Problems::error(const std::string& path, const std::string& message) {
    list_.push_back({file_, path, message, Severity::Error});
}

void Problems::warning(const std::string& path, const std::string& message) {
    list_.push_back({file_, path, message, Severity::Warning});
}

void Problems::append(const Problems& other) {
    list_.insert(list_.end(), other.list_.begin(), other.list_.end());
}

bool Problems::has_errors() const {
    return error_count() > 0;
}

std::size_t Problems::error_count() const {
    std::size_t n = 0;
    for (const auto& p : list_)
        n += p.severity == Severity::Error ? 1 : 0;
    return n;
}

std::string Problems::to_string() const {
    std::string out;
    for (const auto& p : list_) {
        out += p.to_string();
        out += '\n';
    }
    return out;
}

} // namespace stillroom
