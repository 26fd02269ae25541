// Planning by simulation.
#include "engine/plan.hpp"

#include "engine/duration.hpp"

#include <cstdio>

namespace stillroom {

namespace {

constexpr int kMaxSteps = 1'000'000;

double secs(Ms d) {
    return to_seconds(d);
}

template <class... Ts> struct Overloaded : Ts... { using Ts::operator()...; };
template <class... Ts> Overloaded(Ts...) -> Overloaded<Ts...>;

} // namespace

std::optional<std::pair<Ms, Command>> Simulation::assumed_command() const {
    if (session_.status() != SessionStatus::Running) return std::nullopt;
    const Phase& p = session_.setup().tmpl.phases[static_cast<std::size_t>(session_.phase_index())];
    const Ms remaining = std::max(session_.phase_planned() - session_.phase_elapsed(), Ms{0});
    Command cmd;
    if (p.until == PhaseEnd::Dose && !session_.dose_at()) {
        cmd.kind = CommandKind::Dose;
    } else if (p.until == PhaseEnd::Therapist) {
        const bool last = static_cast<std::size_t>(session_.phase_index()) + 1 ==
                          session_.setup().tmpl.phases.size();
        cmd.kind = last ? CommandKind::End : CommandKind::Next;
    } else {
        return std::nullopt;
    }
    return std::pair{session_.now() + remaining, cmd};
}

std::optional<Ms> Simulation::next_stop() const {
    auto due = session_.next_due();
    auto assumed = assumed_command();
    if (assumed && (!due || assumed->first < *due)) return assumed->first;
    return due;
}

Effects Simulation::run_to(Ms t) {
    Effects out;
    for (int step = 0; step < kMaxSteps && !finished(); ++step) {
        const auto due = session_.next_due();
        const auto assumed = assumed_command();
        Effects batch;
        if (assumed && assumed->first <= t && (!due || assumed->first <= *due)) {
            batch = session_.apply(assumed->second, assumed->first).effects;
        } else if (due && *due <= t) {
            batch = session_.advance_to(*due);
        } else {
            break;
        }
        out.insert(out.end(), std::make_move_iterator(batch.begin()),
                   std::make_move_iterator(batch.end()));
    }
    auto rest = session_.advance_to(t);
    out.insert(out.end(), std::make_move_iterator(rest.begin()),
               std::make_move_iterator(rest.end()));
    return out;
}

Ms simulate_session(const SessionSetup& setup,
                    const std::function<void(const Effect&)>& on_effect) {
    Simulation sim(setup);
    for (const auto& e : sim.start())
        on_effect(e);
    for (int step = 0; step < kMaxSteps && !sim.finished(); ++step) {
        const auto stop = sim.next_stop();
        if (!stop) break;
        for (const auto& e : sim.run_to(*stop))
            on_effect(e);
    }
    return sim.session().now();
}

Plan build_plan(const SessionSetup& setup) {
    Plan plan;
    std::string phase = setup.tmpl.phases.empty() ? "" : setup.tmpl.phases.front().id;
    std::optional<Ms> dose_at;
    auto add = [&](const Effect& e, std::string kind, Json fields) {
        plan.lines.push_back(
            {e.at, std::nullopt, phase, std::move(kind), std::move(fields), describe(e.body)});
    };
    plan.length = simulate_session(setup, [&](const Effect& e) {
        std::visit(
            Overloaded{
                [&](const PhaseStarted& p) {
                    phase = p.id;
                    const Phase& ph = setup.tmpl.phases[static_cast<std::size_t>(p.index)];
                    add(e, "phase",
                        {{"name", p.name},
                         {"until", to_string(ph.until)},
                         {"duration", secs(ph.duration)}});
                },
                [&](const SetScene& s) {
                    add(e, "scene", {{"scene", s.scene}, {"fade", secs(s.fade)}});
                },
                [&](const PlayTrack& t) {
                    add(e, "playlist",
                        {{"playlist", t.playlist},
                         {"track", t.track},
                         {"file", t.info.file},
                         {"title", t.info.title},
                         {"position", secs(t.position)},
                         {"length", secs(t.info.length)},
                         {"crossfade", secs(t.crossfade)}});
                },
                [&](const StopMusic& m) {
                    add(e, "playlist", {{"playlist", nullptr}, {"fade", secs(m.fade)}});
                },
                [&](const SetVolume& v) {
                    add(e, "volume", {{"db", v.db}, {"ramp", secs(v.ramp)}});
                },
                [&](const SetDepth& d) {
                    add(e, "depth", {{"depth", d.depth}, {"ramp", secs(d.ramp)}});
                },
                [&](const Reminder& r) {
                    add(e, "remind", {{"text", r.text}, {"vitals", r.vitals}, {"cue", r.cue}});
                },
                [&](const PlaySound& s) {
                    add(e, "sound", {{"file", s.file}, {"gain_db", s.gain_db}});
                },
                [&](const SendMidi& m) {
                    add(e, "midi", {{"output", m.output}, {"bytes", m.bytes}});
                },
                [&](const PublishMqtt& m) {
                    Json payload = parse_json_or_discarded(m.payload);
                    if (payload.is_discarded()) payload = m.payload;
                    add(e, "mqtt", {{"topic", m.topic}, {"payload", payload}});
                },
                [&](const JournalRecord& r) {
                    if (r.record.value("type", "") == "cmd" &&
                        r.record.value("cmd", "") == "dose" && !dose_at)
                        dose_at = e.at;
                },
                [](const SessionFinished&) {},
            },
            e.body);
    });
    plan.dose_at = dose_at;
    for (auto& line : plan.lines)
        if (dose_at) line.dose = line.at - *dose_at;
    return plan;
}

Json plan_line_json(const PlanLine& line) {
    Json j = {{"at", secs(line.at)},
              {"dose", line.dose ? Json(secs(*line.dose)) : Json(nullptr)},
              {"phase", line.phase},
              {"kind", line.kind}};
    for (auto& [k, v] : line.fields.items())
        j[k] = v;
    return j;
}

std::string plan_text(const Plan& plan, const SessionTemplate& tmpl) {
    std::string out = tmpl.name + " (" + tmpl.id + ")\n";
    out += "planned length " + format_clock(plan.length);
    if (plan.dose_at) out += ", dose at " + format_clock(*plan.dose_at) + " after start";
    out += "\n\n";
    char buf[96];
    std::snprintf(buf, sizeof buf, "%9s %9s  %-10s %-8s %s\n", "start+", "dose", "phase", "kind",
                  "what");
    out += buf;
    for (const auto& line : plan.lines) {
        const std::string dose = line.dose ? format_clock(*line.dose) : "-";
        std::snprintf(buf, sizeof buf, "%9s %9s  %-10s %-8s ", format_clock(line.at).c_str(),
                      dose.c_str(), line.phase.c_str(), line.kind.c_str());
        out += buf;
        out += line.text + "\n";
    }
    out += "\nthe session has finished at " + format_clock(plan.length) + "\n";
    return out;
}

} // namespace stillroom
