# Build helpers shared by the services.

# Embeds every NNN_*.sql file of DIR into a generated C++ source that defines
#   const std::vector<aftercare::kit::Migration>& FUNCTION();
# so a service binary carries its own schema and needs no files at run time.
function(aftercare_embed_migrations TARGET DIR FUNCTION)
  file(GLOB sql_files CONFIGURE_DEPENDS ${DIR}/[0-9][0-9][0-9]_*.sql)
  list(SORT sql_files)
  # Editing a migration must regenerate the embedded copy, not only adding or removing one.
  set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS ${sql_files})
  set(body "")
  foreach(f ${sql_files})
    get_filename_component(name ${f} NAME)
    string(SUBSTRING ${name} 0 3 version)
    math(EXPR version "${version}")
    file(READ ${f} sql)
    string(APPEND body "      {${version}, \"${name}\", R\"ac_sql(${sql})ac_sql\"},\n")
  endforeach()
  set(out ${CMAKE_CURRENT_BINARY_DIR}/${FUNCTION}_migrations.cc)
  file(CONFIGURE OUTPUT ${out} CONTENT
"// Generated from ${DIR} by aftercare_embed_migrations; do not edit.
#include \"common/migrations.h\"

namespace aftercare::generated {
const std::vector<aftercare::kit::Migration>& ${FUNCTION}() {
  static const std::vector<aftercare::kit::Migration> migrations = {
${body}  };
  return migrations;
}
}  // namespace aftercare::generated
")
  target_sources(${TARGET} PRIVATE ${out})
endfunction()

# A service: library NAME_lib (everything but main.cc, so tests link it) and executable
# aftercare-NAME. Sources: *.cc beside main.cc, app/*.cc, domain/*.cc, store/*.cc; schema:
# migrations/.
function(aftercare_service NAME)
  set(dir ${CMAKE_CURRENT_SOURCE_DIR})
  file(GLOB lib_sources CONFIGURE_DEPENDS ${dir}/*.cc ${dir}/app/*.cc ${dir}/domain/*.cc
       ${dir}/store/*.cc)
  list(REMOVE_ITEM lib_sources ${dir}/main.cc)
  add_library(${NAME}_lib STATIC ${lib_sources})
  target_include_directories(${NAME}_lib PUBLIC ${PROJECT_SOURCE_DIR}/services)
  target_link_libraries(${NAME}_lib PUBLIC aftercare_kit)
  aftercare_embed_migrations(${NAME}_lib ${dir}/migrations ${NAME}_migrations)
  add_executable(aftercare-${NAME} ${dir}/main.cc)
  target_link_libraries(aftercare-${NAME} PRIVATE ${NAME}_lib)
endfunction()
