#include "dbt/plugin/device_options.h"
#include "dbt/base/parse_number.h"
#include "dbt/base/string.h"

namespace keel {
namespace {

bool is_space(char c) { return c == ' ' || c == '\t'; }

// Calls `visit(key, key_length, value, value_length)` for each word; stops when it
// returns false.
template<typename Visit>
void each_option(const char* options, Visit visit)
{
    const char* p = options ? options : "";
    while (*p) {
        while (is_space(*p))
            ++p;
        const char* word = p;
        while (*p && !is_space(*p))
            ++p;
        if (p == word)
            break;
        const char* eq = word;
        while (eq < p && *eq != '=')
            ++eq;
        const char* value = eq < p ? eq + 1 : p;
        if (!visit(word, static_cast<usize>(eq - word), value, static_cast<usize>(p - value)))
            return;
    }
}

bool key_is(const char* key, usize length, const char* wanted)
{
    return string_length(wanted) == length && __builtin_memcmp(key, wanted, length) == 0;
}

} // namespace

bool find_device_option(const char* options, const char* key, char* value, usize size)
{
    bool found = false;
    each_option(options, [&](const char* k, usize kl, const char* v, usize vl) {
        if (!key_is(k, kl, key))
            return true;
        usize n = vl < size - 1 ? vl : size - 1;
        __builtin_memcpy(value, v, n);
        value[n] = '\0';
        found = true;
        return false;
    });
    return found;
}

Result<u64> device_option_number(const char* device, const char* options, const char* key, u64 fallback, u64 max)
{
    char text[32];
    if (!find_device_option(options, key, text, sizeof(text)))
        return fallback;
    if (!text[0])
        return Error::formatted("%s: option %s= has no value", device, key);
    u64 value;
    if (!parse_number(text, value))
        return Error::formatted("%s: option %s=%s is not a number", device, key, text);
    if (value > max)
        return Error::formatted("%s: option %s=%s is above %llu", device, key, text, (unsigned long long)max);
    return value;
}

Result<void> check_device_options(const char* device, const char* type, const char* options, const char* known)
{
    char unknown[32] = {};
    each_option(options, [&](const char* key, usize key_length, const char*, usize) {
        bool listed = false;
        each_option(known, [&](const char* k, usize kl, const char*, usize) {
            listed = kl == key_length && __builtin_memcmp(k, key, kl) == 0;
            return !listed;
        });
        if (listed)
            return true;
        usize n = key_length < sizeof(unknown) - 1 ? key_length : sizeof(unknown) - 1;
        __builtin_memcpy(unknown, key, n);
        return false;
    });
    if (!unknown[0])
        return {};
    if (!known || !known[0])
        return Error::formatted("%s: unknown option '%s' (%s takes no options)", device, unknown, type);
    return Error::formatted("%s: unknown option '%s' (%s takes: %s)", device, unknown, type, known);
}

} // namespace keel
