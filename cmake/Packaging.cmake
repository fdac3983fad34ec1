# The Debian package (docs/OPERATIONS.md, "Debian package"), built by
# scripts/build-deb.sh: `cpack -G DEB` in a Release build of the server gives
# proximadb_<VERSION>_amd64.deb with the server, a commented default
# /etc/proximadb/config.toml (a conffile), the systemd unit (running as the
# proximadb user, data in /var/lib/proximadb; both made by postinst), the
# built web dashboard (/usr/share/proximadb/dashboard, which the server finds
# beside its binary) and the docs. Its Depends are computed by dpkg-shlibdeps from the binary's
# libraries; scripts/check-deb.sh checks them against ldd.
set(PDB_PACKAGING ${PROJECT_SOURCE_DIR}/packaging)

install(TARGETS proximadb-server RUNTIME DESTINATION bin)
install(FILES ${PDB_PACKAGING}/config.toml DESTINATION /etc/proximadb)
install(FILES ${PDB_PACKAGING}/proximadb.service
        DESTINATION /lib/systemd/system)
# scripts/build-deb.sh builds dashboard/dist before it configures this.
if(EXISTS ${PROJECT_SOURCE_DIR}/dashboard/dist/index.html)
  install(DIRECTORY ${PROJECT_SOURCE_DIR}/dashboard/dist/
          DESTINATION share/proximadb/dashboard)
else()
  message(STATUS "dashboard/dist is not built: the package would have no "
                 "dashboard (scripts/build-dashboard.sh)")
endif()
install(FILES ${PROJECT_SOURCE_DIR}/README.md
              ${PROJECT_SOURCE_DIR}/docs/API.md
              ${PROJECT_SOURCE_DIR}/docs/OPERATIONS.md
        DESTINATION share/doc/proximadb)

set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME proximadb)
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY
    "vector database server: similarity search with metadata filters")
set(CPACK_PACKAGE_CONTACT "ProximaDB developers <dev@proximadb.invalid>")
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)  # proximadb_<version>_<arch>.deb
set(CPACK_DEBIAN_PACKAGE_SECTION database)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
set(CPACK_DEBIAN_PACKAGE_HOMEPAGE "https://proximadb.invalid")
# The libraries' packages (dpkg-shlibdeps), plus what postinst calls.
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_DEPENDS "passwd")
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA
    ${PDB_PACKAGING}/postinst ${PDB_PACKAGING}/prerm ${PDB_PACKAGING}/postrm
    ${PDB_PACKAGING}/conffiles)
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)
include(CPack)
