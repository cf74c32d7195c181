#include "lib/rules/template_parse.h"

#include <algorithm>
#include <cerrno>
#include <cstdlib>

#include "lib/base/format.h"
#include "lib/rules/template_funcs.h"
#include "lib/rules/template_lex.h"

namespace vigil::rules::tmpl {
namespace {

// Nesting bound (parentheses, blocks), so hostile templates cannot exhaust the stack.
constexpr int kMaxDepth = 1000;

std::unique_ptr<Node> NewNode(NodeType t, size_t pos) {
  auto n = std::make_unique<Node>();
  n->type = t;
  n->pos = pos;
  return n;
}

// Go's strconv.Unquote for "..." (common escapes) and `...`.
bool Unquote(const std::string& q, std::string* out) {
  if (q.size() < 2) return false;
  if (q[0] == '`') {
    *out = q.substr(1, q.size() - 2);
    return true;
  }
  out->clear();
  for (size_t i = 1; i + 1 < q.size(); ++i) {
    char c = q[i];
    if (c != '\\') {
      out->push_back(c);
      continue;
    }
    if (++i + 1 >= q.size()) return false;
    char e = q[i];
    switch (e) {
      case 'n': out->push_back('\n'); break;
      case 't': out->push_back('\t'); break;
      case 'r': out->push_back('\r'); break;
      case 'a': out->push_back('\a'); break;
      case 'b': out->push_back('\b'); break;
      case 'f': out->push_back('\f'); break;
      case 'v': out->push_back('\v'); break;
      case '\\': case '"': case '\'': out->push_back(e); break;
      case 'x': {
        if (i + 3 > q.size() - 1) return false;
        char* end = nullptr;
        std::string hex = q.substr(i + 1, 2);
        long v = std::strtol(hex.c_str(), &end, 16);
        if (*end != '\0') return false;
        out->push_back(static_cast<char>(v));
        i += 2;
        break;
      }
      default: return false;
    }
  }
  return true;
}

// Go's number constants: ints (decimal, 0x, 0o, 0b, with _), floats, 'c' characters.
bool ParseNumber(const std::string& text, Node* n) {
  n->orig = text;
  if (text[0] == '\'') {
    std::string s;
    if (!Unquote("\"" + text.substr(1, text.size() - 2) + "\"", &s) || s.size() != 1) return false;
    n->is_int = true;
    n->int_value = static_cast<unsigned char>(s[0]);
    n->float_value = static_cast<double>(n->int_value);
    return true;
  }
  std::string t;
  for (char c : text) {
    if (c != '_') t.push_back(c);
  }
  std::string digits = t;
  bool neg = false;
  if (!digits.empty() && (digits[0] == '+' || digits[0] == '-')) {
    neg = digits[0] == '-';
    digits.erase(0, 1);
  }
  int base = 10;
  if (digits.size() > 2 && digits[0] == '0' && (digits[1] == 'x' || digits[1] == 'X')) base = 16;
  if (digits.size() > 2 && digits[0] == '0' && (digits[1] == 'o' || digits[1] == 'O')) base = 8;
  if (digits.size() > 2 && digits[0] == '0' && (digits[1] == 'b' || digits[1] == 'B')) base = 2;
  std::string body = base == 10 ? digits : digits.substr(2);
  if (base == 10 && body.size() > 1 && body[0] == '0' &&
      body.find_first_not_of("01234567") == std::string::npos) {
    base = 8;
  }
  if (!body.empty() && body.find_first_of(base == 16 ? "" : ".eEpP") == std::string::npos) {
    errno = 0;
    char* end = nullptr;
    long long v = std::strtoll(body.c_str(), &end, base);
    if (*end == '\0' && errno == 0) {
      n->is_int = true;
      n->int_value = neg ? -v : v;
      n->float_value = static_cast<double>(n->int_value);
      return true;
    }
  }
  char* end = nullptr;
  double f = std::strtod(t.c_str(), &end);
  if (t.empty() || *end != '\0' || t == "+" || t == "-") return false;
  n->float_value = f;
  return true;
}

class Parser {
 public:
  Parser(std::string_view name, std::string_view text) : name_(name), text_(text) {}

  absl::StatusOr<std::unique_ptr<Node>> Run() {
    items_ = Lex(text_);
    vars_ = {"$"};
    auto root = NewNode(NodeType::kList, 0);
    while (Peek().type != ItemType::kEOF) {
      if (!ok_) break;
      std::unique_ptr<Node> n = TextOrAction();
      if (!ok_) break;
      if (IsMarker(*n)) Fail(n->orig == "end" ? "unexpected {{end}}" : "unexpected {{else}}");
      if (!ok_) break;
      root->nodes.push_back(std::move(n));
    }
    if (!ok_) return absl::InvalidArgumentError(error_);
    return root;
  }

 private:
  const Item& Peek() {
    return items_[std::min(pos_, items_.size() - 1)];
  }
  const Item& Next() {
    const Item& it = Peek();
    if (it.type == ItemType::kError) Fail(it.val);
    if (pos_ < items_.size()) ++pos_;
    last_ = pos_ - 1;
    return it;
  }
  void Backup() { --pos_; }
  const Item& NextNonSpace() {
    while (Peek().type == ItemType::kSpace) Next();
    return Next();
  }
  const Item& PeekNonSpace() {
    while (Peek().type == ItemType::kSpace) Next();
    return Peek();
  }

  int LineOf(size_t pos) const {
    return 1 + static_cast<int>(std::count(text_.begin(), text_.begin() + std::min(pos, text_.size()), '\n'));
  }
  void Fail(std::string_view msg) {
    if (!ok_) return;
    ok_ = false;
    size_t at = items_.empty() ? 0 : items_[std::min(last_, items_.size() - 1)].pos;
    error_ = StrCat("template: ", name_, ":", LineOf(at), ": ", msg);
  }
  // Go's item.String() in "unexpected ..." errors.
  static std::string Describe(const Item& it) {
    switch (it.type) {
      case ItemType::kEOF: return "EOF";
      case ItemType::kError: return it.val;
      case ItemType::kKeyword: return StrCat("<", it.val, ">");
      default: break;
    }
    std::string v = it.val.size() > 10 ? it.val.substr(0, 10) : it.val;
    std::string q = "\"";
    for (char c : v) {
      if (c == '"' || c == '\\') q.push_back('\\');
      if (c == '\n') {
        q += "\\n";
        continue;
      }
      q.push_back(c);
    }
    q += "\"";
    return it.val.size() > 10 ? q + "..." : q;
  }
  void Unexpected(const Item& it, std::string_view context) {
    Fail(StrCat("unexpected ", Describe(it), " in ", context));
  }

  // A control word ({{end}}, {{else}}) comes back as a marker node: kText with orig set.
  static std::unique_ptr<Node> Marker(std::string_view word, size_t pos) {
    auto n = NewNode(NodeType::kText, pos);
    n->text = StrCat("{{", word, "}}");
    n->orig = std::string(word);
    return n;
  }
  static bool IsMarker(const Node& n) { return n.type == NodeType::kText && !n.orig.empty(); }

  std::unique_ptr<Node> TextOrAction() {
    const Item& it = NextNonSpace();
    if (!ok_) return nullptr;
    if (it.type == ItemType::kText) {
      auto n = NewNode(NodeType::kText, it.pos);
      n->text = it.val;
      return n;
    }
    if (it.type == ItemType::kLeftDelim) return Action();
    Unexpected(it, "input");
    return nullptr;
  }

  std::unique_ptr<Node> Action() {
    const Item& it = NextNonSpace();
    if (!ok_) return nullptr;
    if (it.type == ItemType::kKeyword) {
      if (it.val == "end" || it.val == "else") {
        size_t p = it.pos;
        std::string word = it.val;
        if (word == "else" && PeekNonSpace().type == ItemType::kKeyword && Peek().val == "if") {
          return Marker("elseif", p);
        }
        Expect(ItemType::kRightDelim, word);
        return Marker(word, p);
      }
      if (it.val == "if" || it.val == "range" || it.val == "with") return Control(it.val);
      if (it.val == "break" || it.val == "continue") {
        if (range_depth_ == 0) Fail(StrCat("{{", it.val, "}} outside {{range}}"));
        auto n = NewNode(it.val == "break" ? NodeType::kBreak : NodeType::kContinue, it.pos);
        Expect(ItemType::kRightDelim, it.val);
        return n;
      }
      Fail(StrCat("{{", it.val, "}} is not supported in vigil's alert templates"));
      return nullptr;
    }
    Backup();
    size_t p = Peek().pos;
    auto n = NewNode(NodeType::kAction, p);
    n->pipe = Pipeline("command", ItemType::kRightDelim);
    return n;
  }

  void Expect(ItemType t, std::string_view context) {
    const Item& it = NextNonSpace();
    if (ok_ && it.type != t) Unexpected(it, context);
  }

  // {{if}}, {{range}}, {{with}}: pipe, list, optional else list, end.
  std::unique_ptr<Node> Control(const std::string& word) {
    if (++depth_ > kMaxDepth) {
      Fail("max expression depth exceeded");
      return nullptr;
    }
    size_t saved_vars = vars_.size();
    NodeType type = word == "if" ? NodeType::kIf : word == "range" ? NodeType::kRange : NodeType::kWith;
    auto n = NewNode(type, 0);
    n->pipe = Pipeline(word, ItemType::kRightDelim);
    if (!ok_) return nullptr;
    n->pos = n->pipe->pos;
    if (type == NodeType::kRange) ++range_depth_;
    std::unique_ptr<Node> next;
    n->list = List(&next);
    if (type == NodeType::kRange) --range_depth_;
    if (!ok_) return nullptr;
    if (next->orig == "elseif" && type == NodeType::kIf) {
      // {{else if ...}} is {{else}}{{if ...}}...{{end}}{{end}} sharing one end.
      n->else_list = NewNode(NodeType::kList, next->pos);
      NextNonSpace();  // "if"
      n->else_list->nodes.push_back(Control("if"));
    } else if (next->orig == "elseif") {
      Unexpected(Peek(), "else");
    } else if (next->orig == "else") {
      std::unique_ptr<Node> end;
      n->else_list = List(&end);
      if (ok_ && end->orig != "end") Fail(StrCat("expected end; found ", end->text));
    }
    vars_.resize(saved_vars);
    --depth_;
    if (!ok_) return nullptr;
    return n;
  }

  // Items up to {{end}} or {{else}}, which is returned in *next.
  std::unique_ptr<Node> List(std::unique_ptr<Node>* next) {
    auto list = NewNode(NodeType::kList, Peek().pos);
    while (ok_ && PeekNonSpace().type != ItemType::kEOF) {
      std::unique_ptr<Node> n = TextOrAction();
      if (!ok_) return nullptr;
      if (IsMarker(*n)) {
        *next = std::move(n);
        return list;
      }
      list->nodes.push_back(std::move(n));
    }
    if (ok_ && Peek().type == ItemType::kEOF) {
      last_ = items_.size() - 1;
      Fail("unexpected EOF");
    }
    return nullptr;
  }

  std::unique_ptr<Node> Pipeline(const std::string& context, ItemType end) {
    auto pipe = NewNode(NodeType::kPipe, PeekNonSpace().pos);
    // Declarations: $x :=, $x =, and in range $i, $e :=.
    while (ok_ && PeekNonSpace().type == ItemType::kVariable) {
      size_t mark = pos_;
      const Item v = Next();
      ItemType after = Peek().type;
      const Item& nx = PeekNonSpace();
      if (nx.type == ItemType::kDeclare || nx.type == ItemType::kAssign) {
        pipe->is_assign = nx.type == ItemType::kAssign;
        NextNonSpace();
        pipe->decl.push_back(v.val);
        if (!pipe->is_assign) vars_.push_back(v.val);
        else if (std::find(vars_.begin(), vars_.end(), v.val) == vars_.end()) {
          Fail(StrCat("undefined variable \"", v.val, "\""));
        }
        break;
      }
      if (nx.type == ItemType::kComma) {
        NextNonSpace();
        pipe->decl.push_back(v.val);
        vars_.push_back(v.val);
        if (context == "range" && pipe->decl.size() < 2) {
          ItemType t = PeekNonSpace().type;
          if (t == ItemType::kVariable) continue;
          Fail("range can only initialize variables");
          break;
        }
        Fail(StrCat("too many declarations in ", context));
        break;
      }
      (void)after;
      pos_ = mark;  // not a declaration: the variable is an operand
      break;
    }
    while (ok_) {
      const Item& it = NextNonSpace();
      if (!ok_) break;
      if (it.type == end) {
        if (pipe->nodes.empty()) {
          Fail(StrCat("missing value for ", context));
          break;
        }
        for (size_t i = 1; i < pipe->nodes.size(); ++i) {
          NodeType t = pipe->nodes[i]->nodes[0]->type;
          if (t == NodeType::kBool || t == NodeType::kDot || t == NodeType::kNil ||
              t == NodeType::kNumber || t == NodeType::kString) {
            Fail(StrCat("non executable command in pipeline stage ", i + 1));
          }
        }
        break;
      }
      switch (it.type) {
        case ItemType::kBool: case ItemType::kChar: case ItemType::kDot: case ItemType::kField:
        case ItemType::kIdentifier: case ItemType::kNumber: case ItemType::kNil:
        case ItemType::kRawString: case ItemType::kString: case ItemType::kVariable:
        case ItemType::kLeftParen:
          Backup();
          pipe->nodes.push_back(Command());
          break;
        default:
          Unexpected(it, context);
      }
    }
    return pipe;
  }

  std::unique_ptr<Node> Command() {
    auto cmd = NewNode(NodeType::kCommand, PeekNonSpace().pos);
    while (ok_) {
      PeekNonSpace();
      std::unique_ptr<Node> op = Operand();
      if (!ok_) return cmd;
      if (op) cmd->nodes.push_back(std::move(op));
      const Item& it = Next();
      if (!ok_) return cmd;
      if (it.type == ItemType::kSpace) continue;
      if (it.type == ItemType::kRightDelim || it.type == ItemType::kRightParen) {
        Backup();
      } else if (it.type != ItemType::kPipe) {
        Unexpected(it, "operand");
      }
      break;
    }
    if (ok_ && cmd->nodes.empty()) Fail("empty command");
    return cmd;
  }

  std::unique_ptr<Node> Operand() {
    std::unique_ptr<Node> node = Term();
    if (!node || Peek().type != ItemType::kField) return node;
    size_t chain_pos = Peek().pos;
    std::vector<std::string> fields;
    while (Peek().type == ItemType::kField) fields.push_back(Next().val.substr(1));
    switch (node->type) {
      case NodeType::kField: case NodeType::kVariable:
        node->idents.insert(node->idents.end(), fields.begin(), fields.end());
        node->pos = chain_pos;
        return node;
      case NodeType::kBool: case NodeType::kString: case NodeType::kNumber: case NodeType::kNil:
      case NodeType::kDot:
        Fail(StrCat("unexpected . after term \"", node->String(), "\""));
        return nullptr;
      default: {
        auto chain = NewNode(NodeType::kChain, chain_pos);
        chain->pipe = std::move(node);
        chain->idents = std::move(fields);
        return chain;
      }
    }
  }

  std::unique_ptr<Node> Term() {
    const Item& it = NextNonSpace();
    if (!ok_) return nullptr;
    switch (it.type) {
      case ItemType::kIdentifier: {
        if (!IsTemplateFunction(it.val)) {
          Fail(StrCat("function \"", it.val, "\" not defined"));
          return nullptr;
        }
        auto n = NewNode(NodeType::kIdentifier, it.pos);
        n->text = it.val;
        return n;
      }
      case ItemType::kDot: return NewNode(NodeType::kDot, it.pos);
      case ItemType::kNil: return NewNode(NodeType::kNil, it.pos);
      case ItemType::kVariable: {
        if (std::find(vars_.begin(), vars_.end(), it.val) == vars_.end()) {
          Fail(StrCat("undefined variable \"", it.val, "\""));
          return nullptr;
        }
        auto n = NewNode(NodeType::kVariable, it.pos);
        n->idents = {it.val};
        return n;
      }
      case ItemType::kField: {
        auto n = NewNode(NodeType::kField, it.pos);
        n->idents = {it.val.substr(1)};
        return n;
      }
      case ItemType::kBool: {
        auto n = NewNode(NodeType::kBool, it.pos);
        n->bool_value = it.val == "true";
        n->orig = it.val;
        return n;
      }
      case ItemType::kChar:
        if (it.val.size() == 1) break;  // a stray character: "unexpected" in Command
        [[fallthrough]];
      case ItemType::kNumber: {
        auto n = NewNode(NodeType::kNumber, it.pos);
        if (!ParseNumber(it.val, n.get())) {
          Fail(StrCat("illegal number syntax: \"", it.val, "\""));
          return nullptr;
        }
        return n;
      }
      case ItemType::kLeftParen: {
        if (++depth_ > kMaxDepth) {
          Fail("max expression depth exceeded");
          return nullptr;
        }
        auto p = Pipeline("parenthesized pipeline", ItemType::kRightParen);
        --depth_;
        return p;
      }
      case ItemType::kString: case ItemType::kRawString: {
        auto n = NewNode(NodeType::kString, it.pos);
        n->orig = it.val;
        if (!Unquote(it.val, &n->text)) {
          Fail("invalid syntax");
          return nullptr;
        }
        return n;
      }
      default: break;
    }
    Backup();
    return nullptr;
  }

  std::string name_;
  std::string_view text_;
  std::vector<Item> items_;
  size_t pos_ = 0, last_ = 0;
  std::vector<std::string> vars_;
  int range_depth_ = 0, depth_ = 0;
  bool ok_ = true;
  std::string error_;
};

}  // namespace

std::string Node::String() const {
  auto join_fields = [](const std::vector<std::string>& ids, size_t from) {
    std::string s;
    for (size_t i = from; i < ids.size(); ++i) s += "." + ids[i];
    return s;
  };
  switch (type) {
    case NodeType::kField: return join_fields(idents, 0);
    case NodeType::kVariable: return idents[0] + join_fields(idents, 1);
    case NodeType::kChain: {
      std::string s = pipe->String();
      if (pipe->type == NodeType::kPipe) s = "(" + s + ")";
      return s + join_fields(idents, 0);
    }
    case NodeType::kIdentifier: return text;
    case NodeType::kDot: return ".";
    case NodeType::kNil: return "nil";
    case NodeType::kBool: case NodeType::kNumber: case NodeType::kString: return orig;
    case NodeType::kCommand: {
      std::string s;
      for (size_t i = 0; i < nodes.size(); ++i) {
        if (i > 0) s += " ";
        s += nodes[i]->type == NodeType::kPipe ? "(" + nodes[i]->String() + ")" : nodes[i]->String();
      }
      return s;
    }
    case NodeType::kPipe: {
      std::string s;
      for (size_t i = 0; i < decl.size(); ++i) s += (i > 0 ? ", " : "") + decl[i];
      if (!decl.empty()) s += is_assign ? " = " : " := ";
      for (size_t i = 0; i < nodes.size(); ++i) s += (i > 0 ? " | " : "") + nodes[i]->String();
      return s;
    }
    case NodeType::kAction: return "{{" + pipe->String() + "}}";
    case NodeType::kIf: return "{{if " + pipe->String() + "}}";
    case NodeType::kRange: return "{{range " + pipe->String() + "}}";
    case NodeType::kWith: return "{{with " + pipe->String() + "}}";
    case NodeType::kBreak: return "{{break}}";
    case NodeType::kContinue: return "{{continue}}";
    case NodeType::kText: return text;
    case NodeType::kList: {
      std::string s;
      for (const auto& n : nodes) s += n->String();
      return s;
    }
  }
  return "";
}

absl::StatusOr<Template> Parse(std::string_view name, std::string_view text) {
  Template t{std::string(name), std::string(text), nullptr};
  auto root = Parser(t.name, t.text).Run();
  if (!root.ok()) return root.status();
  t.root = std::move(*root);
  return t;
}

}  // namespace vigil::rules::tmpl
