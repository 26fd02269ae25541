// Problems found in user input: each names the file, the JSON path, and what was wrong.
// Loaders collect every problem at once instead of stopping at the first.
#pragma once

#include <string>
#include <vector>

namespace stillroom {

enum class Severity { Error, Warning };

struct Problem {
    std::string file;    // relative to the library, e.g. "sessions/im75.json"
    std::string path;    // JSON path, e.g. "phases[2].duration"; empty for the whole file
    std::string message; // e.g. "expected a duration like \"15m\", got \"fifteen\""
    Severity severity = Severity::Error;

    // "sessions/im75.json: phases[2].duration: expected ..."
    std::string to_string() const;
};

class Problems {
public:
    explicit Problems(std::string file = {}) : file_(std::move(file)) {}

    void error(const std::string& path, const std::string& message);
    void warning(const std::string& path, const std::string& message);
    void add(Problem p) { list_.push_back(std::move(p)); }
    void append(const Problems& other);

    const std::string& file() const { return file_; }
    void set_file(std::string file) { file_ = std::move(file); }
    const std::vector<Problem>& list() const { return list_; }
    bool has_errors() const;
    std::size_t error_count() const;
    bool empty() const { return list_.empty(); }
    // Every problem on its own line.
    std::string to_string() const;

private:
    std::string file_;
    std::vector<Problem> list_;
};

// Thrown by loaders when a caller wants an exception rather than a list.
class InputError : public std::exception {
public:
    explicit InputError(Problems p) : problems_(std::move(p)), text_(problems_.to_string()) {}
    const char* what() const noexcept override { return text_.c_str(); }
    const Problems& problems() const { return problems_; }

private:
    Problems problems_;
    std::string text_;
};

} // namespace stillroom
