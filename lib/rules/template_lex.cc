#include "lib/rules/template_lex.h"

#include <cstdio>

namespace vigil::rules::tmpl {
namespace {

bool IsSpace(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }
bool IsAlnum(char c) {
  return c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
         static_cast<unsigned char>(c) >= 0x80;
}

// Go's %#U of a byte: U+002F '/'.
std::string QuoteRune(char c) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "U+%04X '%c'", static_cast<unsigned char>(c), c);
  return buf;
}

class Lexer {
 public:
  explicit Lexer(std::string_view in) : in_(in) {}

  std::vector<Item> Run() {
    while (pos_ <= in_.size()) {
      if (!LexText()) break;
    }
    return std::move(items_);
  }

 private:
  bool Starts(std::string_view s, size_t at) const { return in_.substr(at).substr(0, s.size()) == s; }
  bool LeftTrim(size_t at) const {  // "{{- " at `at`
    return at + 3 < in_.size() && in_[at + 2] == '-' && IsSpace(in_[at + 3]);
  }
  // " -}}" at `at`.
  bool RightTrimDelim(size_t at) const {
    return at + 1 < in_.size() && IsSpace(in_[at]) && in_[at + 1] == '-' && Starts("}}", at + 2);
  }
  void Emit(ItemType t, size_t start, std::string val) { items_.push_back({t, start, std::move(val)}); }
  bool Fail(std::string msg) {
    items_.push_back({ItemType::kError, pos_, std::move(msg)});
    return false;
  }

  // Text up to the next action; returns false when done (EOF or error).
  bool LexText() {
    size_t open = in_.find("{{", pos_);
    if (open == std::string_view::npos) {
      if (pos_ < in_.size()) Emit(ItemType::kText, pos_, std::string(in_.substr(pos_)));
      Emit(ItemType::kEOF, in_.size(), "");
      return false;
    }
    size_t end = open;
    bool trim = LeftTrim(open);
    if (trim) {
      while (end > pos_ && IsSpace(in_[end - 1])) --end;
    }
    if (end > pos_) Emit(ItemType::kText, pos_, std::string(in_.substr(pos_, end - pos_)));
    pos_ = open + 2 + (trim ? 2 : 0);
    if (Starts("/*", pos_)) return LexComment();
    Emit(ItemType::kLeftDelim, open, "{{");
    paren_depth_ = 0;
    return LexInsideAction();
  }

  bool LexComment() {
    size_t close = in_.find("*/", pos_ + 2);
    if (close == std::string_view::npos) return Fail("unclosed comment");
    pos_ = close + 2;
    bool trim = RightTrimDelim(pos_);
    if (!trim && !Starts("}}", pos_)) return Fail("comment ends before closing delimiter");
    pos_ += trim ? 4 : 2;
    if (trim) SkipSpace();
    return true;
  }

  void SkipSpace() {
    while (pos_ < in_.size() && IsSpace(in_[pos_])) ++pos_;
  }

  bool LexInsideAction() {
    while (true) {
      bool trim = RightTrimDelim(pos_);
      if (trim || Starts("}}", pos_)) {
        if (paren_depth_ > 0) return Fail("unclosed left paren");
        size_t start = pos_ + (trim ? 2 : 0);
        Emit(ItemType::kRightDelim, start, "}}");
        pos_ = start + 2;
        if (trim) SkipSpace();
        return true;
      }
      if (pos_ >= in_.size()) return Fail("unclosed action");
      size_t start = pos_;
      char c = in_[pos_];
      if (IsSpace(c)) {
        size_t n = 0;
        while (pos_ < in_.size() && IsSpace(in_[pos_])) ++pos_, ++n;
        if (RightTrimDelim(pos_ - 1)) {
          --pos_;  // leave the space of " -}}"
          if (n == 1) continue;
        }
        Emit(ItemType::kSpace, start, std::string(in_.substr(start, pos_ - start)));
        continue;
      }
      ++pos_;
      if (c == '=') {
        Emit(ItemType::kAssign, start, "=");
      } else if (c == ':') {
        if (pos_ >= in_.size() || in_[pos_] != '=') return Fail("expected :=");
        ++pos_;
        Emit(ItemType::kDeclare, start, ":=");
      } else if (c == '|') {
        Emit(ItemType::kPipe, start, "|");
      } else if (c == '"' || c == '`' || c == '\'') {
        if (!LexQuote(c, start)) return false;
      } else if (c == '$') {
        if (!LexWord(start, ItemType::kVariable)) return false;
      } else if (c == '.' && !(pos_ < in_.size() && in_[pos_] >= '0' && in_[pos_] <= '9')) {
        if (!LexWord(start, ItemType::kField)) return false;
      } else if (c == '.' || c == '+' || c == '-' || (c >= '0' && c <= '9')) {
        if (!LexNumber(start)) return false;
      } else if (IsAlnum(c)) {
        if (!LexWord(start, ItemType::kIdentifier)) return false;
      } else if (c == '(') {
        Emit(ItemType::kLeftParen, start, "(");
        ++paren_depth_;
      } else if (c == ')') {
        if (--paren_depth_ < 0) return Fail("unexpected right paren " + QuoteRune(c));
        Emit(ItemType::kRightParen, start, ")");
      } else if (c == ',') {
        Emit(ItemType::kComma, start, ",");
      } else if (c > ' ' && c < 0x7f) {
        Emit(ItemType::kChar, start, std::string(1, c));
      } else {
        return Fail("unrecognized character in action: " + QuoteRune(c));
      }
    }
  }

  bool AtTerminator() const {
    if (pos_ >= in_.size()) return true;
    char c = in_[pos_];
    if (IsSpace(c) || c == '.' || c == ',' || c == '|' || c == ':' || c == ')' || c == '(') {
      return true;
    }
    return Starts("}}", pos_);
  }

  // Identifiers, keywords, fields (.Name) and variables ($name); `start` is at the first byte.
  bool LexWord(size_t start, ItemType type) {
    while (pos_ < in_.size() && IsAlnum(in_[pos_])) ++pos_;
    std::string word(in_.substr(start, pos_ - start));
    if (type != ItemType::kIdentifier && word.size() == 1) {
      Emit(type == ItemType::kField ? ItemType::kDot : ItemType::kVariable, start, word);
      return true;
    }
    if (!AtTerminator()) return Fail("bad character " + QuoteRune(in_[pos_]));
    if (type == ItemType::kIdentifier) {
      static const char* kKeywords[] = {"if",       "else",   "end",      "range", "with", "break",
                                        "continue", "define", "template", "block"};
      for (const char* k : kKeywords) {
        if (word == k) type = ItemType::kKeyword;
      }
      if (word == "true" || word == "false") type = ItemType::kBool;
      if (word == "nil") type = ItemType::kNil;
    }
    Emit(type, start, std::move(word));
    return true;
  }

  bool LexNumber(size_t start) {
    while (pos_ < in_.size() && (IsAlnum(in_[pos_]) || in_[pos_] == '.' ||
                                 ((in_[pos_] == '+' || in_[pos_] == '-') &&
                                  (in_[pos_ - 1] == 'e' || in_[pos_ - 1] == 'E' ||
                                   in_[pos_ - 1] == 'p' || in_[pos_ - 1] == 'P')))) {
      ++pos_;
    }
    Emit(ItemType::kNumber, start, std::string(in_.substr(start, pos_ - start)));
    return true;
  }

  bool LexQuote(char q, size_t start) {
    while (true) {
      if (pos_ >= in_.size() || (q != '`' && in_[pos_] == '\n')) {
        return Fail(q == '"'   ? "unterminated quoted string"
                    : q == '`' ? "unterminated raw quoted string"
                               : "unterminated character constant");
      }
      char c = in_[pos_++];
      if (c == '\\' && q != '`') {
        if (pos_ < in_.size()) ++pos_;
        continue;
      }
      if (c == q) break;
    }
    ItemType t = q == '"' ? ItemType::kString : q == '`' ? ItemType::kRawString : ItemType::kChar;
    Emit(t, start, std::string(in_.substr(start, pos_ - start)));
    return true;
  }

  std::string_view in_;
  size_t pos_ = 0;
  int paren_depth_ = 0;
  std::vector<Item> items_;
};

}  // namespace

std::vector<Item> Lex(std::string_view text) { return Lexer(text).Run(); }

}  // namespace vigil::rules::tmpl
