// MIDI (RtMidi, wrapped here once; on Linux through JACK, which needs no ALSA sequencer).
// Inputs: a fader (CC) moves the volume, the depth (0..127 = 0..1) or a brightness trim through a
// perceptual curve with soft takeover, so a fader never jumps the room; a note triggers a session
// action. Outputs: cues send their bytes (e.g. MIDI Show Control GO). A missing port is a warning
// and a retry every two seconds, never a crash.
#pragma once

#include "devices/driver_inbox.hpp"
#include "engine/clock.hpp"
#include "engine/commands.hpp"
#include "engine/room_driver.hpp"
#include "library/room_config.hpp"
#include "playlists/spsc_queue.hpp"

#include <array>
#include <atomic>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

class RtMidiIn;
class RtMidiOut;

namespace stillroom {

// What the MIDI driver needs of the room.
struct MidiActions {
    std::function<void(const Command&)> command; // session actions and volume
    std::function<double()> volume_db;           // the session volume now
    std::function<double()> depth;               // the session's depth (arc + trim) now
    std::function<void(double)> set_brightness_trim;
    std::function<double()> brightness_trim;
    double max_volume_db = -6;
};

// The fader curves: 7-bit value <-> dB (0 is silence; 1..127 linear in dB from -60 dB up
// to the room's maximum) and <-> perceived brightness trim (linear in L*).
double cc_to_volume_db(int value, double max_volume_db);
int volume_db_to_cc(double db, double max_volume_db);

// Soft takeover: a fader only takes control once it reaches (or crosses) where the value
// already is; until then its moves are ignored.
class SoftTakeover {
public:
    // Returns true if this fader position should now set the value.
    bool accept(int fader, int current);
    void release() {
        engaged_ = false;
        last_ = -1;
    }
    bool engaged() const { return engaged_; }

private:
    bool engaged_ = false;
    int last_ = -1;
};

struct MidiMessage {
    std::array<std::uint8_t, 3> bytes{};
    std::uint8_t size = 0;
    std::uint8_t input = 0; // index into the config's inputs
};

class MidiDriver;
// Passed to RtMidi's input callback: which driver, which input.
struct MidiInputContext {
    MidiDriver* driver = nullptr;
    std::uint8_t index = 0;
};

class MidiDriver final : public RoomDriver {
public:
    // `clock` (real time) paces the worker thread and its reconnects.
    MidiDriver(MidiConfig config, MidiActions actions, DeviceClock& clock);
    ~MidiDriver() override;
    void start();
    void stop();

    std::string name() const override { return "midi"; }
    // Queues a SendMidi cue for the send thread and returns (opening a port can hang on a
    // busy JACK server; the engine thread must never wait for it). Runs on: the engine thread.
    void apply(const Effect& effect, MonoTime at) override;
    void reconcile(const DesiredState&, MonoTime) override {}
    // Blocks until every cue applied so far has been sent (or given up). Tests.
    void wait_sent() { sends_.wait_idle(); }
    Json health() const override;

    // Handles one incoming message (the worker thread calls this; tests may too).
    void handle(const MidiMessage& message);
    std::uint64_t ignored() const { return ignored_.load(); }

    // Internal: from RtMidi's callback thread (JACK's process thread). Never blocks.
    void enqueue(std::uint8_t input, const std::vector<unsigned char>& bytes);

private:
    void connect_missing();
    void worker();
    void send(const SendMidi& cue); // Runs on: the send thread (the inbox's).

    MidiConfig config_;
    MidiActions actions_;
    struct InputPort {
        std::unique_ptr<RtMidiIn> midi;
        bool connected = false;
        bool warned = false;
        std::vector<SoftTakeover> takeover; // one per map entry
        std::vector<double> set_value;      // what this fader last set, to notice outside changes
        MidiInputContext context;
        // From this port's MIDI thread (its own JACK client): exactly one producer.
        std::unique_ptr<SpscQueue<MidiMessage, 256>> queue =
            std::make_unique<SpscQueue<MidiMessage, 256>>();
    };
    struct OutputPort {
        std::unique_ptr<RtMidiOut> midi;
        bool connected = false;
        bool warned = false;
    };
    mutable std::mutex mutex_;
    std::vector<InputPort> inputs_;
    std::vector<OutputPort> outputs_;
    std::atomic<bool> running_{false};
    std::atomic<std::uint64_t> ignored_{0};
    DeviceClock& clock_;
    Wakeup wakeup_;
    std::thread thread_;
    DriverInbox<SendMidi> sends_; // last: its thread stops first
};

} // namespace stillroom
