// bench-compare: what changed since the previous `make bench`.
//
//   bench-compare DIR
//
// For every DIR/NAME.prev.json next to a DIR/NAME.json (make bench keeps the previous
// run's files under that name before running the benchmarks), prints each number found in
// both, old and new, and the change in percent. Numbers are named by their path in the
// JSON; an array element that has a "name" member is named by it ("workloads.branchy.keel.
// median_s"), others by index. Only what the benchmarks write is expected: objects, arrays,
// numbers, strings, true/false/null.
#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <dirent.h>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

namespace {

using Figures = std::map<std::string, double>;

class Reader {
public:
    explicit Reader(const std::string& text) : m_text(text) {}

    bool read(Figures& out)
    {
        value("", out);
        skip_space();
        return m_ok && m_at == m_text.size();
    }

private:
    void skip_space()
    {
        while (m_at < m_text.size() && std::isspace(static_cast<unsigned char>(m_text[m_at])))
            m_at++;
    }
    bool take(char c)
    {
        skip_space();
        if (m_at < m_text.size() && m_text[m_at] == c) {
            m_at++;
            return true;
        }
        return false;
    }
    std::string string()
    {
        std::string s;
        if (!take('"')) {
            m_ok = false;
            return s;
        }
        while (m_at < m_text.size() && m_text[m_at] != '"') {
            if (m_text[m_at] == '\\' && m_at + 1 < m_text.size())
                m_at++; // the escaped character stands for itself (good enough for names)
            s += m_text[m_at++];
        }
        m_ok = m_ok && take('"');
        return s;
    }
    static std::string join(const std::string& path, const std::string& key) { return path.empty() ? key : path + "." + key; }

    // Reads one value; numbers go into `out` under `path`. Returns the string value, if
    // the value was a string (an array element's "name").
    std::string value(const std::string& path, Figures& out)
    {
        skip_space();
        if (!m_ok || m_at >= m_text.size()) {
            m_ok = false;
            return {};
        }
        char c = m_text[m_at];
        if (c == '{') {
            object(path, out);
        } else if (c == '[') {
            m_at++;
            for (int index = 0; m_ok && !take(']'); index++) {
                if (index > 0 && !take(',')) {
                    m_ok = false;
                    break;
                }
                // Read the element apart, then file its numbers under its name or index.
                Figures element;
                std::string name = object_name_ahead();
                value("", element);
                std::string key = name.empty() ? std::to_string(index) : name;
                for (const auto& [k, v] : element)
                    out[join(join(path, key), k)] = v;
            }
        } else if (c == '"') {
            return string();
        } else if (c == '-' || std::isdigit(static_cast<unsigned char>(c))) {
            char* end = nullptr;
            double number = std::strtod(m_text.c_str() + m_at, &end);
            m_at = static_cast<size_t>(end - m_text.c_str());
            out[path] = number;
        } else {
            while (m_at < m_text.size() && std::isalpha(static_cast<unsigned char>(m_text[m_at])))
                m_at++; // true, false, null
        }
        return {};
    }
    void object(const std::string& path, Figures& out)
    {
        m_at++; // '{'
        for (int member = 0; m_ok && !take('}'); member++) {
            if (member > 0 && !take(',')) {
                m_ok = false;
                return;
            }
            std::string key = string();
            if (!take(':')) {
                m_ok = false;
                return;
            }
            value(join(path, key), out);
        }
    }
    // The "name" member of the object starting here, if it has one (without consuming).
    std::string object_name_ahead()
    {
        skip_space();
        if (m_at >= m_text.size() || m_text[m_at] != '{')
            return {};
        size_t at = m_text.find("\"name\"", m_at);
        size_t close = m_text.find('}', m_at);
        if (at == std::string::npos || at > close)
            return {};
        size_t quote = m_text.find('"', m_text.find(':', at) + 1);
        size_t end = m_text.find('"', quote + 1);
        return quote == std::string::npos || end == std::string::npos ? std::string() : m_text.substr(quote + 1, end - quote - 1);
    }

    const std::string& m_text;
    size_t m_at = 0;
    bool m_ok = true;
};

bool load(const std::string& path, Figures& out)
{
    std::ifstream in(path);
    if (!in)
        return false;
    std::stringstream text;
    text << in.rdbuf();
    return Reader(text.str()).read(out);
}

}

int main(int argc, char** argv)
{
    if (argc != 2) {
        std::fputs("usage: bench-compare DIR\n", stderr);
        return 2;
    }
    std::string dir = argv[1];
    std::vector<std::string> names;
    if (DIR* d = opendir(dir.c_str())) {
        while (dirent* e = readdir(d)) {
            std::string file = e->d_name;
            const std::string suffix = ".prev.json";
            if (file.size() > suffix.size() && file.compare(file.size() - suffix.size(), suffix.size(), suffix) == 0)
                names.push_back(file.substr(0, file.size() - suffix.size()));
        }
        closedir(d);
    }
    if (names.empty()) {
        std::puts("bench-compare: no previous run to compare with");
        return 0;
    }
    std::sort(names.begin(), names.end());
    for (const std::string& name : names) {
        Figures before, after;
        if (!load(dir + "/" + name + ".prev.json", before) || !load(dir + "/" + name + ".json", after)) {
            std::printf("%s: cannot read both %s.prev.json and %s.json\n", name.c_str(), name.c_str(), name.c_str());
            continue;
        }
        std::printf("%s.json, against the previous run:\n", name.c_str());
        for (const auto& [key, now] : after) {
            auto was = before.find(key);
            if (was == before.end() || key.find("runs_s") != std::string::npos || key == "runs")
                continue;
            double change = was->second != 0 ? (now - was->second) / std::fabs(was->second) * 100 : 0;
            std::printf("  %-52s %14.4g %14.4g %+8.1f %%\n", key.c_str(), was->second, now, change);
        }
    }
    return 0;
}
