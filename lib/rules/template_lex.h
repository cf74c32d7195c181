#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace vigil::rules::tmpl {

// The tokens of Go's text/template (text/template/parse/lex.go), as far as alert templates
// need them. `{{-`/`-}}` trimming and `{{/* comments */}}` are applied by the lexer, as Go
// does, so the parser never sees them.
enum class ItemType {
  kError,  // val holds the message; always the last item
  kEOF,
  kText,
  kLeftDelim,
  kRightDelim,
  kSpace,
  kIdentifier,  // a function name
  kKeyword,     // if else end range with break continue define template block
  kField,       // .Name
  kVariable,    // $ or $name
  kString,      // val is the unquoted value
  kRawString,   // val is the unquoted value
  kChar,        // val is the quoted text
  kNumber,
  kBool,
  kNil,
  kDot,
  kPipe,
  kLeftParen,
  kRightParen,
  kDeclare,  // :=
  kAssign,   // =
  kComma,
};

struct Item {
  ItemType type;
  size_t pos;  // byte offset in the template text
  std::string val;
};

// Lexes the whole template. The result ends with kEOF, or with kError at the first error.
std::vector<Item> Lex(std::string_view text);

}  // namespace vigil::rules::tmpl
