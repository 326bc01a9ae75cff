import Scenario
import Verification

/// One expectation's verdict, as the parity check compares them: its name and whether it passed.
struct Verdict: Hashable, CustomStringConvertible {
    var name: String
    var passed: Bool

    var description: String { "\(name): \(passed ? "pass" : "FAIL")" }
}

/// The verdicts a library file must reach: one per expectation the file states, each passed. Both brokers'
/// runs are compared with this one list, so they are compared with each other and every test still stands
/// alone (one broker per test method, in any order or filter).
enum LibraryVerdicts {
    /// The names come from evaluating the file's expectations on an empty run: a name never depends on
    /// what was measured, only on what the file expects.
    static func expected(for plan: Plan) -> [Verdict] {
        (ExpectationEvaluation.evaluate(plan.expectations, facts: emptyFacts)
            + CloudAnalysis.evaluate(plan.expectations.iotHub, nil)).map { Verdict(name: $0.name, passed: true) }
    }

    private static let emptyFacts = ExpectationEvaluation.Facts(
        wills: [], statusChecks: [], telemetryTotal: TelemetryCounts(), telemetryByDevice: [], latency: LatencyBook(),
        connections: ConnectionStats(), deviceCount: 0, neverConnected: [], connackReasonCodes: [],
        devicesWithRefusedSubscriptions: [], devicesWithSubscriptions: 0)
}
