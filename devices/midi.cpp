// MIDI through RtMidi (JACK API).
#include "devices/midi.hpp"

#include <rtmidi/RtMidi.h>

#include <algorithm>
#include <cmath>
#include <iostream>

namespace stillroom {

double cc_to_volume_db(int value, double max_volume_db) {
    value = std::clamp(value, 0, 127);
    if (value == 0) return -90;
    return -60.0 + (max_volume_db + 60.0) * static_cast<double>(value - 1) / 126.0;
}

int volume_db_to_cc(double db, double max_volume_db) {
    if (db <= -60.0) return db <= -89.0 ? 0 : 1;
    return std::clamp(
        static_cast<int>(std::lround(1 + (db + 60.0) / (max_volume_db + 60.0) * 126.0)), 1, 127);
}

bool SoftTakeover::accept(int fader, int current) {
    if (!engaged_) {
        const bool near = std::abs(fader - current) <= 2;
        const bool crossed = last_ >= 0 && ((last_ < current && fader >= current) ||
                                            (last_ > current && fader <= current));
        engaged_ = near || crossed;
    }
    last_ = fader;
    return engaged_;
}

namespace {

// A quiet RtMidi: errors come back as exceptions, warnings go nowhere.
void rtmidi_error(RtMidiError::Type type, const std::string& text, void*) {
    if (type != RtMidiError::WARNING && type != RtMidiError::DEBUG_WARNING)
        std::cerr << "stillroom: midi: " << text << std::endl;
}

// Runs on: RtMidi's input thread. Copies into the port's queue; never blocks.
void midi_in_callback(double, std::vector<unsigned char>* message, void* user) {
    auto* ctx = static_cast<MidiInputContext*>(user);
    if (message) ctx->driver->enqueue(ctx->index, *message);
}

// Index of the first port whose name contains `want` (case-insensitive), or -1.
template <class Midi> int find_port(Midi& midi, const std::string& want) {
    std::string w = want;
    std::transform(w.begin(), w.end(), w.begin(), [](unsigned char c) { return std::tolower(c); });
    const unsigned n = midi.getPortCount();
    for (unsigned i = 0; i < n; ++i) {
        std::string name = midi.getPortName(i);
        std::transform(name.begin(), name.end(), name.begin(),
                       [](unsigned char c) { return std::tolower(c); });
        if (name.find(w) != std::string::npos && name.find("stillroom") == std::string::npos)
            return static_cast<int>(i);
    }
    return -1;
}

} // namespace

MidiDriver::MidiDriver(MidiConfig config, MidiActions actions, DeviceClock& clock)
    : config_(std::move(config)), actions_(std::move(actions)), clock_(clock),
      sends_(64, [this](SendMidi& cue) { send(cue); }) {
    inputs_.resize(config_.inputs.size());
    for (std::size_t i = 0; i < inputs_.size(); ++i) {
        inputs_[i].takeover.resize(config_.inputs[i].map.size());
        inputs_[i].set_value.assign(config_.inputs[i].map.size(), std::nan(""));
        inputs_[i].context = {this, static_cast<std::uint8_t>(i)};
    }
    outputs_.resize(config_.outputs.size());
}

MidiDriver::~MidiDriver() {
    stop();
}

void MidiDriver::start() {
    if (running_.exchange(true)) return;
    thread_ = std::thread([this] { worker(); });
    sends_.start();
}

void MidiDriver::stop() {
    if (!running_.exchange(false)) return;
    sends_.stop();
    wakeup_.wake();
    if (thread_.joinable()) thread_.join();
    std::lock_guard lock(mutex_);
    for (auto& in : inputs_)
        in.midi.reset();
    for (auto& out : outputs_)
        out.midi.reset();
}

void MidiDriver::enqueue(std::uint8_t input, const std::vector<unsigned char>& bytes) {
    MidiMessage m;
    m.input = input;
    m.size = static_cast<std::uint8_t>(std::min<std::size_t>(bytes.size(), 3));
    for (std::size_t i = 0; i < m.size; ++i)
        m.bytes[i] = bytes[i];
    if (bytes.size() > 3) m.size = 0xFF; // too long for a channel message: rejected on the worker
    if (input < inputs_.size()) inputs_[input].queue->try_push(m);
}

void MidiDriver::connect_missing() {
    std::lock_guard lock(mutex_);
    for (std::size_t i = 0; i < inputs_.size(); ++i) {
        InputPort& in = inputs_[i];
        if (in.connected) continue;
        try {
            if (!in.midi) {
                in.midi = std::make_unique<RtMidiIn>(RtMidi::UNIX_JACK,
                                                     "stillroom-in-" + std::to_string(i));
                in.midi->setErrorCallback(&rtmidi_error);
                in.midi->ignoreTypes(true, true, true);
                in.midi->setCallback(&midi_in_callback, &in.context);
            }
            const int port = find_port(*in.midi, config_.inputs[i].port);
            if (port < 0) throw RtMidiError("no such port", RtMidiError::NO_DEVICES_FOUND);
            in.midi->openPort(static_cast<unsigned>(port), "in");
            in.connected = true;
            std::cerr << "stillroom: midi: listening to \""
                      << in.midi->getPortName(static_cast<unsigned>(port)) << "\"" << std::endl;
        } catch (const std::exception&) {
            if (!in.warned)
                std::cerr << "stillroom: midi: input \"" << config_.inputs[i].port
                          << "\" not found; retrying" << std::endl;
            in.warned = true;
            in.midi.reset();
        }
    }
    for (std::size_t i = 0; i < outputs_.size(); ++i) {
        OutputPort& out = outputs_[i];
        if (out.connected) continue;
        try {
            if (!out.midi) {
                out.midi = std::make_unique<RtMidiOut>(RtMidi::UNIX_JACK,
                                                       "stillroom-out-" + config_.outputs[i].id);
                out.midi->setErrorCallback(&rtmidi_error);
            }
            const int port = find_port(*out.midi, config_.outputs[i].port);
            if (port < 0) throw RtMidiError("no such port", RtMidiError::NO_DEVICES_FOUND);
            out.midi->openPort(static_cast<unsigned>(port), "out");
            out.connected = true;
        } catch (const std::exception&) {
            if (!out.warned)
                std::cerr << "stillroom: midi: output \"" << config_.outputs[i].port
                          << "\" not found; retrying" << std::endl;
            out.warned = true;
            out.midi.reset();
        }
    }
}

void MidiDriver::worker() {
    // Runs on: the MIDI worker thread.
    DeviceTime next_connect = clock_.now();
    while (running_.load()) {
        if (clock_.now() >= next_connect) {
            connect_missing();
            next_connect = clock_.now() + Ms{2000};
        }
        for (auto& in : inputs_) {
            MidiMessage m;
            while (in.queue->try_pop(m)) {
                try {
                    handle(m);
                } catch (const std::exception& e) { // nothing from outside may end this thread
                    std::cerr << "stillroom: midi: " << e.what() << std::endl;
                }
            }
        }
        clock_.wait_until(clock_.now() + Ms{5}, wakeup_);
    }
}

void MidiDriver::handle(const MidiMessage& m) {
    const auto ignore = [&](const char* why) {
        ignored_.fetch_add(1);
        std::cerr << "stillroom: midi: ignored a message (" << why << ")" << std::endl;
    };
    if (m.input >= config_.inputs.size()) return ignore("unknown input");
    if (m.size == 0 || m.size == 0xFF) return ignore("not a channel message");
    const std::uint8_t status = m.bytes[0];
    if (status < 0x80) return ignore("no status byte");
    const int type = status & 0xF0;
    const int channel = (status & 0x0F) + 1;
    if ((type == 0x90 || type == 0x80 || type == 0xB0) && m.size != 3) return ignore("too short");
    if ((m.bytes[1] | m.bytes[2]) & 0x80) return ignore("data byte out of range");
    const auto& map = config_.inputs[m.input].map;
    InputPort& port = inputs_[m.input];
    for (std::size_t k = 0; k < map.size(); ++k) {
        const MidiMapping& e = map[k];
        if (e.channel && *e.channel != channel) continue;
        if (type == 0xB0 && e.cc && *e.cc == m.bytes[1]) {
            const int value = m.bytes[2];
            if (e.action == "volume" && actions_.volume_db && actions_.command) {
                const double now_db = actions_.volume_db();
                // Someone else moved the volume since this fader set it: pick up again.
                if (!std::isnan(port.set_value[k]) && std::fabs(now_db - port.set_value[k]) > 0.6) {
                    port.takeover[k].release();
                    port.set_value[k] = std::nan("");
                }
                if (port.takeover[k].accept(value,
                                            volume_db_to_cc(now_db, actions_.max_volume_db))) {
                    Command c;
                    c.kind = CommandKind::Volume;
                    c.db = cc_to_volume_db(value, actions_.max_volume_db);
                    port.set_value[k] = std::min(c.db, actions_.max_volume_db);
                    actions_.command(c);
                }
            } else if (e.action == "depth" && actions_.depth && actions_.command) {
                // Like the volume: the fader is an absolute depth (the "level" form, which
                // keeps the trim across phases), with soft takeover against the depth now.
                const double now = actions_.depth();
                if (!std::isnan(port.set_value[k]) && std::fabs(now - port.set_value[k]) > 0.01) {
                    port.takeover[k].release();
                    port.set_value[k] = std::nan("");
                }
                if (port.takeover[k].accept(value, static_cast<int>(std::lround(now * 127)))) {
                    Command c;
                    c.kind = CommandKind::Depth;
                    c.volume_how = VolumeHow::Level;
                    c.depth = value / 127.0;
                    port.set_value[k] = c.depth;
                    actions_.command(c);
                }
            } else if (e.action == "brightness" && actions_.set_brightness_trim &&
                       actions_.brightness_trim) {
                const double now = actions_.brightness_trim();
                if (!std::isnan(port.set_value[k]) && std::fabs(now - port.set_value[k]) > 0.01) {
                    port.takeover[k].release();
                    port.set_value[k] = std::nan("");
                }
                if (port.takeover[k].accept(value, static_cast<int>(std::lround(now * 127)))) {
                    port.set_value[k] = value / 127.0;
                    actions_.set_brightness_trim(value / 127.0);
                }
            }
        } else if (type == 0x90 && m.bytes[2] > 0 && e.note && *e.note == m.bytes[1] &&
                   actions_.command) {
            Command c;
            std::string name = e.action;
            if (name == "booster") name = "dose", c.booster = true;
            if (name == "comfort-off") name = "comfort", c.on = false;
            if (name == "lights-down") name = "lights-up", c.on = false;
            auto kind = command_kind_from_name(name);
            if (!kind) continue;
            c.kind = *kind;
            actions_.command(c);
        }
    }
}

void MidiDriver::apply(const Effect& effect, MonoTime) {
    const auto* cue = std::get_if<SendMidi>(&effect.body);
    if (!cue) return;
    if (!sends_.push(*cue))
        std::cerr << "stillroom: midi: too many cues waiting to be sent; one is dropped"
                  << std::endl;
}

void MidiDriver::send(const SendMidi& cue) {
    const SendMidi* send = &cue;
    std::lock_guard lock(mutex_);
    for (std::size_t i = 0; i < outputs_.size(); ++i) {
        if (config_.outputs[i].id != send->output) continue;
        OutputPort& out = outputs_[i];
        if (!out.connected || !out.midi) {
            std::cerr << "stillroom: midi: output \"" << send->output
                      << "\" is not connected; cue not sent" << std::endl;
            return;
        }
        try {
            out.midi->sendMessage(send->bytes.data(), send->bytes.size());
        } catch (const std::exception& e) {
            std::cerr << "stillroom: midi: " << e.what() << std::endl;
            out.connected = false;
            out.midi.reset();
        }
        return;
    }
}

Json MidiDriver::health() const {
    std::lock_guard lock(mutex_);
    Json ports = Json::array();
    bool ok = true;
    for (std::size_t i = 0; i < inputs_.size(); ++i) {
        ports.push_back({{"port", config_.inputs[i].port},
                         {"direction", "in"},
                         {"connected", inputs_[i].connected}});
        ok = ok && inputs_[i].connected;
    }
    for (std::size_t i = 0; i < outputs_.size(); ++i) {
        ports.push_back({{"id", config_.outputs[i].id},
                         {"port", config_.outputs[i].port},
                         {"direction", "out"},
                         {"connected", outputs_[i].connected}});
        ok = ok && outputs_[i].connected;
    }
    return {{"ok", ok},
            {"detail", ok ? "all MIDI ports connected" : "waiting for MIDI ports"},
            {"ports", ports},
            {"ignored", ignored_.load()}};
}

} // namespace stillroom
