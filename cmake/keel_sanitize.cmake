# KEEL_SANITIZE: the hosted build under AddressSanitizer (+ LeakSanitizer) and
# UndefinedBehaviorSanitizer, for `make sanitize` (docs/testing.md#sanitizers).
#
# Instrumented: everything the hosted build runs, the keel command, the hosted libraries,
# the unit and differential tests, and the plugin files keel loads (x86_64.so with its
# Zydis, the device plugins), whose imports of the sanitizer runtimes resolve against the
# keel process like any other import (hosted/plugin_memory.cpp). Not instrumented
# (KEEL_NO_SANITIZE_FLAGS): the freestanding libraries (the kernel's, checked by
# freestanding.imports for what the kernel runtime provides), and the plugin loader
# tests' plugins (tests/plugins), which unit.plugin loads and drops (an instrumented
# plugin's globals stay registered with ASan after it is gone) and whose refusal messages
# the tests check word for word. keel never unloads its plugins. The guest programs are built by their own commands
# and never instrumented.
#
# Findings end the process with KEEL_SANITIZE_EXITCODE (even, so no guest exit status
# (v << 1) | 1 and none of keel's own statuses can be mistaken for it). ASan and LSan
# reports also go to ${CMAKE_BINARY_DIR}/sanitizer-logs, which `make sanitize` requires
# to be empty; UBSan's go to standard error (next to ASan, GCC's libubsan ignores
# log_path), and the tests that run keel check its exact exit status.
include_guard(GLOBAL)

option(KEEL_SANITIZE "Instrument the hosted build with -fsanitize=address,undefined" OFF)
set(KEEL_SANITIZE_EXITCODE 86)
set(KEEL_SANITIZE_LOG_DIR ${CMAKE_BINARY_DIR}/sanitizer-logs)
set(KEEL_SANITIZE_SUPP_DIR ${PROJECT_SOURCE_DIR}/tests/sanitize)
set(KEEL_NO_SANITIZE_FLAGS)   # compile options of the targets left uninstrumented

if(KEEL_SANITIZE)
  # UBSan stays recoverable at compile time so that tests/sanitize/ubsan.supp can
  # suppress a third-party finding; halt_on_error=1 below makes every other one fatal.
  # No vptr check: it needs the RTTI that dbt/, plugins/ and machine/ are built without
  # (-fno-rtti, cmake/keel_flags.cmake), so instrumented hosted code would reference
  # typeinfo those libraries never emit.
  set(KEEL_SANITIZE_FLAGS -fsanitize=address,undefined -fno-sanitize=vptr -fno-omit-frame-pointer)
  add_compile_options("$<$<COMPILE_LANGUAGE:C,CXX>:${KEEL_SANITIZE_FLAGS}>")
  # Executables only: plugin files (MODULE libraries, -nostdlib) must not pull in the
  # sanitizer runtimes.
  string(JOIN " " _keel_sanitize_link ${KEEL_SANITIZE_FLAGS})
  string(APPEND CMAKE_EXE_LINKER_FLAGS " ${_keel_sanitize_link}")
  set(KEEL_NO_SANITIZE_FLAGS -fno-sanitize=all)

  set(_common "exitcode=${KEEL_SANITIZE_EXITCODE}:halt_on_error=1:print_stacktrace=1")
  set(KEEL_SANITIZE_ENV
    "ASAN_OPTIONS=${_common}:detect_leaks=1:log_path=${KEEL_SANITIZE_LOG_DIR}/asan"
    "LSAN_OPTIONS=exitcode=${KEEL_SANITIZE_EXITCODE}:suppressions=${KEEL_SANITIZE_SUPP_DIR}/lsan.supp:print_suppressions=0"
    "UBSAN_OPTIONS=${_common}:suppressions=${KEEL_SANITIZE_SUPP_DIR}/ubsan.supp"
    # For the scripts whose checks an ASan process cannot take as they are: ulimit -v
    # (ASan reserves terabytes of shadow), valgrind (which cannot run ASan code) and a
    # resident-memory bound (shadow and quarantine add their own).
    "KEEL_SANITIZED=1")
  file(MAKE_DIRECTORY ${KEEL_SANITIZE_LOG_DIR})
  message(STATUS "KEEL_SANITIZE: hosted code built with ${KEEL_SANITIZE_FLAGS}; findings exit ${KEEL_SANITIZE_EXITCODE}, logs in ${KEEL_SANITIZE_LOG_DIR}")
endif()

# keel_sanitize_tests(): gives every test of the calling directory the sanitizer options
# (called at the end of each tests/*/CMakeLists.txt; CMake before 3.28 can only set a
# test's properties from the directory that added it). Does nothing without KEEL_SANITIZE.
function(keel_sanitize_tests)
  if(NOT KEEL_SANITIZE)
    return()
  endif()
  get_property(tests DIRECTORY PROPERTY TESTS)
  foreach(t ${tests})
    set_property(TEST ${t} APPEND PROPERTY ENVIRONMENT ${KEEL_SANITIZE_ENV})
  endforeach()
endfunction()
