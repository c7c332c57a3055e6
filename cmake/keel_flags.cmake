# Compiler settings shared by every keel target, and the freestanding variant the
# bare-metal kernel links (ARCHITECTURE.md: dbt/ and plugins/ compile twice).

set(KEEL_WARNINGS -Wall -Wextra -Wno-unused-parameter -Wno-missing-field-initializers)

# dbt/, plugins/ and kernel/ never use exceptions or RTTI, in either build, so the hosted
# build cannot hide a dependency the kernel lacks.
set(KEEL_ENGINE_FLAGS -fno-exceptions -fno-rtti ${KEEL_WARNINGS})

set(KEEL_FREESTANDING_FLAGS
  -ffreestanding -fno-exceptions -fno-rtti -mno-red-zone -fno-stack-protector
  -fno-threadsafe-statics -fno-asynchronous-unwind-tables -fno-use-cxa-atexit
  -fno-omit-frame-pointer -fno-gnu-unique -fPIC -DKEEL_FREESTANDING=1)

# keel_add_dual_library(NAME SOURCES ... [LINK libs...] [INCLUDES dirs...])
# Creates NAME (hosted, for tests, benchmarks and the keel CLI) and NAME_freestanding
# (the kernel's build) from the same sources.
function(keel_add_dual_library name)
  cmake_parse_arguments(ARG "" "" "SOURCES;LINK;LINK_FREESTANDING;INCLUDES;DEFINES" ${ARGN})
  add_library(${name} STATIC ${ARG_SOURCES})
  target_compile_options(${name} PRIVATE ${KEEL_ENGINE_FLAGS})
  target_include_directories(${name} PUBLIC ${PROJECT_SOURCE_DIR} ${ARG_INCLUDES})
  target_compile_definitions(${name} PUBLIC ${ARG_DEFINES})
  target_link_libraries(${name} PUBLIC ${ARG_LINK})

  add_library(${name}_freestanding STATIC ${ARG_SOURCES})
  target_compile_options(${name}_freestanding PRIVATE ${KEEL_FREESTANDING_FLAGS} ${KEEL_WARNINGS}
    ${KEEL_NO_SANITIZE_FLAGS})
  target_include_directories(${name}_freestanding PUBLIC ${PROJECT_SOURCE_DIR} ${ARG_INCLUDES})
  target_compile_definitions(${name}_freestanding PUBLIC ${ARG_DEFINES} KEEL_FREESTANDING=1)
  target_link_libraries(${name}_freestanding PUBLIC ${ARG_LINK_FREESTANDING})
endfunction()
