# The version check of find_package(fmap-win32 [VERSION]). PACKAGE_VERSION is the crate's
# version (crates/fmap-win32 tests/packaging.rs checks that they agree). As the library's soname
# says, a 0.x release is compatible only with the same 0.x series, 1.x and later with the same
# major version.
set(PACKAGE_VERSION "0.1.0")

if(NOT PACKAGE_FIND_VERSION)
  set(PACKAGE_VERSION_COMPATIBLE TRUE)
elseif(PACKAGE_VERSION VERSION_LESS PACKAGE_FIND_VERSION)
  set(PACKAGE_VERSION_COMPATIBLE FALSE)
else()
  string(REGEX MATCH "^([0-9]+)\\.([0-9]+)" _fmap_win32_v "${PACKAGE_VERSION}")
  set(_fmap_win32_major "${CMAKE_MATCH_1}")
  set(_fmap_win32_minor "${CMAKE_MATCH_2}")
  if(NOT PACKAGE_FIND_VERSION_MAJOR EQUAL _fmap_win32_major)
    set(PACKAGE_VERSION_COMPATIBLE FALSE)
  elseif(_fmap_win32_major EQUAL 0 AND NOT PACKAGE_FIND_VERSION_MINOR EQUAL _fmap_win32_minor)
    set(PACKAGE_VERSION_COMPATIBLE FALSE)
  else()
    set(PACKAGE_VERSION_COMPATIBLE TRUE)
    if(PACKAGE_FIND_VERSION STREQUAL PACKAGE_VERSION)
      set(PACKAGE_VERSION_EXACT TRUE)
    endif()
  endif()
  unset(_fmap_win32_v)
  unset(_fmap_win32_major)
  unset(_fmap_win32_minor)
endif()

