import Ledger
import Scenario

/// The devices' IoT Hub twin requests (a group's `twin:`), read from `twinRequested` / `twinAnswered` events.
public struct TwinSection: Codable, Sendable, Hashable {
    public struct Requests: Codable, Sendable, Hashable {
        public var sent = 0
        /// A response with the request's `$rid` arrived, whatever its status.
        public var answered = 0
        /// Answered with a 2xx status (200 for a GET, 204 for a reported patch).
        public var succeeded = 0
        /// Answers by status (`"204": 6`, `"429": 1`).
        public var statuses: [String: Int] = [:]

        public init() {}

        /// Sent and never answered: lost with their connection, or in flight when the run ended.
        public var unanswered: Int { max(0, sent - answered) }

        static func + (lhs: Requests, rhs: Requests) -> Requests {
            var sum = Requests()
            sum.sent = lhs.sent + rhs.sent
            sum.answered = lhs.answered + rhs.answered
            sum.succeeded = lhs.succeeded + rhs.succeeded
            sum.statuses = lhs.statuses.merging(rhs.statuses, uniquingKeysWith: +)
            return sum
        }
    }

    /// By operation: `get`, `report`.
    public var requests: [String: Requests] = [:]
    /// The slowest answer's round trip; nil when none was answered.
    public var slowestAnswerNs: UInt64?

    public init() {}

    public var total: Requests { requests.values.reduce(Requests(), +) }

    /// Whether IoT Hub counts `status` as success.
    public static func isSuccess(_ status: Int) -> Bool { (200..<300).contains(status) }
}

public enum TwinAnalysis {
    /// The section, or nil when no device made a twin request.
    public static func section(_ events: [RunEvent]) -> TwinSection? {
        var section = TwinSection()
        var seen = false
        for event in events {
            switch event.kind {
            case .twinRequested(let operation, _):
                seen = true
                section.requests[operation.rawValue, default: TwinSection.Requests()].sent += 1
            case .twinAnswered(let operation, _, let status, let roundTripNs):
                seen = true
                var counts = section.requests[operation.rawValue, default: TwinSection.Requests()]
                counts.answered += 1
                if TwinSection.isSuccess(status) { counts.succeeded += 1 }
                counts.statuses[String(status), default: 0] += 1
                section.requests[operation.rawValue] = counts
                section.slowestAnswerNs = max(section.slowestAnswerNs ?? 0, roundTripNs)
            default:
                continue
            }
        }
        return seen ? section : nil
    }

    /// Answers that were not a success, for the device-side errors; nil when there were none.
    static func failures(_ events: [RunEvent]) -> DeviceErrorSection.TwinFailures? {
        var failures = DeviceErrorSection.TwinFailures()
        var byDevice: [String: Int] = [:]
        var total = 0
        for event in events {
            guard case .twinAnswered(_, _, let status, _) = event.kind, !TwinSection.isSuccess(status) else { continue }
            total += 1
            failures.statuses[String(status), default: 0] += 1
            if let device = event.device { byDevice[device, default: 0] += 1 }
        }
        guard total > 0 else { return nil }
        failures.requests = DeviceTally(total: total, byDevice: byDevice)
        return failures
    }

    /// `iothub.twin-answered`: `all` — every request answered with a success status (and at least one made);
    /// `none` — not one was.
    public static func evaluate(_ expectations: IoTHubExpectations?, _ section: TwinSection?) -> [ExpectationResult] {
        guard let share = expectations?.twinAnswered else { return [] }
        let total = (section ?? TwinSection()).total
        var actual = "\(total.succeeded) of \(total.sent) answered with success"
        let failed = total.answered - total.succeeded
        if failed > 0 {
            let statuses = total.statuses.filter { !TwinSection.isSuccess(Int($0.key) ?? 0) }
                .sorted { $0.key < $1.key }.map { "\($0.value) × \($0.key)" }
            actual += ", \(failed) failed (" + statuses.joined(separator: ", ") + ")"
        }
        if total.unanswered > 0 { actual += ", \(total.unanswered) unanswered" }
        let passed = switch share {
        case .all: total.sent > 0 && total.succeeded == total.sent
        case .noneOfThem: total.sent > 0 && total.succeeded == 0
        }
        let failure = passed ? "" : total.sent == 0 ? "no device made a twin request (a group's `twin:`)"
            : share == .all ? "\(total.sent - total.succeeded) of \(total.sent) twin requests did not succeed"
            : "\(total.succeeded) of \(total.sent) twin requests succeeded"
        return [ExpectationResult(name: "iothub.twin-answered", expected: share.rawValue, actual: actual, passed: passed,
                                  failure: failure)]
    }
}
