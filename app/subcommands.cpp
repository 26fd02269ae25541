// The table of subcommands: names, options and help.
#include "app/commands.hpp"

namespace stillroom::app {

const std::vector<Subcommand>& subcommands() {
    static const std::vector<Subcommand> table = {
        {{"demo",
          "run the room with the bundled example library, simulated lights and the tablet UI",
          "stillroom demo [--state-dir DIR] [--listen HOST:PORT] [--speed N]",
          {{"--state-dir", "DIR",
            "where journals go (default: ~/.local/state/stillroom/demo/state)"},
           {"--listen", "HOST:PORT", "tablet UI address (default 127.0.0.1:8080)"},
           {"--speed", "N", "run session time N times faster than real time (default 1)"},
           {"--no-start", "", "do not start a session: wait for the tablet"},
           {"--library", "DIR",
            "the library (default: a copy of the bundled examples in "
            "~/.local/state/stillroom/demo/library)"},
           {"--start", "TEMPLATE", "start this session at once (default: wait for the tablet)"},
           {"--console", "", "read commands from stdin (on by default when stdin is a terminal)"},
           {"--audio", "portaudio|null|off",
            "where the music goes (default portaudio, silent sink if no device)"},
           {"--broker", "URL",
            "mqtt://127.0.0.1:PORT: a local broker for the demo (scripts/demo.sh starts a private "
            "mosquitto); a room.json without \"mqtt\" or \"vitals\" gets that broker and two "
            "simulated monitors on it, in memory only"},
           {"--no-vitals", "",
            "no simulated monitors (default: when room.json has \"mqtt\" and \"vitals\", the "
            "demo publishes a simulated oximeter and cuff to the room's broker)"},
           {"--desaturate", "",
            "the simulated oximeter desaturates (SpO2 to 86) from 20 s to 100 s"}}},
         cmd_demo},
        {{"run",
          "the room daemon: devices, engine, tablet UI/API, journal; resumes an unfinished session",
          "stillroom run --library DIR [--state-dir DIR]",
          {{"--library", "DIR", "the library folder", true},
           {"--state-dir", "DIR", "journals and runtime state (default: room.json state_dir)"},
           {"--listen", "HOST:PORT", "override control.listen (\"off\": no tablet API)"},
           {"--speed", "N", "run session time N times faster (testing only)"},
           {"--start", "TEMPLATE", "start this session template unless one is resumed"},
           {"--console", "", "read commands (dose, next, comfort, ...) from stdin"},
           {"--audio", "portaudio|null|off", "where the music goes (default portaudio)"}}},
         cmd_run},
        {{"check",
          "validate everything in a library and list every problem",
          "stillroom check --library DIR [--format text|json]",
          {{"--library", "DIR", "the library folder", true},
           {"--format", "text|json", "output format (default text)"}}},
         cmd_check},
        {{"plan",
          "print the planned timeline of a session template",
          "stillroom plan --library DIR --session NAME [--format text|json]",
          {{"--library", "DIR", "the library folder", true},
           {"--session", "NAME", "the template (sessions/NAME.json)", true},
           {"--format", "text|json", "text (default) or one JSON object per line"}}},
         cmd_plan},
        {{"render",
          "render the planned session (or part of it) offline to FLAC or WAV (and light targets)",
          "stillroom render --library DIR --session NAME --out FILE.flac|FILE.wav [--format "
          "flac|wav16|wav32f] "
          "[--from TIME] [--to TIME] [--gain-db N | --normalize] [--lights FILE.jsonl]",
          {{"--library", "DIR", "the library folder", true},
           {"--session", "NAME", "the template (sessions/NAME.json)", true},
           {"--out", "FILE", "where the audio goes", true},
           {"--format", "flac|wav16|wav32f",
            "16-bit FLAC, 16-bit WAV or float WAV (default: flac for *.flac, else wav16)"},
           {"--from", "TIME",
            "session time where the file starts (10m, 1h5m, 1:05:00); sample N = session sample "
            "from+N"},
           {"--to", "TIME", "session time where the file ends (default: the end of the session)"},
           {"--gain-db", "N",
            "rehearsal gain on the written audio, -60 to 60 dB (clipped past full scale, counted)"},
           {"--normalize", "",
            "rehearsal gain that brings the written part's peak to -1 dBFS (two passes)"},
           {"--lights", "FILE.jsonl", "light targets, one JSON object per line"},
           {"--rate", "HZ", "sample rate (default: room.json audio.sample_rate, else 48000)"}}},
         cmd_render},
        {{"playlist",
          "curator tools: import an M3U, export as M3U, analyze durations and loudness",
          "stillroom playlist import FILE.m3u --library DIR [--name ID] [--force] [--windows-paths "
          "report|tail] | "
          "playlist export NAME --library DIR [--out FILE.m3u8] | playlist analyze NAME --library "
          "DIR [--format text|json]",
          {{"--library", "DIR", "the library folder", true},
           {"--name", "ID", "import: the playlist id (default: the file's name)"},
           {"--force", "", "import: replace an existing playlist"},
           {"--windows-paths", "report|tail",
            "import: C:\\... entries are reported (default) or found by the end of their path "
            "inside the library"},
           {"--out", "FILE", "export: write here (paths relative to it) instead of stdout"},
           {"--format", "text|json", "analyze: output format"}},
          2,
          2},
         cmd_playlist},
        {{"devices",
          "find Zigbee2MQTT lights; set how they come back after a power cut; fade each light and "
          "sound each output to check the room",
          "stillroom devices discover [--library DIR | --url mqtt://HOST:PORT | --file "
          "DEVICES.json] [--base zigbee2mqtt] | "
          "devices prepare [--library DIR | --url URL] [--power-on previous|off|on] | devices test "
          "--library DIR [--light ID] [--audio portaudio|null|off]",
          {{"--library", "DIR", "use room.json's broker (discover) / the room to test (test)"},
           {"--url", "URL", "discover: the broker, if not from room.json"},
           {"--file", "FILE", "discover: read a saved bridge/devices payload instead"},
           {"--base", "TOPIC", "discover: the Zigbee2MQTT base topic (default zigbee2mqtt)"},
           {"--timeout", "S",
            "discover, prepare: how long to wait for the bridge and the lights (default 10)"},
           {"--power-on", "previous|off|on",
            "prepare: how lights come back after a power cut (default previous)"},
           {"--light", "ID", "test: only this light"},
           {"--audio", "portaudio|null|off", "test: where the tones go"}},
          1,
          1},
         cmd_devices},
        {{"report",
          "the session record for clinical notes, from the journal (JSON, CSV, printable HTML "
          "or a FHIR R4 Bundle)",
          "stillroom report SESSION_ID [--state-dir DIR | --library DIR] "
          "[--format json|csv|html|fhir]",
          {{"--state-dir", "DIR",
            "where the journals are (default: room.json state_dir with --library, else ./state; "
            "without --state-dir the demo's own state is looked in too)"},
           {"--library", "DIR", "find the state dir from this library's room.json"},
           {"--format", "json|csv|html|fhir",
            "json (default, the complete record), csv (one row per event), html (printable), "
            "fhir (a FHIR R4 Bundle)"}},
          1,
          1},
         cmd_report},
        {{"clinic",
          "the clinic overview: every room on the broker(s), alerts, a web page and API",
          "stillroom clinic --config clinic.json [--listen HOST:PORT]",
          {{"--config", "FILE", "clinic.json (mqtt, control, users; see docs/clinic.md)", true},
           {"--listen", "HOST:PORT", "override control.listen"}}},
         cmd_clinic},
        {{"vitals",
          "publish plausible monitors (oximeter, cuff) to the room's broker, in each room.json "
          "vitals source's own format",
          "stillroom vitals simulate --library DIR [--desaturate] [--seconds N] [--cuff-every S]",
          {{"--library", "DIR", "the room whose vitals sources and broker to use", true},
           {"--desaturate", "", "add a desaturation episode (SpO2 to 86) from 20 s to 100 s"},
           {"--seconds", "N", "stop after N seconds (default: until Ctrl-C)"},
           {"--cuff-every", "S", "a cuff / spot-check reading every S seconds (default 300)"}},
          1,
          1},
         cmd_vitals},
        {{"tls",
          "make the room's own CA and server certificate for tablets (HTTPS), or renew it",
          "stillroom tls init --dir DIR --host NAME [--host NAME...] | tls renew --dir DIR [--host "
          "NAME...]",
          {{"--dir", "DIR", "where ca.pem, ca-key.pem, cert.pem and key.pem go", true},
           {"--host", "NAME",
            "a name or IP address tablets use for the room (repeat for more); renew: default the "
            "names of the current cert.pem"}},
          1,
          1},
         cmd_tls},
        {{"broker-config",
          "the broker's users and ACLs for a clinic: mosquitto password_file + acl_file, "
          "RabbitMQ users and topic permissions",
          "stillroom broker-config --clinic clinic.json --rooms DIR [DIR...] --out DIR",
          {{"--clinic", "FILE", "clinic.json (the overview's mqtt.username, rooms_topic)", true},
           {"--rooms", "DIR", "a room's library (more room libraries may follow)", true},
           {"--out", "DIR", "where the files go (mosquitto/, rabbitmq/, secrets/)", true}},
          0,
          1000},
         cmd_broker_config},
        {{"hash-pin",
          "read a PIN on stdin and print the pin_hash for room.json (Argon2id)",
          "stillroom hash-pin",
          {}},
         cmd_hash_pin},
    };
    return table;
}

} // namespace stillroom::app
