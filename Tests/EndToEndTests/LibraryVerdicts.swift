import Scenario
import Verification

/// One expectation's verdict, as the parity check compares them: its name and whether it passed.
struct Verdict: Hashable, CustomStringConvertible {
    var name: String
    var passed: Bool

    var description: String { "\(name): \(passed ? "pass" : "FAIL")" }
}

/// A verdict that differs between mosquitto and the lab broker for a reason that was measured, with what
/// each broker's run must read for it: the behaviour itself is asserted, not only the verdict.
struct VerdictDifference {
    var scenario: String
    var expectation: String
    var passesOnMosquitto: Bool
    var passesOnLabBroker: Bool
    /// The expectation's `actual` text on each broker.
    var actualOnMosquitto: String
    var actualOnLabBroker: String

    func passes(on broker: LibraryBroker) -> Bool {
        broker == .mosquitto ? passesOnMosquitto : passesOnLabBroker
    }

    func actual(on broker: LibraryBroker) -> String {
        broker == .mosquitto ? actualOnMosquitto : actualOnLabBroker
    }
}

/// The verdicts a library file must reach: one per expectation the file states, each passed, except the
/// documented differences. Both brokers' runs are compared with this one list, so they are compared with
/// each other and every test still stands alone (one broker per test method, in any order or filter).
enum LibraryVerdicts {
    static let differences: [VerdictDifference] = [
        // Measured on the test mosquitto 2.0.11, port 1884, with mosquitto_sub -V mqttv5 and -V mqttv311
        // subscribing to forbidden/x/configuration: "Subscribed (mid: 1): 0" — SUBACK 0, granted, and nothing is
        // delivered (Scenarios/README.md). The specification lets a server refuse a subscription it does not
        // authorize (3.1.1 §3.9.3: 0x80 Failure; 5.0 §3.9.3: 0x87 Not authorized), which is what the lab broker
        // answers under the profile modelling that ACL. The file states mosquitto's answer.
        VerdictDifference(scenario: "subscribe-not-authorized", expectation: "subscribe",
                          passesOnMosquitto: true, passesOnLabBroker: false,
                          actualOnMosquitto: "0 of 5 subscribing devices refused",
                          actualOnLabBroker: "5 of 5 subscribing devices refused"),
    ]

    static func differences(for scenario: String) -> [VerdictDifference] {
        differences.filter { $0.scenario == scenario }
    }

    /// The names come from evaluating the file's expectations on an empty run: a name never depends on
    /// what was measured, only on what the file expects.
    static func expected(for plan: Plan, scenario: String, on broker: LibraryBroker) -> [Verdict] {
        let names = ExpectationEvaluation.evaluate(plan.expectations, facts: emptyFacts).map(\.name)
        let differing = differences(for: scenario)
        return names.map { name in
            Verdict(name: name, passed: differing.first { $0.expectation == name }?.passes(on: broker) ?? true)
        }
    }

    private static let emptyFacts = ExpectationEvaluation.Facts(
        wills: [], statusChecks: [], telemetryTotal: TelemetryCounts(), telemetryByDevice: [], latency: LatencyBook(),
        connections: ConnectionStats(), deviceCount: 0, neverConnected: [], connackReasonCodes: [],
        devicesWithRefusedSubscriptions: [], devicesWithSubscriptions: 0)
}
