#pragma once

#include <vector>

#include "lib/labels/matcher.h"
#include "lib/promql/ast.h"

namespace vigil::promql {

// The label matchers of every vector selector in `e` — plain ones, those inside range
// selectors and subqueries — in the order they appear, each distinct matcher list once
// (Prometheus's parser.ExtractSelectors, deduplicated). Together they name every series
// evaluating `e` can read: what a store must load, e.g. the evaluator's backfill.
std::vector<std::vector<labels::Matcher>> ExtractSelectors(const Expr& e);

}  // namespace vigil::promql
