import Ledger
import Scenario

/// What the IoT Hub operator sent during the run (`iothub` steps), read from its `cloudMessage` faults, and how
/// its direct method calls ended, read from `methodCompleted` events.
public struct CloudSection: Codable, Sendable, Hashable {
    public struct Messages: Codable, Sendable, Hashable {
        /// Requests the operator made (delivered + not delivered + refused).
        public var sent = 0
        /// The hub queued them to a session with a matching subscription.
        public var delivered = 0
        /// No session or no matching subscription: dropped, as IoT Hub drops them.
        public var notDelivered = 0
        /// Refused by the hub before anything was sent.
        public var refused = 0

        public init() {}
    }

    public struct MethodCalls: Codable, Sendable, Hashable {
        /// Calls the hub accepted (each has a `$rid` and ends answered or timed out).
        public var called = 0
        public var answered = 0
        /// Answered with a body that is not JSON.
        public var malformed = 0
        public var timedOut = 0
        /// Neither answered nor timed out when the run ended.
        public var pending = 0
        /// Answers by status (`"200"`: 3).
        public var statuses: [String: Int] = [:]
        /// The slowest answer's round trip; nil when none was answered.
        public var slowestAnswerNs: UInt64?

        public init() {}
    }

    /// By request kind: `c2d`, `desired`, `method`.
    public var messages: [String: Messages] = [:]
    public var methods = MethodCalls()

    public init() {}

    /// All kinds together.
    public var total: Messages {
        messages.values.reduce(into: Messages()) { sum, part in
            sum.sent += part.sent
            sum.delivered += part.delivered
            sum.notDelivered += part.notDelivered
            sum.refused += part.refused
        }
    }
}

public enum CloudAnalysis {
    /// The section, or nil when the operator sent nothing during the run.
    public static func section(_ events: [RunEvent]) -> CloudSection? {
        var section = CloudSection()
        var seen = false
        for event in events {
            switch event.kind {
            case .faultInjected(.cloudMessage, let detail, _, _, _, _, _, _):
                guard let detail = detail.flatMap(CloudMessageDetail.init(parsing:)) else { continue }
                seen = true
                var counts = section.messages[detail.kind.rawValue, default: CloudSection.Messages()]
                counts.sent += 1
                switch detail.outcome {
                case .delivered: counts.delivered += 1
                case .notDelivered: counts.notDelivered += 1
                case .refused: counts.refused += 1
                }
                section.messages[detail.kind.rawValue] = counts
                if detail.kind == .method, !isRefused(detail) { section.methods.called += 1 }
            case .methodCompleted(_, _, let outcome, let status, let roundTripNs):
                seen = true
                switch outcome {
                case .answered:
                    section.methods.answered += 1
                    section.methods.slowestAnswerNs = max(section.methods.slowestAnswerNs ?? 0, roundTripNs)
                case .malformed: section.methods.malformed += 1
                case .timedOut: section.methods.timedOut += 1
                }
                if let status { section.methods.statuses[String(status), default: 0] += 1 }
            default:
                continue
            }
        }
        let methods = section.methods
        section.methods.pending = max(0, methods.called - methods.answered - methods.malformed - methods.timedOut)
        return seen ? section : nil
    }

    private static func isRefused(_ detail: CloudMessageDetail) -> Bool {
        if case .refused = detail.outcome { return true }
        return false
    }

    /// `iothub.delivered` and `iothub.methods-answered`, as `expect.iothub` states them.
    public static func evaluate(_ expectations: IoTHubExpectations?, _ section: CloudSection?) -> [ExpectationResult] {
        guard let expectations else { return [] }
        let cloud = section ?? CloudSection()
        var results: [ExpectationResult] = []
        if let share = expectations.delivered {
            let total = cloud.total
            let actual = "\(total.delivered) of \(total.sent) delivered"
                + (total.refused > 0 ? ", \(total.refused) refused by the hub" : "")
            let passed = switch share {
            case .all: total.sent > 0 && total.delivered == total.sent
            case .noneOfThem: total.sent > 0 && total.delivered == 0
            }
            results.append(ExpectationResult(
                name: "iothub.delivered", expected: share.rawValue, actual: actual, passed: passed,
                failure: passed ? "" : total.sent == 0 ? "the operator sent nothing (no `iothub` step ran)"
                    : share == .all ? "\(total.sent - total.delivered) of \(total.sent) requests did not reach their device"
                    : "\(total.delivered) of \(total.sent) requests reached their device"))
        }
        if let share = expectations.methodsAnswered {
            let methods = cloud.methods
            var actual = "\(methods.answered) of \(methods.called) answered"
            if methods.timedOut > 0 { actual += ", \(methods.timedOut) timed out" }
            if methods.malformed > 0 { actual += ", \(methods.malformed) malformed" }
            if methods.pending > 0 { actual += ", \(methods.pending) pending at the end" }
            let passed = switch share {
            case .all: methods.called > 0 && methods.answered == methods.called
            case .noneOfThem: methods.called > 0 && methods.answered == 0
            }
            results.append(ExpectationResult(
                name: "iothub.methods-answered", expected: share.rawValue, actual: actual, passed: passed,
                failure: passed ? "" : methods.called == 0 ? "no direct method was called"
                    : share == .all ? "\(methods.called - methods.answered) of \(methods.called) calls were not answered in time"
                    : "\(methods.answered) of \(methods.called) calls were answered"))
        }
        return results
    }
}
