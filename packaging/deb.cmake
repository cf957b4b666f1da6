# deb.cmake - the Debian package, built by CPack from the install rules:
#   cmake --build build --target package     (or: cd build && cpack -G DEB)
# gives build/tollgate_<version>_<arch>.deb.
#
# Why CPack and not a debian/ directory: the package is the `cmake
# --install` tree plus control data, so one set of install rules serves
# `make install`, the relocation test and the .deb; it builds from the
# already-built tree in seconds with tools CI has anyway (dpkg-deb,
# dpkg-shlibdeps), without debhelper or a second clean build.  A
# distribution packaging tollgate itself would write its own debian/ and
# call the same `cmake --install`; nothing here stands in its way.
#
# Dependencies: the shared libraries (libcurl, libmicrohttpd, libyaml, libc)
# are read from the binary by dpkg-shlibdeps, so they match what it was
# linked against; gnuplot, which `tollgate plot` runs as a program, is
# declared by hand.
set(CPACK_GENERATOR "DEB")
set(CPACK_PACKAGE_NAME "tollgate")
set(CPACK_PACKAGE_VERSION "${PROJECT_VERSION}")
set(CPACK_PACKAGE_CONTACT "tollgate maintainers <tollgate@localhost>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY
    "policy simulation and load testing for metered APIs")
# The extended description (CPack puts the summary above it).
set(CPACK_PACKAGE_DESCRIPTION
    "tollgate answers how many requests to a metered API (an OpenAI-style AI
API is the reference case) get denied, why, and how slow the rest is.
One scenario file describes the callers, the access policy and a timeline
of events; tollgate simulates it in virtual time (sim), drives a live
endpoint with the same requests (run), or answers like the real API from
the policy model (serve), and charts, checks, compares and merges the
results.")
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION "net")
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_DEPENDS "gnuplot-nox | gnuplot")
set(CPACK_STRIP_FILES ON)
# The packaged tree is /usr whatever the build's own install prefix.
set(CPACK_PACKAGING_INSTALL_PREFIX "/usr")
include(CPack)
