#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"

namespace vigil::rules::tmpl {

// The parse tree of Go's text/template (text/template/parse/node.go), one struct for every
// kind of node: alert templates are small, and one shape keeps the executor a plain switch.
enum class NodeType {
  kList,
  kText,
  kAction,
  kIf,
  kRange,
  kWith,
  kBreak,
  kContinue,
  kPipe,
  kCommand,
  kField,       // .A.B
  kVariable,    // $x.A.B
  kIdentifier,  // a function
  kChain,       // (pipe).A.B
  kDot,
  kNil,
  kBool,
  kNumber,
  kString,
};

struct Node {
  NodeType type;
  size_t pos = 0;    // byte offset in the template text, for "name:line:col" in errors
  std::string text;  // kText: the text; kString: the value; kIdentifier: the name
  std::string orig;  // kNumber, kString, kBool: the spelling in the template
  // kField: the field names; kVariable: the variable, then field names; kChain: field names.
  std::vector<std::string> idents;
  bool is_int = false;    // kNumber: an integer constant (Go's int), else a float64
  int64_t int_value = 0;  // kNumber
  double float_value = 0;  // kNumber
  bool bool_value = false;
  std::vector<std::string> decl;  // kPipe: the variables it declares or assigns
  bool is_assign = false;         // kPipe: `$x = ...` rather than `$x := ...`
  std::vector<std::unique_ptr<Node>> nodes;  // kList: items; kPipe: commands; kCommand: args
  // kAction: pipe. kIf/kRange/kWith: pipe, list, else_list (may be null). kChain: pipe is the
  // term the fields apply to.
  std::unique_ptr<Node> pipe, list, else_list;

  // The node as Go prints it in "executing ... at <...>".
  std::string String() const;
};

// A parsed template: the text is kept because errors give line and column.
struct Template {
  std::string name;
  std::string text;
  std::unique_ptr<Node> root;  // kList
};

// Parses like Go's template.New(name).Funcs(prometheus funcs).Parse(text). Errors read as
// Go's: "template: NAME:LINE: function \"foo\" not defined".
absl::StatusOr<Template> Parse(std::string_view name, std::string_view text);

}  // namespace vigil::rules::tmpl
