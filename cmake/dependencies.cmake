# Third-party code comes from Debian's packages (scripts/setup-deps.sh installs them).
find_package(zydis REQUIRED)      # libzydis-dev: Zydis::Zydis
find_package(Catch2 2 REQUIRED)   # catch2 (v2): Catch2::Catch2
find_path(XBYAK_INCLUDE_DIR xbyak/xbyak.h REQUIRED)   # libxbyak-dev, header-only
find_program(NASM nasm REQUIRED)

# The freestanding build only sees Zydis' headers (the kernel links its own Zydis build).
add_library(keel_zydis_headers INTERFACE)
target_include_directories(keel_zydis_headers INTERFACE $<TARGET_PROPERTY:Zydis::Zydis,INTERFACE_INCLUDE_DIRECTORIES>)
target_compile_definitions(keel_zydis_headers INTERFACE ZYDIS_STATIC_BUILD ZYCORE_STATIC_BUILD)
