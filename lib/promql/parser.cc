#include "lib/promql/parser.h"

#include <cmath>

#include "absl/strings/ascii.h"
#include "lib/base/format.h"
#include "lib/expfmt/text_parser.h"

namespace vigil::promql {

std::string_view BinOpString(BinOp op) {
  switch (op) {
    case BinOp::kEql: return "==";
    case BinOp::kNeq: return "!=";
    case BinOp::kGtr: return ">";
    case BinOp::kLss: return "<";
    case BinOp::kGte: return ">=";
    case BinOp::kLte: return "<=";
  }
  return "?";
}

namespace {

bool IsNameStart(char c) { return absl::ascii_isalpha(c) || c == '_' || c == ':'; }
bool IsNameChar(char c) { return absl::ascii_isalnum(c) || c == '_' || c == ':'; }

class Parser {
 public:
  explicit Parser(std::string_view in) : in_(in) {}

  absl::StatusOr<ExprPtr> Parse() {
    auto lhs = ParseOperand();
    if (!lhs.ok()) return lhs.status();
    SkipSpace();
    if (pos_ == in_.size()) return std::move(*lhs);
    size_t op_pos = pos_;
    auto op = ParseOp();
    if (!op) {
      return Error(pos_, StrCat("unexpected character: '", std::string(1, in_[pos_]),
                                "' (only comparisons are supported in this version)"));
    }
    SkipSpace();
    bool return_bool = false;
    if (in_.substr(pos_, 4) == "bool" && (pos_ + 4 == in_.size() || !IsNameChar(in_[pos_ + 4]))) {
      return_bool = true;
      pos_ += 4;
    }
    auto rhs = ParseOperand();
    if (!rhs.ok()) return rhs.status();
    SkipSpace();
    if (pos_ != in_.size()) return Error(pos_, "unexpected input after expression");
    if ((*lhs)->kind != Expr::Kind::kVectorSelector && (*rhs)->kind != Expr::Kind::kVectorSelector) {
      if (!return_bool) {
        return Error(op_pos, "comparisons between scalars must use BOOL modifier");
      }
    }
    if ((*lhs)->kind == Expr::Kind::kVectorSelector && (*rhs)->kind == Expr::Kind::kVectorSelector) {
      return Error(op_pos, "vector-to-vector comparisons are not supported in this version");
    }
    auto e = std::make_unique<Expr>();
    e->kind = Expr::Kind::kBinary;
    e->binary.op = *op;
    e->binary.return_bool = return_bool;
    e->binary.lhs = std::move(*lhs);
    e->binary.rhs = std::move(*rhs);
    e->text = std::string(in_);
    return e;
  }

 private:
  absl::Status Error(size_t pos, std::string_view what) const {
    size_t line = 1, col = 1;
    for (size_t i = 0; i < pos && i < in_.size(); ++i) {
      if (in_[i] == '\n') {
        ++line;
        col = 1;
      } else {
        ++col;
      }
    }
    return absl::InvalidArgumentError(StrCat(line, ":", col, ": parse error: ", what));
  }

  void SkipSpace() {
    while (pos_ < in_.size() && absl::ascii_isspace(in_[pos_])) ++pos_;
  }

  std::optional<BinOp> ParseOp() {
    auto take = [&](std::string_view s, BinOp op) -> std::optional<BinOp> {
      if (in_.substr(pos_, s.size()) == s) {
        pos_ += s.size();
        return op;
      }
      return std::nullopt;
    };
    for (auto [s, op] : {std::pair{std::string_view("=="), BinOp::kEql},
                         std::pair{std::string_view("!="), BinOp::kNeq},
                         std::pair{std::string_view(">="), BinOp::kGte},
                         std::pair{std::string_view("<="), BinOp::kLte},
                         std::pair{std::string_view(">"), BinOp::kGtr},
                         std::pair{std::string_view("<"), BinOp::kLss}}) {
      if (auto r = take(s, op)) return r;
    }
    return std::nullopt;
  }

  absl::StatusOr<ExprPtr> ParseOperand() {
    SkipSpace();
    if (pos_ >= in_.size()) return Error(pos_, "unexpected end of input");
    char c = in_[pos_];
    if (absl::ascii_isdigit(c) || c == '.' || c == '-' || c == '+') return ParseNumber();
    if (IsNameStart(c) || c == '{') return ParseSelector();
    return Error(pos_, StrCat("unexpected character: '", std::string(1, c), "'"));
  }

  absl::StatusOr<ExprPtr> ParseNumber() {
    size_t start = pos_;
    while (pos_ < in_.size() && (absl::ascii_isalnum(in_[pos_]) || in_[pos_] == '.' ||
                                 ((in_[pos_] == '+' || in_[pos_] == '-') &&
                                  (pos_ == start || in_[pos_ - 1] == 'e' || in_[pos_ - 1] == 'E')))) {
      ++pos_;
    }
    auto v = expfmt::ParseFloat(in_.substr(start, pos_ - start));
    if (!v) return Error(start, StrCat("bad number \"", in_.substr(start, pos_ - start), "\""));
    auto e = std::make_unique<Expr>();
    e->kind = Expr::Kind::kNumber;
    e->number.value = *v;
    e->text = std::string(in_.substr(start, pos_ - start));
    return e;
  }

  absl::StatusOr<ExprPtr> ParseSelector() {
    size_t start = pos_;
    auto e = std::make_unique<Expr>();
    e->kind = Expr::Kind::kVectorSelector;
    VectorSelector& sel = e->selector;
    if (IsNameStart(in_[pos_])) {
      while (pos_ < in_.size() && IsNameChar(in_[pos_])) ++pos_;
      sel.name = std::string(in_.substr(start, pos_ - start));
      for (std::string_view kw : {"sum", "rate", "avg", "min", "max", "count", "histogram_quantile",
                                  "increase", "abs", "absent", "topk", "bottomk"}) {
        SkipSpace();
        if (sel.name == kw && pos_ < in_.size() && in_[pos_] == '(') {
          return Error(start, StrCat("function or aggregation \"", kw,
                                     "\" is not supported in this version"));
        }
      }
      auto m = labels::Matcher::Create(labels::MatchType::kEqual, "__name__", sel.name);
      sel.matchers.push_back(*m);
    }
    SkipSpace();
    if (pos_ < in_.size() && in_[pos_] == '{') {
      ++pos_;
      while (true) {
        SkipSpace();
        if (pos_ >= in_.size()) return Error(pos_, "unexpected end of input inside braces");
        if (in_[pos_] == '}') {
          ++pos_;
          break;
        }
        size_t name_start = pos_;
        while (pos_ < in_.size() && IsNameChar(in_[pos_])) ++pos_;
        if (pos_ == name_start) return Error(pos_, "expected label matching operator");
        std::string name(in_.substr(name_start, pos_ - name_start));
        SkipSpace();
        labels::MatchType type;
        if (in_.substr(pos_, 2) == "=~") { type = labels::MatchType::kRegex; pos_ += 2; }
        else if (in_.substr(pos_, 2) == "!~") { type = labels::MatchType::kNotRegex; pos_ += 2; }
        else if (in_.substr(pos_, 2) == "!=") { type = labels::MatchType::kNotEqual; pos_ += 2; }
        else if (in_.substr(pos_, 1) == "=") { type = labels::MatchType::kEqual; pos_ += 1; }
        else return Error(pos_, "expected label matching operator");
        SkipSpace();
        if (pos_ >= in_.size() || (in_[pos_] != '"' && in_[pos_] != '\'')) {
          return Error(pos_, "expected string literal for label value");
        }
        char quote = in_[pos_++];
        std::string value;
        while (true) {
          if (pos_ >= in_.size()) return Error(pos_, "unterminated quoted string");
          char ch = in_[pos_++];
          if (ch == quote) break;
          if (ch == '\\' && pos_ < in_.size()) {
            char n = in_[pos_++];
            switch (n) {
              case 'n': value.push_back('\n'); break;
              case 't': value.push_back('\t'); break;
              case '\\': value.push_back('\\'); break;
              case '"': value.push_back('"'); break;
              case '\'': value.push_back('\''); break;
              default: value.push_back('\\'); value.push_back(n);
            }
            continue;
          }
          value.push_back(ch);
        }
        if (name == "__name__" && !sel.name.empty()) {
          return Error(name_start, "metric name must not be set twice");
        }
        auto m = labels::Matcher::Create(type, name, value);
        if (!m.ok()) return Error(name_start, ToStd(m.status().message()));
        sel.matchers.push_back(std::move(*m));
        SkipSpace();
        if (pos_ < in_.size() && in_[pos_] == ',') ++pos_;
        else if (pos_ < in_.size() && in_[pos_] != '}') return Error(pos_, "expected ',' or '}'");
      }
    }
    if (pos_ < in_.size() && (in_[pos_] == '[' || in_.substr(pos_, 6) == "offset")) {
      return Error(pos_, "range selectors and offset are not supported in this version");
    }
    bool any_nonempty = false;
    for (const auto& m : sel.matchers) any_nonempty = any_nonempty || !m.MatchesValue("");
    if (!any_nonempty) {
      return Error(start, "vector selector must contain at least one non-empty matcher");
    }
    e->text = std::string(in_.substr(start, pos_ - start));
    return e;
  }

  std::string_view in_;
  size_t pos_ = 0;
};

}  // namespace

absl::StatusOr<ExprPtr> ParseExpr(std::string_view input) { return Parser(input).Parse(); }

}  // namespace vigil::promql
