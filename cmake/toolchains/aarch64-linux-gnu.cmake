# Cross build for arm64 (aarch64) Linux with Debian's cross toolchain and multiarch libraries
# (scripts/install-arm64-deps.sh installs both; scripts/arm64.sh uses this file; see
# docs/architecture.md "arm64").
#
#   cmake -S . -B build-arm64 -G Ninja \
#         -DCMAKE_TOOLCHAIN_FILE=cmake/toolchains/aarch64-linux-gnu.cmake
#
# Compilers: aarch64-linux-gnu-gcc/g++ (crossbuild-essential-arm64). Libraries and CMake
# packages: the :arm64 -dev packages, installed beside the machine's own in the multiarch
# directories (/usr/lib/aarch64-linux-gnu, /usr/include/aarch64-linux-gnu); nothing is looked
# up in the machine's x86-64 directories. Programs run at build time (protoc) are the
# machine's own. Test programs run under qemu-user (qemu-aarch64), so ctest and
# gtest_discover_tests work without binfmt_misc.
set(CMAKE_SYSTEM_NAME Linux)
set(CMAKE_SYSTEM_PROCESSOR aarch64)

set(PARLEY_CROSS_TRIPLE aarch64-linux-gnu)
set(CMAKE_C_COMPILER ${PARLEY_CROSS_TRIPLE}-gcc)
set(CMAKE_CXX_COMPILER ${PARLEY_CROSS_TRIPLE}-g++)
set(CMAKE_LIBRARY_ARCHITECTURE ${PARLEY_CROSS_TRIPLE})

# Multiarch: the target's libraries live under / in lib/aarch64-linux-gnu (searched first
# because of CMAKE_LIBRARY_ARCHITECTURE); the cross libc and libstdc++ under
# /usr/aarch64-linux-gnu.
set(CMAKE_FIND_ROOT_PATH /usr/${PARLEY_CROSS_TRIPLE} /)
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)   # protoc, pkg-config, qemu: the machine's
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE ONLY)

# pkg-config reads only the arm64 .pc files (and the architecture-independent ones).
set(ENV{PKG_CONFIG_LIBDIR} /usr/lib/${PARLEY_CROSS_TRIPLE}/pkgconfig:/usr/share/pkgconfig)
set(ENV{PKG_CONFIG_PATH} "")
set(ENV{PKG_CONFIG_SYSROOT_DIR} "")

# protoc generates C++ sources, the same on every architecture: the machine's own
# (protobuf-compiler), of the same version as libprotobuf-dev:arm64.
find_program(Protobuf_PROTOC_EXECUTABLE protoc REQUIRED)

# Programs built here (tests, gtest_discover_tests at build time) run under qemu-user. Its
# loader prefix is / (-L /): the arm64 loader, libc and libraries of the multiarch packages
# (libc6:arm64, which the :arm64 -dev packages bring). Not /usr/aarch64-linux-gnu: that
# loader comes from the cross toolchain's own libc (libc6-arm64-cross), of another Debian
# revision than the libc6:arm64 it would load beside it, and the mix hangs in fork().
find_program(PARLEY_QEMU_AARCH64 qemu-aarch64 REQUIRED)
set(CMAKE_CROSSCOMPILING_EMULATOR ${PARLEY_QEMU_AARCH64} -L /)
