# web_files.cmake: write the C file that builds admin/www/ into hrss-web
# (admin/web_files.h). Included by the top-level CMakeLists.txt with
# WEB_DIR (the folder) and WEB_OUT (the C file to write); sets
# WEB_FILES_LIST to the files, for OBJECT_DEPENDS, so that a changed page
# rebuilds the program. A file added or removed needs CMake to run again
# (the glob is CONFIGURE_DEPENDS: the build does that by itself).
file(GLOB_RECURSE WEB_FILES_LIST CONFIGURE_DEPENDS
     LIST_DIRECTORIES false RELATIVE ${WEB_DIR} ${WEB_DIR}/*)
# admin/www/README.md is for the repository's readers, not the browser.
list(REMOVE_ITEM WEB_FILES_LIST README.md)
list(SORT WEB_FILES_LIST)

set(asm "")
set(decl "")
set(table "")
set(i 0)
foreach(rel ${WEB_FILES_LIST})
  get_filename_component(ext ${rel} LAST_EXT)
  string(TOLOWER "${ext}" ext)
  if(ext STREQUAL ".html")
    set(type "text/html; charset=utf-8")
  elseif(ext STREQUAL ".js")
    set(type "text/javascript; charset=utf-8")
  elseif(ext STREQUAL ".css")
    set(type "text/css; charset=utf-8")
  elseif(ext STREQUAL ".json")
    set(type "application/json")
  elseif(ext STREQUAL ".geojson")
    set(type "application/geo+json")
  elseif(ext STREQUAL ".png")
    set(type "image/png")
  elseif(ext STREQUAL ".svg")
    set(type "image/svg+xml")
  elseif(ext STREQUAL ".ico")
    set(type "image/x-icon")
  else()
    set(type "text/plain; charset=utf-8")
  endif()
  string(APPEND asm
    "    \".balign 16\\n\"\n"
    "    \"web_file_${i}:\\n\"\n"
    "    \".incbin \\\"${WEB_DIR}/${rel}\\\"\\n\"\n"
    "    \"web_file_${i}_end:\\n\"\n"
    "    \".byte 0\\n\"\n")
  string(APPEND decl
    "extern const unsigned char web_file_${i}[] __asm__(\"web_file_${i}\");\n"
    "extern const unsigned char web_file_${i}_end[] __asm__(\"web_file_${i}_end\");\n")
  string(APPEND table
    "    {\"/${rel}\", \"${type}\", web_file_${i}, web_file_${i}_end},\n")
  math(EXPR i "${i} + 1")
endforeach()

set(content "/* Written by admin/web_files.cmake from admin/www: do not edit. */
#include \"admin/web_files.h\"

__asm__(\".pushsection .rodata\\n\"
${asm}    \".popsection\\n\");

${decl}
const web_file_t web_files[] = {
${table}    {NULL, NULL, NULL, NULL},
};
")
# Rewritten only when it changes, so that an unchanged list rebuilds
# nothing.
if(EXISTS ${WEB_OUT})
  file(READ ${WEB_OUT} old)
else()
  set(old "")
endif()
if(NOT old STREQUAL content)
  file(WRITE ${WEB_OUT} "${content}")
endif()
