#include "services/evaluator/api_v1.h"

#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>
#include <httplib.h>
#include <poll.h>
#include <unistd.h>

#include <cmath>
#include <cstdlib>
#include <fstream>
#include <future>
#include <limits>
#include <thread>

#include "services/evaluator/api_v1_json.h"
#include "services/evaluator/evaluator_grpc.h"

namespace vigil::evaluator {
namespace {

TEST(ApiV1JsonTest, ParsesTimesLikePrometheus) {
  EXPECT_EQ(*ParseApiTime("1795715999.5"), 1795715999500);
  EXPECT_EQ(*ParseApiTime("1.0005"), 1000);  // math.Round(0.4999..) as Go
  EXPECT_EQ(*ParseApiTime("-1.5"), -1500);
  EXPECT_EQ(*ParseApiTime("1e3"), 1000000);
  EXPECT_EQ(*ParseApiTime("2026-11-26T18:00:00Z"), 1795716000000);
  EXPECT_EQ(*ParseApiTime("2026-11-26T18:00:00.123456Z"), 1795716000123);
  EXPECT_EQ(*ParseApiTime("2026-11-26T19:00:00+01:00"), 1795716000000);
  EXPECT_EQ(std::string(ParseApiTime("abc").status().message()),
            "cannot parse \"abc\" to a valid timestamp");
  EXPECT_FALSE(ParseApiTime("").ok());
}

TEST(ApiV1JsonTest, ParsesDurationsLikePrometheus) {
  EXPECT_EQ(*ParseApiDuration("15s"), 15000);
  EXPECT_EQ(*ParseApiDuration("1.5"), 1500);
  EXPECT_EQ(*ParseApiDuration("1h30m"), 5400000);
  EXPECT_EQ(std::string(ParseApiDuration("1e400").status().message()),
            "cannot parse \"1e400\" to a valid duration");
  EXPECT_EQ(std::string(ParseApiDuration("1e10").status().message()),
            "cannot parse \"1e10\" to a valid duration. It overflows int64");
}

TEST(ApiV1JsonTest, FormatsValuesAndTimestampsLikePrometheus) {
  // web/api/v1's marshalFloat: 'e' below 1e-6 and from 1e21 on, 'f' between.
  EXPECT_EQ(JsonValue(1e-7), "\"1e-07\"");
  EXPECT_EQ(JsonValue(1.2345e-10), "\"1.2345e-10\"");
  EXPECT_EQ(JsonValue(-1e21), "\"-1e+21\"");
  EXPECT_EQ(JsonValue(1e21), "\"1e+21\"");
  EXPECT_EQ(JsonValue(1.2345678901234569e+23), "\"1.2345678901234569e+23\"");
  EXPECT_EQ(JsonValue(5e-324), "\"5e-324\"");
  EXPECT_EQ(JsonValue(-2.2250738585072014e-308), "\"-2.2250738585072014e-308\"");
  EXPECT_EQ(JsonValue(1.7976931348623157e308), "\"1.7976931348623157e+308\"");
  EXPECT_EQ(JsonValue(1.5e300), "\"1.5e+300\"");
  EXPECT_EQ(JsonValue(9.5e-7), "\"9.5e-07\"");
  EXPECT_EQ(JsonValue(std::nextafter(1e-6, 0.0)), "\"9.999999999999997e-07\"");
  EXPECT_EQ(JsonValue(1e-6), "\"0.000001\"");
  EXPECT_EQ(JsonValue(-1e-6), "\"-0.000001\"");
  EXPECT_EQ(JsonValue(1e20), "\"100000000000000000000\"");
  EXPECT_EQ(JsonValue(std::nextafter(1e21, 0.0)), "\"999999999999999900000\"");
  EXPECT_EQ(JsonValue(0.1), "\"0.1\"");
  EXPECT_EQ(JsonValue(0), "\"0\"");
  EXPECT_EQ(JsonValue(-0.0), "\"-0\"");
  EXPECT_EQ(FormatFloatE(1), "1e+00");
  EXPECT_EQ(FormatFloatE(-0.0), "-0e+00");
  EXPECT_EQ(FormatFloatE(123456), "1.23456e+05");
  EXPECT_EQ(FormatFloatE(1e100), "1e+100");
  EXPECT_EQ(JsonValue(std::numeric_limits<double>::infinity()), "\"+Inf\"");
  EXPECT_EQ(JsonValue(-std::numeric_limits<double>::infinity()), "\"-Inf\"");
  EXPECT_EQ(JsonValue(std::nan("")), "\"NaN\"");
  EXPECT_EQ(JsonTimestamp(1795715999500), "1795715999.500");
  EXPECT_EQ(JsonTimestamp(1795715999007), "1795715999.007");
  EXPECT_EQ(JsonTimestamp(1795715999000), "1795715999");
  EXPECT_EQ(JsonString("a<b>&\"\\\n\x01\xff"), R"("a\u003cb\u003e\u0026\"\\\n\u0001\ufffd")");
  EXPECT_EQ(JsonTime(1795716000120), "\"2026-11-26T18:00:00.12Z\"");
  EXPECT_EQ(JsonTime(0), "\"0001-01-01T00:00:00Z\"");
}

TEST(ApiV1JsonTest, EncodesQueryResults) {
  promql::Value scalar{.type = promql::ValueType::kScalar, .scalar = 1.5};
  EXPECT_EQ(QueryDataJson(scalar, -1500), R"({"resultType":"scalar","result":[-1.5,"1.5"]})");
  // A scalar is written in 'f' form whatever its size, a vector's sample in 'e' form.
  promql::Value tiny{.type = promql::ValueType::kScalar, .scalar = 1e-7};
  EXPECT_EQ(QueryDataJson(tiny, 1000), R"({"resultType":"scalar","result":[1,"0.0000001"]})");
  promql::Value tiny_vec{.type = promql::ValueType::kVector};
  tiny_vec.vector.push_back({labels::Labels(), 1e-7, 7});
  EXPECT_EQ(QueryDataJson(tiny_vec, 1000),
            R"({"resultType":"vector","result":[{"metric":{},"value":[1,"1e-07"]}]})");
  promql::Matrix big{{labels::Labels(), {{1000, -1e21}, {2000, 2}}}};
  EXPECT_EQ(MatrixJson(big), R"([{"metric":{},"values":[[1,"-1e+21"],[2,"2"]]}])");
  promql::Value str{.type = promql::ValueType::kString, .str = "abc"};
  EXPECT_EQ(QueryDataJson(str, 100000), R"({"resultType":"string","result":[100,"abc"]})");
  promql::Value vec{.type = promql::ValueType::kVector};
  vec.vector.push_back({labels::Labels({{"__name__", "foo"}, {"a", "x"}}), 3.5, 7});
  EXPECT_EQ(QueryDataJson(vec, 1795715999500),
            R"({"resultType":"vector","result":[{"metric":{"__name__":"foo","a":"x"},)"
            R"("value":[1795715999.500,"3.5"]}]})");
  promql::Value empty{.type = promql::ValueType::kVector};
  EXPECT_EQ(QueryDataJson(empty, 0), R"({"resultType":"vector","result":[]})");
  EXPECT_EQ(ErrorJson("bad_data", "x <y>"),
            R"({"status":"error","errorType":"bad_data","error":"x \u003cy\u003e"})");
}

// An evaluator with its runtime and a loop thread, as evaluator_app runs them.
class ApiV1ServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/vigil-api-v1-test-XXXXXX";
    dir_ = mkdtemp(tmpl);
    std::ofstream(dir_ + "/rules.yml") << R"(
groups:
  - name: g
    interval: 10s
    rules:
      - alert: High
        expr: foo > 1
        labels: {severity: page}
        annotations: {summary: "{{ $labels.a }} high"}
      - record: foo:sum
        expr: sum(foo)
)";
    std::ofstream(dir_ + "/prometheus.yml") << "rule_files: [rules.yml]\n";
    auto cfg = promconfig::LoadPrometheusConfig(dir_ + "/prometheus.yml");
    ASSERT_TRUE(cfg.ok()) << cfg.status();
    ASSERT_TRUE(core_.LoadRules(*cfg, 0).ok());
    std::vector<codec::DecodedSeries> in;
    in.push_back(
        {labels::Labels({{"__name__", "foo"}, {"a", "x"}}), {{1000, 1}, {61000, 2}, {121000, 3}}});
    in.push_back({labels::Labels({{"__name__", "foo"}, {"a", "y"}}), {{1000, 0.5}}});
    core_.OnSamples(in);
    for (TimestampMs t = 0; t <= 125000; t += 5000) core_.Tick(t);

    service::CommonFlags f;
    f.config_file = dir_ + "/prometheus.yml";
    f.web_listen_address = "127.0.0.1:0";
    f.grpc_listen_address = "127.0.0.1:0";
    rt_ = std::make_unique<service::Runtime>("evaluator", f, clock_);
    api_ = std::make_unique<ApiV1>(*rt_, core_);
    grpc_service_ = std::make_unique<EvaluatorService>(*rt_, core_);
    rt_->AddGrpcService(grpc_service_.get());
    ASSERT_TRUE(rt_->Start().ok());
    loop_ = std::thread([this] {
      while (!rt_->stopping()) {
        pollfd p{rt_->tasks().fd(), POLLIN, 0};
        poll(&p, 1, 50);
        rt_->tasks().RunAll();
      }
    });
    std::string host;
    ASSERT_TRUE(service::SplitHostPort(rt_->http_address(), &host, &port_));
  }
  void TearDown() override {
    rt_->RequestStop();
    loop_.join();
    rt_->Shutdown();
    std::system(("rm -rf " + dir_).c_str());
  }

  std::pair<int, std::string> Get(const std::string& path) {
    httplib::Client c("127.0.0.1", port_);
    auto r = c.Get(path.c_str());
    if (!r) return {0, ""};
    return {r->status, r->body};
  }

  std::string dir_;
  ManualClock clock_{FromMs(200000)};
  Evaluator core_{EvaluatorOptions{}};
  std::unique_ptr<service::Runtime> rt_;
  std::unique_ptr<ApiV1> api_;
  std::unique_ptr<EvaluatorService> grpc_service_;
  std::thread loop_;
  int port_ = 0;
};

TEST_F(ApiV1ServerTest, QueriesOverHttp) {
  EXPECT_EQ(Get("/api/v1/query?query=foo&time=121.5"),
            (std::pair<int, std::string>{
                200, R"({"status":"success","data":{"resultType":"vector","result":[)"
                     R"({"metric":{"__name__":"foo","a":"x"},"value":[121.500,"3"]},)"
                     R"({"metric":{"__name__":"foo","a":"y"},"value":[121.500,"0.5"]}]}})"}));
  // No time: the clock's now.
  EXPECT_EQ(Get("/api/v1/query?query=time()").second,
            R"({"status":"success","data":{"resultType":"scalar","result":[200,"200"]}})");
  EXPECT_EQ(Get("/api/v1/query_range?query=foo%7Ba%3D%22x%22%7D&start=0&end=120&step=60").second,
            R"({"status":"success","data":{"resultType":"matrix","result":[)"
            R"({"metric":{"__name__":"foo","a":"x"},"values":[[60,"1"],[120,"2"]]}]}})");
  httplib::Client c("127.0.0.1", port_);
  auto post =
      c.Post("/api/v1/query", "query=foo%5B1m%5D&time=121", "application/x-www-form-urlencoded");
  ASSERT_TRUE(post);
  EXPECT_EQ(post->body,
            R"({"status":"success","data":{"resultType":"matrix","result":[)"
            R"({"metric":{"__name__":"foo","a":"x"},"values":[[61,"2"],[121,"3"]]}]}})");
}

TEST_F(ApiV1ServerTest, ErrorsLikePrometheus) {
  EXPECT_EQ(Get("/api/v1/query?query=foo%2B"),
            (std::pair<int, std::string>{
                400, R"({"status":"error","errorType":"bad_data","error":"invalid parameter )"
                     R"(\"query\": 1:5: parse error: unexpected end of input"})"}));
  EXPECT_EQ(Get("/api/v1/query?query=foo&time=abc").second,
            R"({"status":"error","errorType":"bad_data","error":"invalid parameter \"time\": )"
            R"(Invalid time value for 'time': cannot parse \"abc\" to a valid timestamp"})");
  EXPECT_EQ(Get("/api/v1/query_range?query=foo&start=1&end=0&step=1").second,
            R"({"status":"error","errorType":"bad_data","error":"invalid parameter \"end\": )"
            R"(end timestamp must not be before start time"})");
  EXPECT_EQ(Get("/api/v1/query_range?query=foo[5m]&start=0&end=1&step=1").second,
            R"({"status":"error","errorType":"bad_data","error":"invalid expression type )"
            R"(\"range vector\" for range query, must be Scalar or instant Vector"})");
  // Two series with the same labels after dropping the name: an execution error.
  auto exec = Get("/api/v1/query?query=abs(%7B__name__%3D~%22foo.*%22%7D)%20*%201&time=121");
  EXPECT_EQ(exec.first, 200);  // foo and foo:sum differ by labels a; no clash
  auto clash =
      Get("/api/v1/query?query=label_replace(foo,%22a%22,%22%22,%22a%22,%22.*%22)&time=121");
  EXPECT_EQ(clash.first, 422) << clash.second;
  EXPECT_NE(clash.second.find(R"("errorType":"execution")"), std::string::npos);
  EXPECT_EQ(Get("/api/v1/series").second,
            R"({"status":"error","errorType":"bad_data","error":"no match[] parameter provided"})");
  EXPECT_EQ(Get("/api/v1/series?match[]=%7B%7D").second,
            R"({"status":"error","errorType":"bad_data","error":"invalid parameter \"match[]\": )"
            R"(match[] must contain at least one non-empty matcher"})");
  EXPECT_EQ(Get("/api/v1/label/1a/values").second,
            R"({"status":"error","errorType":"bad_data","error":"invalid label name: \"1a\""})");
}

TEST_F(ApiV1ServerTest, SeriesAndLabels) {
  EXPECT_EQ(
      Get("/api/v1/series?match[]=foo").second,
      R"({"status":"success","data":[{"__name__":"foo","a":"x"},{"__name__":"foo","a":"y"}]})");
  EXPECT_EQ(Get("/api/v1/series?match[]=foo&start=2").second,
            R"({"status":"success","data":[{"__name__":"foo","a":"x"}]})");
  EXPECT_EQ(Get("/api/v1/labels").second,
            R"({"status":"success","data":["__name__","a","alertname","alertstate","severity"]})");
  EXPECT_EQ(Get("/api/v1/label/a/values?match[]=foo").second,
            R"({"status":"success","data":["x","y"]})");
  EXPECT_EQ(Get("/api/v1/label/zz/values").second, R"({"status":"success","data":[]})");
}

TEST_F(ApiV1ServerTest, RulesAlertsAndBuildInfo) {
  // The group's evaluation times depend on its offset (a hash of its file path).
  const rules::Group& g = *core_.groups()[0];
  const std::string last = JsonTime(g.last_evaluation());
  ASSERT_EQ(g.alerting(0)->active().size(), 1u);
  const rules::Alert& alert = g.alerting(0)->active().begin()->second;
  const std::string alert_json =
      R"({"labels":{"a":"x","alertname":"High","severity":"page"},)"
      R"("annotations":{"summary":"x high"},"state":"firing","activeAt":)" +
      JsonTime(alert.active_at) + R"(,"value":")" + (alert.value == 2 ? "2e+00" : "3e+00") +
      R"("})";
  EXPECT_EQ(Get("/api/v1/alerts").second,
            R"({"status":"success","data":{"alerts":[)" + alert_json + "]}}");
  EXPECT_EQ(Get("/api/v1/rules?type=record").second,
            R"j({"status":"success","data":{"groups":[{"name":"g","file":")j" + dir_ +
                R"j(/rules.yml","rules":[{"name":"foo:sum","query":"sum(foo)","health":"ok",)j"
                R"j("evaluationTime":0,"lastEvaluation":)j" +
                last +
                R"j(,"type":"recording"}],"interval":10,"limit":0,"evaluationTime":0,)j"
                R"j("lastEvaluation":)j" +
                last + "}]}}");
  EXPECT_EQ(Get("/api/v1/rules?type=x").second,
            R"({"status":"error","errorType":"bad_data","error":"invalid parameter \"type\": )"
            R"(not supported value \"x\""})");
  std::string all = Get("/api/v1/rules").second;
  EXPECT_NE(all.find(R"({"state":"firing","name":"High","query":"foo \u003e 1","duration":0,)"
                     R"("keepFiringFor":0,"labels":{"severity":"page"},)"
                     R"("annotations":{"summary":"{{ $labels.a }} high"},"alerts":[)" +
                     alert_json + R"(],"health":"ok","evaluationTime":0,"lastEvaluation":)" + last +
                     R"(,"type":"alerting"})"),
            std::string::npos)
      << all;
  auto build = Get("/api/v1/status/buildinfo");
  EXPECT_EQ(build.first, 200);
  EXPECT_NE(build.second.find(R"("goVersion":"")"), std::string::npos);
}

TEST_F(ApiV1ServerTest, TimeoutParameter) {
  EXPECT_EQ(Get("/api/v1/query?query=1&timeout=x").second,
            R"({"status":"error","errorType":"bad_data","error":"invalid parameter \"timeout\": )"
            R"(cannot parse \"x\" to a valid duration"})");
  // A loop that does not get to the query within `timeout`: Prometheus's timeout error.
  std::promise<void> release;
  std::shared_future<void> released = release.get_future().share();
  rt_->tasks().Post([released] { released.wait(); });
  EXPECT_EQ(Get("/api/v1/query?query=1&timeout=0.05"),
            (std::pair<int, std::string>{503, R"({"status":"error","errorType":"timeout",)"
                                              R"("error":"query timed out in query execution"})"}));
  release.set_value();
  EXPECT_EQ(Get("/api/v1/query?query=1&time=1&timeout=1m").first, 200);
}

// gRPC ListRules: every rule of every group, its health and its pending or firing alerts.
TEST_F(ApiV1ServerTest, ListRulesOverGrpc) {
  auto stub = v1::Evaluator::NewStub(
      grpc::CreateChannel(rt_->grpc_address(), grpc::InsecureChannelCredentials()));
  grpc::ClientContext ctx;
  v1::ListRulesResponse resp;
  ASSERT_TRUE(stub->ListRules(&ctx, v1::ListRulesRequest(), &resp).ok());
  ASSERT_EQ(resp.rules_size(), 2);
  const v1::RuleStatus& high = resp.rules(0);
  EXPECT_EQ(high.group(), "g");
  EXPECT_EQ(high.name(), "High");
  EXPECT_EQ(high.type(), "alerting");
  EXPECT_EQ(high.query(), "foo > 1");
  EXPECT_EQ(high.health(), "ok");
  EXPECT_EQ(high.active_alerts(), 1u);  // foo{a="x"} is 3; foo{a="y"} never went over 1
  EXPECT_EQ(high.last_evaluation_ms(), resp.rules(1).last_evaluation_ms());
  EXPECT_GT(high.last_evaluation_ms(), 0);
  EXPECT_EQ(resp.rules(1).name(), "foo:sum");
  EXPECT_EQ(resp.rules(1).type(), "recording");
  EXPECT_EQ(resp.rules(1).active_alerts(), 0u);
}

TEST_F(ApiV1ServerTest, QueriesOverGrpc) {
  auto channel = grpc::CreateChannel(rt_->grpc_address(), grpc::InsecureChannelCredentials());
  auto stub = v1::Evaluator::NewStub(channel);
  {
    grpc::ClientContext ctx;
    v1::QueryRequest req;
    req.set_query("sum(foo)");
    req.set_time_ms(121000);
    v1::QueryResponse resp;
    ASSERT_TRUE(stub->Query(&ctx, req, &resp).ok());
    EXPECT_EQ(resp.result_type(), "vector");
    ASSERT_EQ(resp.series_size(), 1);
    EXPECT_EQ(resp.series(0).points(0).value(), 3.5);
    EXPECT_EQ(resp.series(0).points(0).t_ms(), 121000);
    EXPECT_EQ(resp.time_ms(), 121000);
  }
  {
    grpc::ClientContext ctx;
    v1::QueryRequest req;
    req.set_query("foo +");
    v1::QueryResponse resp;
    grpc::Status s = stub->Query(&ctx, req, &resp);
    EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
    EXPECT_EQ(s.error_message(), "1:6: parse error: unexpected end of input");
  }
  {
    grpc::ClientContext ctx;
    v1::QueryRangeRequest req;
    req.set_query("foo{a=\"x\"}");
    req.set_start_ms(0);
    req.set_end_ms(120000);
    req.set_step_ms(60000);
    v1::QueryRangeResponse resp;
    ASSERT_TRUE(stub->QueryRange(&ctx, req, &resp).ok());
    ASSERT_EQ(resp.series_size(), 1);
    EXPECT_EQ(resp.series(0).points_size(), 2);
  }
  {
    grpc::ClientContext ctx;
    v1::QueryRangeRequest req;
    req.set_query("foo");
    req.set_start_ms(0);
    req.set_end_ms(120000);
    v1::QueryRangeResponse resp;
    EXPECT_EQ(stub->QueryRange(&ctx, req, &resp).error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  }
}

}  // namespace
}  // namespace vigil::evaluator
