// CheckTemplates: Alertmanager's `templates` validation (template.FromGlobs), approximated.
//
// vigil renders no templates, so it only needs to reject the files Alertmanager would
// refuse to load. This is a lexer and block checker for Go's text/template syntax, not a
// full parser: it finds unclosed actions, comments and strings, unbalanced
// if/range/with/define/block ... end, a misplaced else, and calls of functions that
// neither Go nor Alertmanager define. Type errors Go finds only at execution are not
// errors in Alertmanager either.

#include <glob.h>

#include <algorithm>
#include <cctype>
#include <fstream>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "lib/base/format.h"
#include "services/notifier/config.h"

namespace vigil::notifier {

namespace {

// Go's builtins and Alertmanager 0.25's template.DefaultFuncs.
const std::set<std::string>& KnownFunctions() {
  static const std::set<std::string> kFuncs = {
      "and", "call", "html", "index", "slice", "js", "len", "not", "or", "print", "printf",
      "println", "urlquery", "eq", "ge", "gt", "le", "lt", "ne",
      // Alertmanager
      "toUpper", "toLower", "title", "join", "match", "safeHtml", "reReplaceAll", "stringSlice"};
  return kFuncs;
}

class TemplateChecker {
 public:
  TemplateChecker(std::string name, std::string text)
      : name_(std::move(name)), text_(std::move(text)) {}

  absl::Status Check() {
    size_t i = 0;
    while (true) {
      const size_t open = text_.find("{{", i);
      if (open == std::string::npos) break;
      line_ += Newlines(i, open);
      i = open + 2;
      if (i + 1 < text_.size() && text_[i] == '-' && std::isspace(Byte(i + 1))) i += 2;
      while (i < text_.size() && std::isspace(Byte(i))) {
        if (text_[i] == '\n') ++line_;
        ++i;
      }
      if (text_.compare(i, 2, "/*") == 0) {
        const size_t close = text_.find("*/", i + 2);
        if (close == std::string::npos) return Error("unclosed comment");
        line_ += Newlines(i, close);
        i = close + 2;
        while (i < text_.size() && std::isspace(Byte(i))) ++i;
        if (text_.compare(i, 2, "}}") != 0 && text_.compare(i, 3, "-}}") != 0) {
          return Error("comment ends before closing delimiter");
        }
        i += text_[i] == '-' ? 3 : 2;
        continue;
      }
      std::vector<std::string> words;
      if (auto s = LexAction(&i, &words); !s.ok()) return s;
      if (auto s = Action(words); !s.ok()) return s;
    }
    line_ += Newlines(i, text_.size());
    if (!blocks_.empty()) return Error("unexpected EOF");
    return absl::OkStatus();
  }

 private:
  unsigned char Byte(size_t i) const { return static_cast<unsigned char>(text_[i]); }
  int Newlines(size_t from, size_t to) const {
    int n = 0;
    for (size_t k = from; k < to && k < text_.size(); ++k) n += text_[k] == '\n';
    return n;
  }
  absl::Status Error(const std::string& what) const {
    return absl::InvalidArgumentError(StrCat("template: ", name_, ":", line_, ": ", what));
  }

  // Reads one action up to its "}}"; `words` gets the bare identifiers in command
  // position (the first of the action and after each '|' or '('), plus the first word.
  absl::Status LexAction(size_t* pos, std::vector<std::string>* words) {
    size_t i = *pos;
    bool command_position = true;
    bool first = true;
    while (true) {
      if (i >= text_.size()) return Error("unclosed action");
      const char c = text_[i];
      if (text_.compare(i, 2, "}}") == 0 ||
          (c == '-' && i > 0 && std::isspace(Byte(i - 1)) && text_.compare(i + 1, 2, "}}") == 0)) {
        *pos = i + (c == '-' ? 3 : 2);
        return absl::OkStatus();
      }
      if (c == '\n') ++line_;
      if (c == '"' || c == '\'' || c == '`') {
        size_t k = i + 1;
        while (k < text_.size() && text_[k] != c) {
          if (c != '`' && text_[k] == '\\') ++k;
          if (c != '`' && k < text_.size() && text_[k] == '\n')
            return Error("unterminated quoted string");
          ++k;
        }
        if (k >= text_.size())
          return Error(c == '`' ? "unterminated raw quoted string" : "unterminated quoted string");
        line_ += Newlines(i, k);
        i = k + 1;
        command_position = first = false;
        continue;
      }
      if (std::isalpha(Byte(i)) || c == '_' || c == '.' || c == '$') {
        size_t k = i + 1;
        while (k < text_.size() && (std::isalnum(Byte(k)) || text_[k] == '_' || text_[k] == '.')) {
          ++k;
        }
        const std::string word = text_.substr(i, k - i);
        if (first || (command_position && c != '.' && c != '$')) words->push_back(word);
        // Control words take a pipeline, which starts with a command.
        command_position = word == "if" || word == "range" || word == "with" || word == "else";
        first = false;
        i = k;
        continue;
      }
      if (c == '|' || c == '(') command_position = true;
      if (c == '=' || c == ':') command_position = true;  // {{ $x := f }}
      if (!std::isspace(Byte(i))) first = false;
      ++i;
    }
  }

  absl::Status Action(const std::vector<std::string>& words) {
    const std::string head = words.empty() ? "" : words[0];
    if (head == "if" || head == "range" || head == "with" || head == "define" || head == "block") {
      blocks_.push_back(head);
    } else if (head == "end") {
      if (blocks_.empty()) return Error("unexpected {{end}}");
      blocks_.pop_back();
      return absl::OkStatus();
    } else if (head == "else") {
      if (blocks_.empty() || blocks_.back() == "define" || blocks_.back() == "block") {
        return Error("unexpected {{else}}");
      }
    } else if ((head == "break" || head == "continue") &&
               std::find(blocks_.begin(), blocks_.end(), "range") == blocks_.end()) {
      return Error(StrCat("{{", head, "}} outside {{range}}"));
    }
    static const std::set<std::string> kKeywords = {
        "if",  "range", "with", "define", "block", "template", "else",
        "end", "nil",   "true", "false",  "break", "continue"};
    for (const std::string& w : words) {
      if (w[0] == '.' || w[0] == '$' || kKeywords.count(w) > 0) continue;
      if (KnownFunctions().count(w) == 0) return Error(StrCat("function \"", w, "\" not defined"));
    }
    return absl::OkStatus();
  }

  std::string name_;
  std::string text_;
  int line_ = 1;
  std::vector<std::string> blocks_;
};

}  // namespace

absl::Status CheckTemplates(const std::vector<std::string>& globs) {
  for (const std::string& pattern : globs) {
    // glob(3) has no syntax errors; Go's filepath.Glob rejects an unclosed '['.
    int depth = 0;
    for (char c : pattern) depth = c == '[' ? 1 : c == ']' ? 0 : depth;
    if (depth != 0) return absl::InvalidArgumentError("syntax error in pattern");
    glob_t g{};
    const int rc = ::glob(pattern.c_str(), 0, nullptr, &g);
    if (rc != 0) {  // GLOB_NOMATCH: fine, as in Go; read errors: nothing to check
      globfree(&g);
      continue;
    }
    std::vector<std::string> files(g.gl_pathv, g.gl_pathv + g.gl_pathc);
    globfree(&g);
    for (const std::string& path : files) {
      std::ifstream in(path);
      std::stringstream text;
      text << in.rdbuf();
      if (!in) return absl::InvalidArgumentError(StrCat("open ", path, ": cannot read"));
      const std::string base = path.substr(path.rfind('/') + 1);
      if (auto s = TemplateChecker(base, text.str()).Check(); !s.ok()) return s;
    }
  }
  return absl::OkStatus();
}

}  // namespace vigil::notifier
