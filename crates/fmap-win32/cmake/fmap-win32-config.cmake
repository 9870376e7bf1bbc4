# find_package(fmap-win32) for the installed fmap-win32 C library.
#
#   find_package(fmap-win32 0.1 REQUIRED)
#   target_link_libraries(prog PRIVATE fmap-win32::fmap-win32)          # the shared library
#   target_link_libraries(prog PRIVATE fmap-win32::fmap-win32-static)   # or the static one
#
# Both imported targets carry the include directory (<prefix>/include/fmap-win32, where
# windows.h is); the static one also the system libraries a Rust static library needs. Set
# fmap-win32_USE_STATIC_LIBS to ON before find_package to make fmap-win32::fmap-win32 the static
# library too. Also set: fmap-win32_INCLUDE_DIR, fmap-win32_LIBRARY, fmap-win32_STATIC_LIBRARY.
#
# This file is installed as <prefix>/share/cmake/fmap-win32/fmap-win32-config.cmake (cargo
# cinstall, scripts/cinstall.sh, the Debian package), so the prefix is three directories up;
# the library is looked for in <prefix>/lib/<multiarch>, lib64 and lib, so any --libdir of that
# form works. If CMake does not find this file, add the prefix to CMAKE_PREFIX_PATH.

get_filename_component(_fmap_win32_prefix "${CMAKE_CURRENT_LIST_DIR}/../../.." ABSOLUTE)

set(_fmap_win32_libdirs)
if(CMAKE_LIBRARY_ARCHITECTURE)
  list(APPEND _fmap_win32_libdirs "${_fmap_win32_prefix}/lib/${CMAKE_LIBRARY_ARCHITECTURE}")
endif()
list(APPEND _fmap_win32_libdirs "${_fmap_win32_prefix}/lib64" "${_fmap_win32_prefix}/lib")

find_path(fmap-win32_INCLUDE_DIR windows.h
  PATHS "${_fmap_win32_prefix}/include/fmap-win32" NO_DEFAULT_PATH)
find_library(fmap-win32_LIBRARY NAMES fmap_win32
  PATHS ${_fmap_win32_libdirs} NO_DEFAULT_PATH)
find_library(fmap-win32_STATIC_LIBRARY NAMES libfmap_win32.a
  PATHS ${_fmap_win32_libdirs} NO_DEFAULT_PATH)

set(fmap-win32_FOUND TRUE)
if(NOT fmap-win32_INCLUDE_DIR)
  set(fmap-win32_FOUND FALSE)
  set(fmap-win32_NOT_FOUND_MESSAGE "windows.h not found in ${_fmap_win32_prefix}/include/fmap-win32")
elseif(NOT fmap-win32_LIBRARY AND NOT fmap-win32_STATIC_LIBRARY)
  set(fmap-win32_FOUND FALSE)
  set(fmap-win32_NOT_FOUND_MESSAGE "libfmap_win32 not found in ${_fmap_win32_libdirs}")
endif()

if(fmap-win32_FOUND)
  if(fmap-win32_STATIC_LIBRARY AND NOT TARGET fmap-win32::fmap-win32-static)
    include(CMakeFindDependencyMacro)
    set(THREADS_PREFER_PTHREAD_FLAG ON)
    find_dependency(Threads)
    add_library(fmap-win32::fmap-win32-static STATIC IMPORTED)
    set_target_properties(fmap-win32::fmap-win32-static PROPERTIES
      IMPORTED_LOCATION "${fmap-win32_STATIC_LIBRARY}"
      IMPORTED_LINK_INTERFACE_LANGUAGES "C"
      INTERFACE_INCLUDE_DIRECTORIES "${fmap-win32_INCLUDE_DIR}"
      # What `rustc --print native-static-libs` lists for the library (the same as
      # Libs.private in fmap-win32.pc).
      INTERFACE_LINK_LIBRARIES "Threads::Threads;${CMAKE_DL_LIBS};m;rt;util;gcc_s;c")
  endif()
  if(NOT TARGET fmap-win32::fmap-win32)
    if(fmap-win32_LIBRARY AND NOT fmap-win32_USE_STATIC_LIBS)
      add_library(fmap-win32::fmap-win32 SHARED IMPORTED)
      set_target_properties(fmap-win32::fmap-win32 PROPERTIES
        IMPORTED_LOCATION "${fmap-win32_LIBRARY}"
        INTERFACE_INCLUDE_DIRECTORIES "${fmap-win32_INCLUDE_DIR}")
    elseif(TARGET fmap-win32::fmap-win32-static)
      add_library(fmap-win32::fmap-win32 INTERFACE IMPORTED)
      set_target_properties(fmap-win32::fmap-win32 PROPERTIES
        INTERFACE_LINK_LIBRARIES fmap-win32::fmap-win32-static)
    else()
      set(fmap-win32_FOUND FALSE)
      set(fmap-win32_NOT_FOUND_MESSAGE "fmap-win32_USE_STATIC_LIBS is set but libfmap_win32.a was not found")
    endif()
  endif()
endif()

unset(_fmap_win32_prefix)
unset(_fmap_win32_libdirs)
