// What a `mosquitto_sub -F '%r %t %p'` process wrote: one line per message (retain flag,
// topic, payload). The MQTT integration tests read the broker's side of the room this way.
#pragma once

#include "helpers.hpp"

#include <filesystem>
#include <sstream>
#include <string>
#include <vector>

namespace stillroom::test {

struct SubLine {
    bool retained = false;
    std::string topic, payload;
};

inline std::vector<SubLine> read_sub_lines(const std::filesystem::path& file) {
    std::vector<SubLine> out;
    std::istringstream in(read_text(file));
    for (std::string line; std::getline(in, line);) {
        std::istringstream s(line);
        SubLine l;
        int r = 0;
        s >> r >> l.topic;
        std::getline(s, l.payload);
        if (!l.payload.empty() && l.payload.front() == ' ') l.payload.erase(0, 1);
        l.retained = r == 1;
        out.push_back(l);
    }
    return out;
}

} // namespace stillroom::test
