#pragma once
// A plugin that provides one device type (plugins/devices/<name>/plugin.cpp):
//
//   KEEL_DEVICE_PLUGIN("uart16550", keel::devices::uart16550_type);
//
// expands to the plugin descriptor and an initialize() that checks the host's ABI version
// and registers the type. The type object itself lives in the device's folder so that
// builds without plugin files (the unit tests) can register it directly.
#include "dbt/base/format.h"
#include "dbt/plugin/abi.h"

#define KEEL_DEVICE_PLUGIN(type_name, type_object)                                                                                 \
    namespace {                                                                                                          \
    bool keel_device_plugin_initialize(                                                                                  \
        const keel::PluginHost* host, keel::PluginRegistry* registry, char* error, keel::usize error_size)               \
    {                                                                                                                    \
        if (host->abi_version != KEEL_PLUGIN_ABI_VERSION) {                                                              \
            keel::format(error, error_size, "built for plugin ABI %u, host has %u", KEEL_PLUGIN_ABI_VERSION,            \
                host->abi_version);                                                                                      \
            return false;                                                                                                \
        }                                                                                                                \
        auto added = registry->add_device_type(type_object);                                                             \
        if (added.is_error()) {                                                                                          \
            keel::format(error, error_size, "%s", added.error().message());                                              \
            return false;                                                                                                \
        }                                                                                                                \
        return true;                                                                                                     \
    }                                                                                                                    \
    }                                                                                                                    \
    KEEL_PLUGIN(type_name, "the device type " type_name, keel_device_plugin_initialize)
