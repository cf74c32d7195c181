#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "lib/labels/labels.h"

namespace vigil::rules::tmpl {

// Prometheus's template sample: {Labels map[string]string; Value float64}.
struct TemplateSample {
  labels::Labels labels;
  double value = 0;
};
using SampleList = std::vector<std::shared_ptr<const TemplateSample>>;  // queryResult

struct Value;
using ValueMap = std::map<std::string, Value>;  // map[string]interface{} (from `args`)

// The alert's template data: Prometheus's AlertTemplateData struct.
struct AlertData {
  std::shared_ptr<const labels::Labels> labels, external_labels;
  std::string external_url;
  double value = 0;
};

// A value during execution, typed as the Go value Prometheus's templates would hold.
struct Value {
  enum class Kind {
    kInvalid,  // Go's nil / missing value
    kBool,
    kInt,
    kFloat,
    kString,
    kLabels,  // map[string]string
    kSample,  // *template.sample (sample may be null: a nil pointer)
    kVector,  // template.queryResult
    kMap,     // map[string]interface{}
    kData,    // the alert data struct
    kTime,    // *time.Time; f holds Unix seconds
  };
  Kind kind = Kind::kInvalid;
  bool b = false;
  int64_t i = 0;
  double f = 0;
  std::string s;
  std::shared_ptr<const labels::Labels> labels;
  std::shared_ptr<const TemplateSample> sample;
  std::shared_ptr<const SampleList> vector;
  std::shared_ptr<const ValueMap> map;
  std::shared_ptr<const AlertData> data;

  static Value Bool(bool v);
  static Value Int(int64_t v);
  static Value Float(double v);
  static Value String(std::string v);
  static Value Labels(std::shared_ptr<const labels::Labels> v);
  static Value Sample(std::shared_ptr<const TemplateSample> v);
  static Value Vector(std::shared_ptr<const SampleList> v);
};

// Go's int64(v) on amd64: values out of range (and NaN) become math.MinInt64, where a C++
// cast would be undefined.
int64_t GoInt64(double v);

// Go's type name, as in "wrong type for value; expected string; got float64".
std::string TypeName(const Value& v);

// Go's truth (text/template isTrue): false, 0, "", empty collections and nil are false.
bool IsTrue(const Value& v);

// fmt.Sprint of one value (%v). Pointers at the top are shown as "&{...}" like fmt does.
std::string FormatValue(const Value& v);

// What {{ pipeline }} prints: text/template's printValue ("<no value>" for nil, pointers
// dereferenced).
std::string PrintValue(const Value& v);

// Go's fmt.Sprintf, fmt.Sprint and fmt.Sprintln over template values, including Go's
// error notations (%!d(float64=1.5), %!v(MISSING), %!(EXTRA int=1)).
std::string GoSprintf(const std::string& format, const std::vector<Value>& args);
std::string GoSprint(const std::vector<Value>& args);
std::string GoSprintln(const std::vector<Value>& args);

}  // namespace vigil::rules::tmpl
