// Engine benchmarks: how fast the pure engine runs whole sessions, plans and restores.
// Prints a table. usage: bench_engine [LIBRARY_DIR]
#include "engine/plan.hpp"
#include "engine/restore.hpp"
#include "library/library.hpp"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <functional>
#include <vector>

using namespace stillroom;
using Clock = std::chrono::steady_clock; // benchmarks measure real time by design

namespace {

struct Row {
    std::string name;
    double median_ms;
    double min_ms;
    std::string note;
};

Row measure(const std::string& name, int runs, const std::function<std::string()>& body) {
    std::vector<double> ms;
    std::string note;
    for (int i = 0; i < runs; ++i) {
        const auto t0 = Clock::now();
        note = body();
        ms.push_back(std::chrono::duration<double, std::milli>(Clock::now() - t0).count());
    }
    std::sort(ms.begin(), ms.end());
    return {name, ms[ms.size() / 2], ms.front(), note};
}

} // namespace

int main(int argc, char** argv) {
    const std::string dir = argc > 1 ? argv[1] : "examples/library";
    Problems problems;
    Library lib = load_library(dir, problems);
    if (lib.templates.empty()) {
        std::fprintf(stderr, "bench_engine: no templates in %s (run scripts/make-demo-audio.sh?)\n",
                     dir.c_str());
        return 1;
    }
    std::vector<Row> rows;
    for (const char* id : {"im-ketamine", "sublingual-ketamine", "psilocybin"}) {
        auto setup = lib.make_setup(id, "bench", "", 7);
        if (!setup) continue;
        rows.push_back(measure(std::string("simulate whole session: ") + id, 21, [&] {
            std::size_t effects = 0;
            const Ms length = simulate_session(*setup, [&](const Effect&) { ++effects; });
            return std::to_string(effects) + " effects over " +
                   std::to_string(length.count() / 60000) + " min";
        }));
    }
    auto setup = lib.make_setup("psilocybin", "bench", "", 7);
    // A busy journal: 2000 commands over eight hours, then restore by replay.
    std::vector<Json> records;
    {
        Session s(*setup);
        auto keep = [&](const Effects& effects) {
            for (const auto& e : effects)
                if (auto* r = std::get_if<JournalRecord>(&e.body)) records.push_back(r->record);
        };
        keep(s.start());
        Command dose;
        dose.kind = CommandKind::Dose;
        keep(s.apply(dose, Ms{60000}).effects);
        for (int i = 0; i < 2000; ++i) {
            Command c;
            c.kind = i % 2 ? CommandKind::Volume : CommandKind::Skip;
            c.db = -20 - (i % 10);
            keep(s.apply(c, Ms{60000 + i * 14000LL}).effects);
        }
    }
    rows.push_back(measure("restore from a journal", 11, [&] {
        JournalContents contents;
        contents.records = records;
        Problems p;
        auto r = restore_session(contents, p);
        return std::to_string(records.size()) + " records replayed";
    }));
    rows.push_back(measure("desired_state(t), t up to 1000 s ahead, x1000", 11, [&] {
        Session s(*setup);
        s.start();
        double sum = 0;
        for (int i = 0; i < 1000; ++i)
            sum += s.desired_state(Ms{i * 1000LL}).volume_db;
        return std::string(sum < 0 ? "ok" : "?");
    }));

    std::printf("%-48s %12s %12s  %s\n", "benchmark", "median ms", "min ms", "note");
    for (const auto& r : rows)
        std::printf("%-48s %12.3f %12.3f  %s\n", r.name.c_str(), r.median_ms, r.min_ms,
                    r.note.c_str());
    return 0;
}
