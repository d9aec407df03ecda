// Every C++ sample in docs/ and in README.md is a copy of a compiled program under docs/examples/
// (built by docs/examples/CMakeLists.txt), so the docs cannot rot: a ```cpp block must follow a
// line
//
//   <!-- example: docs/examples/echo.cpp -->           the whole file, or
//   <!-- example: docs/examples/echo.cpp#handler -->   the lines between
//                                                      `// doc:begin handler` and `// doc:end
//                                                      handler`
//
// and must equal that text exactly (in the whole-file form the doc:begin/doc:end lines are
// left out). This test fails on a block without a marker, a marker without a block, and a
// block that drifted from its file.

#include <filesystem>
#include <fstream>
#include <iterator>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

namespace fs = std::filesystem;

namespace {

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);)
    lines.push_back(line);
  return lines;
}

std::string read(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

std::string trim(const std::string& s) {
  const auto begin = s.find_first_not_of(" \t");
  if (begin == std::string::npos) return {};
  return s.substr(begin, s.find_last_not_of(" \t") - begin + 1);
}

bool is_region_line(const std::string& line) {
  const std::string t = trim(line);
  return t.starts_with("// doc:begin ") || t.starts_with("// doc:end ");
}

// The text a marker names: the file without its region lines, or one region of it. Empty
// with `problem` set when the file or the region is missing.
std::vector<std::string> expected_lines(const fs::path& root, const std::string& target,
                                        std::string& problem) {
  const auto hash = target.find('#');
  const std::string file = target.substr(0, hash);
  const fs::path path = root / file;
  if (!fs::is_regular_file(path)) {
    problem = std::string("no such file: ").append(file);
    return {};
  }
  std::vector<std::string> out;
  const std::vector<std::string> all = lines_of(read(path));
  if (hash == std::string::npos) {
    for (const std::string& line : all)
      if (!is_region_line(line)) out.push_back(line);
    return out;
  }
  const std::string region = target.substr(hash + 1);
  bool inside = false, found = false;
  for (const std::string& line : all) {
    const std::string t = trim(line);
    if (t == std::string("// doc:begin ").append(region)) {
      inside = found = true;
    } else if (t == std::string("// doc:end ").append(region)) {
      inside = false;
    } else if (inside && !is_region_line(line)) {
      out.push_back(line);
    }
  }
  if (!found) problem = std::string("no region '").append(region).append("' in ").append(file);
  return out;
}

// Checks one Markdown text; returns one line per problem ("doc.md:12: ...").
std::vector<std::string> check_markdown(const fs::path& root, const std::string& name,
                                        const std::string& text) {
  static const std::string kMarker = "<!-- example: ";
  std::vector<std::string> problems;
  const std::vector<std::string> lines = lines_of(text);
  for (std::size_t i = 0; i < lines.size(); ++i) {
    const std::string where = name + ":" + std::to_string(i + 1) + ": ";
    const std::string t = trim(lines[i]);
    if (t.starts_with(kMarker)) {
      const auto end = t.find(" -->");
      if (end == std::string::npos) {
        problems.push_back(where + "a marker must end with ' -->'");
        continue;
      }
      if (i + 1 >= lines.size() || trim(lines[i + 1]) != "```cpp") {
        problems.push_back(where + "a marker must be followed by a ```cpp block");
        continue;
      }
      std::vector<std::string> block;
      std::size_t j = i + 2;
      for (; j < lines.size() && trim(lines[j]) != "```"; ++j)
        block.push_back(lines[j]);
      if (j == lines.size()) {
        problems.push_back(where + "the ```cpp block is not closed");
        break;
      }
      std::string problem;
      const std::string target = t.substr(kMarker.size(), end - kMarker.size());
      const std::vector<std::string> expected = expected_lines(root, target, problem);
      if (!problem.empty()) {
        problems.push_back(where + problem);
      } else if (block != expected) {
        std::size_t k = 0;
        while (k < block.size() && k < expected.size() && block[k] == expected[k])
          ++k;
        problems.push_back(where + "the block differs from " + target + " at its line " +
                           std::to_string(k + 1) + "; copy the file's text again");
      }
      i = j;
    } else if (t.starts_with("```cpp") || t.starts_with("```c++")) {
      problems.push_back(where + "a ```cpp block without an '<!-- example: FILE -->' line above");
    }
  }
  return problems;
}

}  // namespace

TEST_CASE("every cpp block in docs and the README equals the example file its marker names",
          "[docs]") {
  const fs::path root = ACTNET_SOURCE_DIR;
  std::vector<fs::path> markdown{root / "README.md"};
  for (const auto& entry : fs::recursive_directory_iterator(root / "docs"))
    if (entry.path().extension() == ".md") markdown.push_back(entry.path());
  std::size_t markdown_files = 0, blocks = 0;
  std::vector<std::string> problems;
  for (const fs::path& path : markdown) {
    ++markdown_files;
    const std::string text = read(path);
    for (std::size_t at = text.find("<!-- example: "); at != std::string::npos;
         at = text.find("<!-- example: ", at + 1))
      ++blocks;
    for (std::string& p : check_markdown(root, fs::relative(path, root).string(), text))
      problems.push_back(std::move(p));
  }
  INFO("problems:\n"
       << [&] {
            std::string all;
            for (const std::string& p : problems)
              all += p + "\n";
            return all;
          }());
  CHECK(problems.empty());
  CHECK(markdown_files >= 11);  // the README, the index, getting started, the model, guides…
  CHECK(blocks >= 8);
}

TEST_CASE("a docs block that drifted from its file or lacks a marker is reported", "[docs]") {
  const fs::path root = ACTNET_SOURCE_DIR;
  const std::string file = "docs/examples/echo.cpp";
  std::string whole;
  for (const std::string& line : lines_of(read(root / file)))
    if (!is_region_line(line)) whole += line + "\n";
  REQUIRE_FALSE(whole.empty());

  const std::string marker = std::string("<!-- example: ").append(file);
  const std::string good = marker + " -->\n```cpp\n" + whole + "```\n";
  CHECK(check_markdown(root, "good.md", good).empty());

  std::string drifted = whole;
  drifted.insert(0, "// an edit made only in the docs\n");
  CHECK(check_markdown(root, "drift.md", marker + " -->\n```cpp\n" + drifted + "```\n").size() ==
        1);
  CHECK(check_markdown(root, "bare.md", "```cpp\nint main() {}\n```\n").size() == 1);
  CHECK(check_markdown(root, "lost.md", "<!-- example: docs/examples/none.cpp -->\n```cpp\n```\n")
            .size() == 1);
  CHECK(check_markdown(root, "region.md", marker + "#no-such-region -->\n```cpp\n```\n").size() ==
        1);
}

TEST_CASE("every relative link in docs names a file that exists", "[docs]") {
  const fs::path root = ACTNET_SOURCE_DIR;
  const std::regex link(R"(\]\(([^)#:]+)(#[^)]*)?\))");
  std::size_t links = 0;
  std::vector<std::string> broken;
  for (const auto& entry : fs::recursive_directory_iterator(root / "docs")) {
    if (entry.path().extension() != ".md") continue;
    const std::string text = read(entry.path());
    for (auto it = std::sregex_iterator(text.begin(), text.end(), link);
         it != std::sregex_iterator(); ++it) {
      ++links;
      const fs::path target = entry.path().parent_path() / (*it)[1].str();
      if (!fs::exists(target))
        broken.push_back(fs::relative(entry.path(), root).string() + ": " + (*it)[1].str());
    }
  }
  INFO("broken links:\n"
       << [&] {
            std::string all;
            for (const std::string& b : broken)
              all += b + "\n";
            return all;
          }());
  CHECK(broken.empty());
  CHECK(links >= 20);
}
