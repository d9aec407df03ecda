# Writes page.html into a C++ header as a raw string literal, so the binary serves the page
# without reading files at run time: cmake -DINPUT=page.html -DOUTPUT=page_html.hpp -P this.
file(READ ${INPUT} page)
string(FIND "${page}" ")ACTNET_PAGE\"" clash)
if(NOT clash EQUAL -1)
  message(FATAL_ERROR "${INPUT} contains the raw string delimiter )ACTNET_PAGE\"")
endif()
file(WRITE ${OUTPUT}.tmp
  "#pragma once\n"
  "// Generated from demos/chat/page.html by embed_page.cmake; edit the HTML, not this.\n"
  "#include <string_view>\n"
  "namespace chat {\n"
  "inline constexpr std::string_view kPageHtml = R\"ACTNET_PAGE(${page})ACTNET_PAGE\";\n"
  "}  // namespace chat\n")
file(COPY_FILE ${OUTPUT}.tmp ${OUTPUT} ONLY_IF_DIFFERENT)
file(REMOVE ${OUTPUT}.tmp)
