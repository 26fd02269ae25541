// The table of subcommands: names, options and help.
#include "app/commands.hpp"

namespace stillroom::app {

const std::vector<Subcommand>& subcommands() {
    static const std::vector<Subcommand> table = {
        {{"demo",
          "run the room with the bundled example library, simulated lights and the tablet UI",
          "stillroom demo [--state-dir DIR] [--listen HOST:PORT] [--speed N]",
          {{"--state-dir", "DIR", "where journals go (default: a temporary folder)"},
           {"--listen", "HOST:PORT", "tablet UI address (default 127.0.0.1:8080)"},
           {"--speed", "N", "run session time N times faster than real time (default 1)"},
           {"--library", "DIR", "the example library (default: found beside the executable)"},
           {"--start", "TEMPLATE", "the session to start (default im-ketamine)"},
           {"--console", "", "read commands from stdin (on by default when stdin is a terminal)"},
           {"--audio", "portaudio|null|off", "where the music goes (default portaudio, silent sink if no device)"}}},
         cmd_demo},
        {{"run", "the room daemon: devices, engine, tablet UI/API, journal; resumes an unfinished session",
          "stillroom run --library DIR [--state-dir DIR]",
          {{"--library", "DIR", "the library folder", true},
           {"--state-dir", "DIR", "journals and runtime state (default: room.json state_dir)"},
           {"--listen", "HOST:PORT", "override control.listen"},
           {"--speed", "N", "run session time N times faster (testing only)"},
           {"--start", "TEMPLATE", "start this session template unless one is resumed"},
           {"--console", "", "read commands (dose, next, comfort, ...) from stdin"},
           {"--audio", "portaudio|null|off", "where the music goes (default portaudio)"}}},
         cmd_run},
        {{"check", "validate everything in a library and list every problem",
          "stillroom check --library DIR [--format text|json]",
          {{"--library", "DIR", "the library folder", true},
           {"--format", "text|json", "output format (default text)"}}},
         cmd_check},
        {{"plan", "print the planned timeline of a session template",
          "stillroom plan --library DIR --session NAME [--format text|json]",
          {{"--library", "DIR", "the library folder", true},
           {"--session", "NAME", "the template (sessions/NAME.json)", true},
           {"--format", "text|json", "text (default) or one JSON object per line"}}},
         cmd_plan},
        {{"render", "render the whole planned session offline to a WAV file (and light targets)",
          "stillroom render --library DIR --session NAME --out FILE.wav [--lights FILE.jsonl]",
          {{"--library", "DIR", "the library folder", true},
           {"--session", "NAME", "the template (sessions/NAME.json)", true},
           {"--out", "FILE.wav", "where the audio goes", true},
           {"--lights", "FILE.jsonl", "light targets, one JSON object per line"},
           {"--rate", "HZ", "sample rate (default: room.json audio.sample_rate, else 48000)"}}},
         cmd_render},
        {{"playlist", "curator tools: import an M3U, export as M3U, analyze durations and loudness",
          "stillroom playlist import FILE.m3u --library DIR [--name ID] [--force] | "
          "playlist export NAME --library DIR [--out FILE.m3u8] | playlist analyze NAME --library DIR [--format text|json]",
          {{"--library", "DIR", "the library folder", true},
           {"--name", "ID", "import: the playlist id (default: the file's name)"},
           {"--force", "", "import: replace an existing playlist"},
           {"--out", "FILE", "export: write here (paths relative to it) instead of stdout"},
           {"--format", "text|json", "analyze: output format"}},
          2, 2},
         cmd_playlist},
        {{"devices", "find Zigbee2MQTT lights; fade each light and sound each output to check the room",
          "stillroom devices discover [--library DIR | --url mqtt://HOST:PORT | --file DEVICES.json] [--base zigbee2mqtt] | "
          "devices test --library DIR [--light ID] [--audio portaudio|null|off]",
          {{"--library", "DIR", "use room.json's broker (discover) / the room to test (test)"},
           {"--url", "URL", "discover: the broker, if not from room.json"},
           {"--file", "FILE", "discover: read a saved bridge/devices payload instead"},
           {"--base", "TOPIC", "discover: the Zigbee2MQTT base topic (default zigbee2mqtt)"},
           {"--timeout", "S", "discover: how long to wait for the bridge (default 10)"},
           {"--light", "ID", "test: only this light"},
           {"--audio", "portaudio|null|off", "test: where the tones go"}},
          1, 1},
         cmd_devices},
    };
    return table;
}

} // namespace stillroom::app
