# zydis_freestanding: Zydis built for the bare-metal kernel (docs/kernel-zydis.md).
#
# The hosted build links the system libzydis (Zydis::Zydis), which needs libc. The kernel
# links this static build of the same version instead, compiled from Debian's source
# package with ZYAN_NO_LIBC: Zydis then takes no libc headers or functions beyond the
# memcpy/memset family the compiler may emit anyway. scripts/fetch-zydis-source.sh
# unpacks the source into ${CMAKE_BINARY_DIR}/_deps at configure time (never committed).
include_guard(GLOBAL)

set(KEEL_ZYDIS_FETCH_SCRIPT ${CMAKE_CURRENT_LIST_DIR}/../scripts/fetch-zydis-source.sh)
set(KEEL_DEPS_DIR ${CMAKE_BINARY_DIR}/_deps)

execute_process(
  COMMAND bash ${KEEL_ZYDIS_FETCH_SCRIPT} ${KEEL_DEPS_DIR}
  RESULT_VARIABLE _keel_zydis_rc
  OUTPUT_VARIABLE _keel_zydis_out
  ERROR_VARIABLE _keel_zydis_out)
if(NOT _keel_zydis_rc EQUAL 0)
  message(FATAL_ERROR "Could not get the Zydis source for the kernel's freestanding build: "
    "scripts/fetch-zydis-source.sh ${KEEL_DEPS_DIR} failed (${_keel_zydis_rc}):\n"
    "${_keel_zydis_out}\n"
    "Configure with -DKEEL_BUILD_KERNEL=OFF to build without the kernel.")
endif()
string(STRIP "${_keel_zydis_out}" _keel_zydis_out)
string(REPLACE "\n" "\n   " _keel_zydis_out "${_keel_zydis_out}")
message(STATUS "${_keel_zydis_out}")
set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS ${KEEL_ZYDIS_FETCH_SCRIPT})

set(ZYDIS_SOURCE_DIR ${KEEL_DEPS_DIR}/zydis)
# The script names the Zycore include directory it chose: the fetched zycore-c source, or
# the installed libzycore-dev headers when that source cannot be downloaded.
file(STRINGS ${KEEL_DEPS_DIR}/zycore-include-dir ZYCORE_INCLUDE_DIR LIMIT_COUNT 1)
if(NOT EXISTS ${ZYCORE_INCLUDE_DIR}/Zycore/Zycore.h)
  message(FATAL_ERROR "No Zycore/Zycore.h in '${ZYCORE_INCLUDE_DIR}' "
    "(from ${KEEL_DEPS_DIR}/zycore-include-dir); delete ${KEEL_DEPS_DIR} and reconfigure.")
endif()

# Every translation unit of the library (decoder, encoder, formatter); src/Generated holds
# included tables, not sources.
file(GLOB ZYDIS_FREESTANDING_SOURCES ${ZYDIS_SOURCE_DIR}/src/*.c)
if(NOT ZYDIS_FREESTANDING_SOURCES)
  message(FATAL_ERROR "No Zydis sources in ${ZYDIS_SOURCE_DIR}/src; delete ${KEEL_DEPS_DIR} and reconfigure.")
endif()

add_library(zydis_freestanding STATIC ${ZYDIS_FREESTANDING_SOURCES})
set_target_properties(zydis_freestanding PROPERTIES C_STANDARD 11 C_EXTENSIONS ON)
# The kernel's freestanding flags (cmake/keel_flags.cmake) minus the C++-only ones; -fPIC
# because the kernel is linked as a shared object and relocated by gnu-efi's _relocate.
target_compile_options(zydis_freestanding PRIVATE
  -ffreestanding -fno-stack-protector -mno-red-zone -fPIC -fno-asynchronous-unwind-tables)
# Public: code including these headers must see the configuration the library was built with.
target_compile_definitions(zydis_freestanding PUBLIC
  ZYAN_NO_LIBC ZYDIS_STATIC_BUILD ZYCORE_STATIC_BUILD)
target_include_directories(zydis_freestanding
  PUBLIC ${ZYDIS_SOURCE_DIR}/include ${ZYCORE_INCLUDE_DIR}
  PRIVATE ${ZYDIS_SOURCE_DIR}/src)
