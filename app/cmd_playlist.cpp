// stillroom playlist import|export|analyze: the curator's tools.
#include "app/commands.hpp"
#include "engine/duration.hpp"
#include "library/library.hpp"
#include "playlists/loudness.hpp"
#include "playlists/m3u.hpp"

#include <cstdio>
#include <fstream>
#include <iostream>
#include <sstream>

namespace stillroom::app {

namespace fs = std::filesystem;

namespace {

// Writes a file atomically: temp file, fsync by close, rename.
bool write_atomically(const fs::path& path, const std::string& text, std::string& error) {
    const fs::path tmp = path.string() + ".tmp";
    {
        std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
        if (!out || !(out << text)) {
            error = "cannot write " + tmp.string();
            return false;
        }
    }
    std::error_code ec;
    fs::rename(tmp, path, ec);
    if (ec) error = ec.message();
    return !ec;
}

int do_import(const cli::Args& args) {
    const fs::path m3u = args.positional[1];
    const fs::path library = args.get("--library");
    std::ifstream in(m3u, std::ios::binary);
    if (!in) {
        std::cerr << m3u.string() << ": cannot read the file\n";
        return cli::kBadInput;
    }
    std::stringstream text;
    text << in.rdbuf();
    std::string id = args.get("--name", m3u.stem().string());
    for (char& c : id)
        if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '_') c = '-';
    if (!is_valid_id(id)) {
        std::cerr << "stillroom playlist import: choose a playlist id with --name\n";
        return cli::kUsage;
    }
    M3uOptions options;
    const std::string windows = args.get("--windows-paths", "report");
    if (windows == "tail")
        options.windows_paths = WindowsPaths::Tail;
    else if (windows != "report") {
        std::cerr << "stillroom playlist import: --windows-paths expects report or tail, got \""
                  << windows << "\"\n";
        return cli::kUsage;
    }
    M3uImport result =
        import_m3u(text.str(), m3u.parent_path(), library, id, m3u.filename().string(), options);
    for (const auto& p : result.problems.list())
        std::cerr << p.to_string() << "\n";
    const fs::path target = library / "playlists" / (id + ".json");
    if (fs::exists(target) && !args.has("--force")) {
        std::cerr << target.string() << " exists; use --force to replace it\n";
        return cli::kBadInput;
    }
    if (result.playlist.tracks.empty()) {
        std::cerr << "stillroom playlist import: no playable entries; nothing written\n";
        return cli::kBadInput;
    }
    std::error_code ec;
    fs::create_directories(target.parent_path(), ec);
    std::string error;
    if (!write_atomically(target, dump_json(playlist_to_json(result.playlist), 2) + "\n", error)) {
        std::cerr << error << "\n";
        return cli::kBadInput;
    }
    std::cout << "wrote " << target.string() << " with " << result.playlist.tracks.size()
              << " tracks";
    if (!result.problems.empty())
        std::cout << "; " << result.problems.list().size() << " entries left out (above)";
    std::cout << "\n";
    return result.problems.has_errors() ? cli::kBadInput : cli::kOk;
}

int do_export(const cli::Args& args, const Library& lib) {
    const std::string name = args.positional[1];
    auto it = lib.playlists.find(name);
    if (it == lib.playlists.end()) {
        std::cerr << "stillroom playlist export: no playlist \"" << name << "\" in "
                  << lib.dir.string() << "/playlists\n";
        return cli::kBadInput;
    }
    const PlaylistInfo& info = lib.playlist_infos.at(name);
    if (args.has("--out")) {
        const fs::path out = args.get("--out");
        std::string error;
        const fs::path dir = out.parent_path().empty() ? fs::path(".") : out.parent_path();
        if (!write_atomically(out, export_m3u(it->second, info, lib.dir, dir), error)) {
            std::cerr << error << "\n";
            return cli::kBadInput;
        }
        std::cout << "wrote " << out.string() << "\n";
    } else {
        std::cout << export_m3u(it->second, info, lib.dir, lib.dir);
    }
    return cli::kOk;
}

int do_analyze(const cli::Args& args, const Library& lib, const Problems& load_problems) {
    const std::string name = args.positional[1];
    auto it = lib.playlists.find(name);
    if (it == lib.playlists.end()) {
        std::cerr << "stillroom playlist analyze: no playlist \"" << name << "\"\n";
        return cli::kBadInput;
    }
    const Playlist& p = it->second;
    const PlaylistInfo& info = lib.playlist_infos.at(name);
    LoudnessCache cache(lib.dir);
    const bool json = args.get("--format", "text") == "json";
    Json tracks = Json::array();
    const std::string file = "playlists/" + name + ".json";
    std::size_t errors = 0;
    for (std::size_t i = 0; i < p.tracks.size(); ++i) {
        Json t = {{"file", p.tracks[i].file},
                  {"title", info.tracks[i].title},
                  {"length", to_seconds(info.tracks[i].length)}};
        std::string error;
        if (auto l = cache.get(p.tracks[i].file, &error)) {
            t["sample_rate"] = l->sample_rate;
            t["channels"] = l->channels;
            t["file_duration"] = l->duration_s;
            t["lufs"] = l->integrated_lufs;
            t["true_peak_dbtp"] = l->true_peak_dbtp;
            t["gain_db"] = info.tracks[i].gain_db;
        }
        Json problems = Json::array();
        const std::string prefix = json_path_index("tracks", i);
        for (const auto& pr : load_problems.list())
            if (pr.file == file && pr.path.rfind(prefix, 0) == 0) {
                problems.push_back(pr.to_string());
                errors += pr.severity == Severity::Error;
            }
        t["problems"] = problems;
        tracks.push_back(t);
    }
    Json uses = Json::array();
    for (const auto& [tid, tmpl] : lib.templates)
        for (const auto& ph : tmpl.phases)
            if (ph.playlist == name)
                uses.push_back(
                    {{"session", tid}, {"phase", ph.id}, {"planned", to_seconds(ph.duration)}});
    cache.save();
    if (json) {
        std::cout << dump_json(Json{{"playlist", name},
                                    {"total", to_seconds(info.total_length())},
                                    {"loop", info.loop},
                                    {"tracks", tracks},
                                    {"used_by", uses}},
                               2)
                  << "\n";
        return errors ? cli::kBadInput : cli::kOk;
    }
    std::printf("%s (%s): %zu tracks, %s in one pass (crossfade %s)%s\n", p.name.c_str(),
                name.c_str(), p.tracks.size(), format_clock(info.total_length()).c_str(),
                format_duration(p.crossfade).c_str(), info.loop ? ", loops" : "");
    std::printf("  %-3s %-34s %8s %7s %3s %8s %8s %7s\n", "#", "file", "length", "rate", "ch",
                "LUFS", "dBTP", "gain");
    for (std::size_t i = 0; i < tracks.size(); ++i) {
        const Json& t = tracks[i];
        std::printf(
            "  %-3zu %-34s %8s %7d %3d %8.1f %8.1f %+7.1f\n", i + 1,
            t["file"].get<std::string>().c_str(),
            format_clock(Ms{static_cast<Ms::rep>(t["length"].get<double>() * 1000)}).c_str(),
            t.value("sample_rate", 0), t.value("channels", 0), t.value("lufs", -70.0),
            t.value("true_peak_dbtp", -70.0), t.value("gain_db", 0.0));
        for (const auto& pr : t["problems"])
            std::printf("      %s\n", pr.get<std::string>().c_str());
    }
    for (const auto& u : uses)
        std::printf(
            "  used by %s, phase %s (%s)\n", u["session"].get<std::string>().c_str(),
            u["phase"].get<std::string>().c_str(),
            format_duration(Ms{static_cast<Ms::rep>(u["planned"].get<double>() * 1000)}).c_str());
    return errors ? cli::kBadInput : cli::kOk;
}

} // namespace

int cmd_playlist(const cli::Args& args) {
    const std::string verb = args.positional[0];
    if (verb == "import") return do_import(args);
    if (verb != "export" && verb != "analyze") {
        std::cerr << "stillroom playlist: expected import, export or analyze, got \"" << verb
                  << "\"\n";
        return cli::kUsage;
    }
    Problems problems;
    Library lib = load_library(args.get("--library"), problems);
    return verb == "export" ? do_export(args, lib) : do_analyze(args, lib, problems);
}

} // namespace stillroom::app
