// The template's dose and monitoring declarations, and the check of a dose mark's fields.
#include "engine/dose_spec.hpp"

#include <algorithm>
#include <array>
#include <chrono>
#include <cmath>
#include <cstdio>

namespace stillroom {

namespace {

// SNOMED CT route codes as FHIR R4's route-codes value set lists them
// (http://hl7.org/fhir/ValueSet/route-codes).
constexpr std::array<DoseRoute, 6> kRoutes{{
    {"IM", "78421000", "Intramuscular route"},
    {"IV", "47625008", "Intravenous route"},
    {"SL", "37839007", "Sublingual route"},
    {"IN", "46713006", "Nasal route"},
    {"PO", "26643006", "Oral route"},
    {"SC", "34206005", "Subcutaneous route"},
}};

// The heaviest single dose the field may declare, in mg (a limit on typing, not a clinical one).
constexpr double kMaxAmountMg = 10000;

std::string number_text(double v) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%g", v);
    return buf;
}

bool is_code_char(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '.';
}

bool is_uri(const std::string& s) {
    if (s.size() > 200) return false;
    if (s.rfind("http://", 0) != 0 && s.rfind("https://", 0) != 0 && s.rfind("urn:", 0) != 0)
        return false;
    return std::none_of(s.begin(), s.end(), [](char c) {
        return static_cast<unsigned char>(c) <= ' ' || c == '"' || c == '<' || c == '>';
    });
}

void read_medication(ObjectReader& m, DoseSpec& out) {
    MedicationCode med;
    Problems& problems = m.problems();
    if (auto s = m.string("system", Need::Required)) {
        if (!is_uri(*s))
            problems.error(m.path_of("system"),
                           "expected the code system's URI, such as "
                           "\"http://www.nlm.nih.gov/research/umls/rxnorm\" or "
                           "\"http://snomed.info/sct\", got " +
                               describe_json(Json(*s)));
        med.system = *s;
    }
    if (auto c = m.string("code", Need::Required)) {
        if (c->empty() || c->size() > 32 || !std::all_of(c->begin(), c->end(), is_code_char))
            problems.error(m.path_of("code"),
                           "expected a code of letters, digits, '-' or '.' (at most 32), got " +
                               describe_json(Json(*c)));
        med.code = *c;
    }
    if (auto d = m.string("display")) {
        if (d->size() > 80 || std::any_of(d->begin(), d->end(), [](char ch) {
                return static_cast<unsigned char>(ch) < ' ';
            }))
            problems.error(m.path_of("display"), "expected the code's display name (one line, "
                                                 "at most 80 characters)");
        med.display = *d;
    }
    m.finish();
    out.medication = med;
}

void read_fields(ObjectReader& f, DoseFields& out) {
    Problems& problems = f.problems();
    if (auto a = f.object("amount_mg")) {
        const auto min = a->number("min", Need::Required, 0, kMaxAmountMg);
        const auto max = a->number("max", Need::Required, 0, kMaxAmountMg);
        a->finish();
        if (min && max) {
            if (*min >= *max)
                problems.error(json_path_key(f.path_of("amount_mg"), "min"),
                               "must be below max (" + number_text(*max) + ")");
            out.amount_mg = true;
            out.amount_min_mg = *min;
            out.amount_max_mg = *max;
        }
    }
    if (const Json* routes = f.array("route")) {
        const std::string path = f.path_of("route");
        if (routes->empty()) problems.error(path, "expected at least one route code");
        for (std::size_t i = 0; i < routes->size(); ++i) {
            const Json& r = (*routes)[i];
            const std::string at = json_path_index(path, i);
            if (!r.is_string() || !find_dose_route(r.get<std::string>())) {
                problems.error(at, "expected one of " + dose_route_codes() + ", got " +
                                       describe_json(r));
                continue;
            }
            const std::string code = r.get<std::string>();
            if (std::find(out.routes.begin(), out.routes.end(), code) != out.routes.end())
                problems.error(at, "\"" + code + "\" is listed twice");
            else
                out.routes.push_back(code);
        }
    }
    f.finish();
}

} // namespace

const DoseRoute* find_dose_route(std::string_view code) {
    for (const auto& r : kRoutes)
        if (code == r.code) return &r;
    return nullptr;
}

std::string dose_route_codes() {
    std::string out;
    for (const auto& r : kRoutes)
        out += (out.empty() ? "" : ", ") + std::string(r.code);
    return out;
}

void read_dose_spec(ObjectReader& dose, DoseSpec& out) {
    if (auto m = dose.object("medication")) read_medication(*m, out);
    if (auto f = dose.object("fields")) read_fields(*f, out.fields);
    dose.finish();
}

std::string check_dose_values(const DoseFields& fields, const std::optional<double>& amount_mg,
                              const std::string& route) {
    if (amount_mg) {
        if (!fields.amount_mg)
            return "amount_mg: this session's template declares no dose amount "
                   "(\"dose\": {\"fields\": {\"amount_mg\"}})";
        if (!std::isfinite(*amount_mg) || *amount_mg < fields.amount_min_mg ||
            *amount_mg > fields.amount_max_mg)
            return "amount_mg: expected " + number_text(fields.amount_min_mg) + " to " +
                   number_text(fields.amount_max_mg) + " mg, got " + number_text(*amount_mg);
    }
    if (!route.empty()) {
        if (fields.routes.empty())
            return "route: this session's template declares no route "
                   "(\"dose\": {\"fields\": {\"route\"}})";
        if (std::find(fields.routes.begin(), fields.routes.end(), route) == fields.routes.end()) {
            std::string offered;
            for (const auto& r : fields.routes)
                offered += (offered.empty() ? "" : ", ") + r;
            return "route: expected one of " + offered + ", got \"" + route + "\"";
        }
    }
    return "";
}

void read_monitoring_spec(ObjectReader& m, std::optional<MonitoringSpec>& out) {
    if (auto after = m.duration("after_dose", Need::Required)) {
        if (*after < std::chrono::minutes{1} || *after > std::chrono::hours{24})
            m.problems().error(m.path_of("after_dose"), "expected 1m to 24h");
        else
            out = MonitoringSpec{*after};
    }
    m.finish();
}

} // namespace stillroom
