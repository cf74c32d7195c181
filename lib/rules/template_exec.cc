#include "lib/rules/template_exec.h"

#include <algorithm>
#include <utility>
#include <vector>

#include "lib/base/format.h"

namespace vigil::rules::tmpl {
namespace {

using K = Value::Kind;

// Unwinds execution to Execute() on the first error, as Go's exec.go does with
// panic/recover; it never leaves this file.
struct ExecError {
  std::string message;
};

// Output bound, so a template cannot build an unbounded string (range over range...).
constexpr size_t kMaxOutput = 1 << 20;

// Step bound (nodes walked plus commands run), so nested ranges cannot run for hours.
constexpr int64_t kMaxSteps = 1'000'000;

enum class Flow { kNormal, kBreak, kContinue };

class Executor {
 public:
  Executor(const Template& t, const ExecEnv& env) : t_(t), env_(env) {}

  std::string Run(const Value& dot) {
    vars_.emplace_back("$", dot);
    Walk(dot, *t_.root);
    return std::move(out_);
  }

 private:
  [[noreturn]] void Fail(std::string_view msg) {
    size_t pos = at_ ? std::min(at_->pos, t_.text.size()) : 0;
    std::string_view before(t_.text.data(), pos);
    int line = 1 + static_cast<int>(std::count(before.begin(), before.end(), '\n'));
    size_t nl = before.rfind('\n');
    size_t col = nl == std::string_view::npos ? pos : pos - nl - 1;
    std::string node = at_ ? at_->String() : "";
    throw ExecError{StrCat("template: ", t_.name, ":", line, ":", col, ": executing \"", t_.name,
                           "\" at <", node, ">: ", msg)};
  }

  void Step() {
    if (++steps_ > kMaxSteps) Fail("template execution exceeds 1000000 steps");
  }

  Flow Walk(const Value& dot, const Node& n) {
    at_ = &n;
    Step();
    switch (n.type) {
      case NodeType::kList:
        for (const auto& c : n.nodes) {
          Flow f = Walk(dot, *c);
          if (f != Flow::kNormal) return f;
        }
        return Flow::kNormal;
      case NodeType::kText:
        Emit(n.text);
        return Flow::kNormal;
      case NodeType::kAction: {
        Value v = EvalPipeline(dot, *n.pipe);
        if (n.pipe->decl.empty()) Emit(PrintValue(v));
        return Flow::kNormal;
      }
      case NodeType::kIf:
      case NodeType::kWith: {
        size_t mark = vars_.size();
        Value v = EvalPipeline(dot, *n.pipe);
        Flow f = Flow::kNormal;
        if (IsTrue(v)) {
          f = Walk(n.type == NodeType::kWith ? v : dot, *n.list);
        } else if (n.else_list) {
          f = Walk(dot, *n.else_list);
        }
        vars_.resize(mark);
        return f;
      }
      case NodeType::kRange: return WalkRange(dot, n);
      case NodeType::kBreak: return Flow::kBreak;
      case NodeType::kContinue: return Flow::kContinue;
      default: Fail("unknown node");
    }
  }

  void Emit(const std::string& s) {
    if (out_.size() + s.size() > kMaxOutput) Fail("template output exceeds 1 MiB");
    out_ += s;
  }

  void SetVar(const std::string& name, Value v) {
    for (auto it = vars_.rbegin(); it != vars_.rend(); ++it) {
      if (it->first == name) {
        it->second = std::move(v);
        return;
      }
    }
    Fail(StrCat("undefined variable: ", name));
  }

  Flow WalkRange(const Value& dot, const Node& r) {
    size_t mark = vars_.size();
    Value v = EvalPipeline(dot, *r.pipe);
    std::vector<std::pair<Value, Value>> items;  // (index or key, element)
    switch (v.kind) {
      case K::kVector:
        for (size_t i = 0; i < v.vector->size(); ++i) {
          items.emplace_back(Value::Int(static_cast<int64_t>(i)), Value::Sample((*v.vector)[i]));
        }
        break;
      case K::kLabels:
        for (const labels::LabelView& l : *v.labels) {
          items.emplace_back(Value::String(std::string(l.name)), Value::String(std::string(l.value)));
        }
        break;
      case K::kMap:
        for (const auto& [k, e] : *v.map) items.emplace_back(Value::String(k), e);
        break;
      case K::kInvalid: break;
      default: Fail(StrCat("range can't iterate over ", FormatValue(v)));
    }
    const std::vector<std::string>& decl = r.pipe->decl;
    for (const auto& [index, elem] : items) {
      size_t iter_mark = vars_.size();
      if (!decl.empty()) {
        if (r.pipe->is_assign) {
          SetVar(decl[0], decl.size() > 1 ? index : elem);
          if (decl.size() > 1) SetVar(decl[1], elem);
        } else {
          vars_[vars_.size() - 1].second = elem;
          if (decl.size() > 1) vars_[vars_.size() - 2].second = index;
        }
      }
      Flow f = Walk(elem, *r.list);
      vars_.resize(iter_mark);
      if (f == Flow::kBreak) break;
    }
    if (items.empty() && r.else_list) {
      Flow f = Walk(dot, *r.else_list);
      vars_.resize(mark);
      return f;
    }
    vars_.resize(mark);
    return Flow::kNormal;
  }

  Value EvalPipeline(const Value& dot, const Node& pipe) {
    at_ = &pipe;
    Value v;
    bool has_final = false;
    for (const auto& cmd : pipe.nodes) {
      v = EvalCommand(dot, *cmd, v, has_final);
      has_final = true;
    }
    for (const std::string& name : pipe.decl) {
      if (pipe.is_assign) {
        SetVar(name, v);
      } else {
        vars_.emplace_back(name, v);
      }
    }
    return v;
  }

  void NotAFunction(const Node& cmd, bool has_final) {
    if (cmd.nodes.size() > 1 || has_final) {
      Fail(StrCat("can't give argument to non-function ", cmd.nodes[0]->String()));
    }
  }

  Value VarValue(const std::string& name) {
    for (auto it = vars_.rbegin(); it != vars_.rend(); ++it) {
      if (it->first == name) return it->second;
    }
    Fail(StrCat("undefined variable: ", name));
  }

  Value EvalCommand(const Value& dot, const Node& cmd, const Value& final, bool has_final) {
    Step();
    const Node& first = *cmd.nodes[0];
    bool has_args = cmd.nodes.size() > 1 || has_final;
    switch (first.type) {
      case NodeType::kField:
        at_ = &first;
        return FieldChain(dot, first.idents, 0, has_args);
      case NodeType::kChain: {
        at_ = &first;
        // Go reports a failing field at the last node the pipe evaluated.
        Value recv = EvalArg(dot, *first.pipe);
        return FieldChain(recv, first.idents, 0, has_args);
      }
      case NodeType::kIdentifier: return EvalFunction(dot, first, cmd, final, has_final);
      case NodeType::kPipe:
        NotAFunction(cmd, has_final);
        return EvalPipeline(dot, first);
      case NodeType::kVariable: {
        at_ = &first;
        Value v = VarValue(first.idents[0]);
        if (first.idents.size() == 1) {
          NotAFunction(cmd, has_final);
          return v;
        }
        return FieldChain(v, first.idents, 1, has_args);
      }
      default: break;
    }
    at_ = &first;
    NotAFunction(cmd, has_final);
    return Constant(dot, first);
  }

  Value Constant(const Value& dot, const Node& n) {
    switch (n.type) {
      case NodeType::kBool: return Value::Bool(n.bool_value);
      case NodeType::kDot: return dot;
      case NodeType::kNumber: return n.is_int ? Value::Int(n.int_value) : Value::Float(n.float_value);
      case NodeType::kString: return Value::String(n.text);
      case NodeType::kNil: Fail("nil is not a command");
      default: Fail(StrCat("can't evaluate command \"", n.String(), "\""));
    }
  }

  // recv.idents[from].idents[from+1]...; only the last field may be given arguments.
  Value FieldChain(Value recv, const std::vector<std::string>& idents, size_t from, bool has_args) {
    for (size_t i = from; i < idents.size(); ++i) {
      recv = Field(recv, idents[i], has_args && i + 1 == idents.size());
    }
    return recv;
  }

  Value Field(const Value& recv, const std::string& name, bool has_args) {
    switch (recv.kind) {
      case K::kData: {
        if (has_args) Fail(StrCat(name, " has arguments but cannot be invoked as function"));
        const AlertData& d = *recv.data;
        if (name == "Labels") return Value::Labels(d.labels);
        if (name == "ExternalLabels") return Value::Labels(d.external_labels);
        if (name == "ExternalURL") return Value::String(d.external_url);
        if (name == "Value") return Value::Float(d.value);
        break;
      }
      case K::kSample:
        if (!recv.sample) Fail(StrCat("nil pointer evaluating *template.sample.", name));
        if (has_args) Fail(StrCat(name, " has arguments but cannot be invoked as function"));
        if (name == "Labels") {
          return Value::Labels(std::shared_ptr<const labels::Labels>(recv.sample, &recv.sample->labels));
        }
        if (name == "Value") return Value::Float(recv.sample->value);
        break;
      case K::kLabels:
        if (has_args) Fail(StrCat(name, " is not a method but has arguments"));
        return Value::String(std::string(recv.labels->Get(name)));
      case K::kMap: {
        if (has_args) Fail(StrCat(name, " is not a method but has arguments"));
        auto it = recv.map->find(name);
        return it == recv.map->end() ? Value() : it->second;
      }
      case K::kInvalid: Fail(StrCat("nil pointer evaluating interface {}.", name));
      default: break;
    }
    Fail(StrCat("can't evaluate field ", name, " in type ", TypeName(recv)));
  }

  Value EvalFunction(const Value& dot, const Node& ident, const Node& cmd, const Value& final,
                     bool has_final) {
    at_ = &ident;
    const std::string& name = ident.text;
    // A function named as an argument (`not true | and ok`) is called without arguments.
    static const std::vector<std::unique_ptr<Node>> kNoArgs;
    const auto& nodes = &cmd == &ident ? kNoArgs : cmd.nodes;
    size_t begin = &cmd == &ident ? 0 : 1;
    size_t nargs = nodes.size() - begin + (has_final ? 1 : 0);
    if (name == "and" || name == "or") {
      if (nargs < 1) Fail(StrCat("wrong number of args for ", name, ": want at least 1 got 0"));
      Value v;
      for (size_t i = begin; i < nodes.size(); ++i) {
        v = EvalArg(dot, *nodes[i]);
        if (IsTrue(v) == (name == "or")) return v;
      }
      return has_final ? final : v;
    }
    std::vector<Value> args;
    for (size_t i = begin; i < nodes.size(); ++i) {
      CheckLiteral(*nodes[i], ParamKind(name, i - begin));
      args.push_back(EvalArg(dot, *nodes[i]));
    }
    if (has_final) args.push_back(final);
    at_ = &ident;
    absl::StatusOr<Value> r = CallFunction(env_, name, args);
    if (r.ok() && r->kind == K::kString && r->s.size() > kMaxOutput) {
      Fail("template value exceeds 1 MiB");
    }
    if (r.ok()) return *std::move(r);
    if (r.status().code() == absl::StatusCode::kInvalidArgument) {
      Fail(std::string(r.status().message()));
    }
    at_ = &cmd;
    Fail(StrCat("error calling ", name, ": ", r.status().message()));
  }

  // Go converts a literal argument to the parameter's type while evaluating it, and fails
  // on the literals it cannot convert.
  void CheckLiteral(const Node& n, K want) {
    if (want == K::kInvalid) return;
    bool literal = n.type == NodeType::kString || n.type == NodeType::kNumber ||
                   n.type == NodeType::kBool || n.type == NodeType::kNil;
    if (!literal) return;
    at_ = &n;
    Value probe;
    probe.kind = want;
    if (want == K::kString && n.type == NodeType::kNil) Fail("cannot assign nil to string");
    if (want == K::kString && n.type != NodeType::kString) {
      Fail(StrCat("expected string; found ", n.String()));
    }
    if (want != K::kString && n.type != NodeType::kNil) {
      Fail(StrCat("can't handle ", n.String(), " for arg of type ", TypeName(probe)));
    }
  }

  Value EvalArg(const Value& dot, const Node& n) {
    at_ = &n;
    switch (n.type) {
      case NodeType::kDot: return dot;
      case NodeType::kNil: return Value();
      case NodeType::kField: return FieldChain(dot, n.idents, 0, false);
      case NodeType::kVariable: {
        Value v = VarValue(n.idents[0]);
        return FieldChain(v, n.idents, 1, false);
      }
      case NodeType::kPipe: return EvalPipeline(dot, n);
      case NodeType::kIdentifier: return EvalFunction(dot, n, n, Value(), false);
      case NodeType::kChain: {
        Value recv = EvalArg(dot, *n.pipe);
        return FieldChain(recv, n.idents, 0, false);
      }
      default: return Constant(dot, n);
    }
  }

  const Template& t_;
  const ExecEnv& env_;
  const Node* at_ = nullptr;
  std::vector<std::pair<std::string, Value>> vars_;
  std::string out_;
  int64_t steps_ = 0;
};

}  // namespace

absl::StatusOr<std::string> Execute(const Template& t, const Value& dot, const ExecEnv& env) {
  try {
    return Executor(t, env).Run(dot);
  } catch (const ExecError& e) {
    return absl::InvalidArgumentError(e.message);
  }
}

}  // namespace vigil::rules::tmpl
