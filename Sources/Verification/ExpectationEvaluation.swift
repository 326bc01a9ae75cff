import Scenario

/// Turns the numbers of a run into pass/fail against the scenario's `expect:`.
///
/// Every expectation the scenario states becomes one ``ExpectationResult``;
/// failures say why and name up to ``exampleCount`` devices.
public enum ExpectationEvaluation {
    public static let exampleCount = 5

    /// The facts the expectations are judged on.
    public struct Facts: Sendable {
        public var wills: [WillVerdict]
        public var statusChecks: [StatusCheck]
        public var telemetryTotal: TelemetryCounts
        public var telemetryByDevice: [DeviceTelemetryCounts]
        public var latency: LatencyBook
        public var connections: ConnectionStats
        public var deviceCount: Int
        /// Devices that never connected, and the failures' reason codes.
        public var neverConnected: [String]
        public var connackReasonCodes: [UInt8]
        public var devicesWithRefusedSubscriptions: [String]
        public var devicesWithSubscriptions: Int
        /// Each device whose connection the broker ended (DISCONNECT, its side closing, a takeover) with the
        /// first such ending's description, in device order.
        public var closedByBroker: [(device: String, detail: String)]
        /// Devices whose reconnect found their session (CONNACK session present), in device order.
        public var resumedSessions: [String]
        /// Devices that came back to their persistent session within its expiry and found none, each with
        /// that reconnect described, in device order.
        public var lostSessions: [String]
        /// One verdict per offline spell of a persistent-session device that had messages sent to it.
        public var queuedDelivery: [QueuedDeliveryVerdict]

        public init(
            wills: [WillVerdict], statusChecks: [StatusCheck], telemetryTotal: TelemetryCounts,
            telemetryByDevice: [DeviceTelemetryCounts], latency: LatencyBook, connections: ConnectionStats,
            deviceCount: Int, neverConnected: [String], connackReasonCodes: [UInt8],
            devicesWithRefusedSubscriptions: [String], devicesWithSubscriptions: Int,
            closedByBroker: [(device: String, detail: String)] = [], resumedSessions: [String] = [],
            lostSessions: [String] = [], queuedDelivery: [QueuedDeliveryVerdict] = []
        ) {
            self.wills = wills
            self.statusChecks = statusChecks
            self.telemetryTotal = telemetryTotal
            self.telemetryByDevice = telemetryByDevice
            self.latency = latency
            self.connections = connections
            self.deviceCount = deviceCount
            self.neverConnected = neverConnected
            self.connackReasonCodes = connackReasonCodes
            self.devicesWithRefusedSubscriptions = devicesWithRefusedSubscriptions
            self.devicesWithSubscriptions = devicesWithSubscriptions
            self.closedByBroker = closedByBroker
            self.resumedSessions = resumedSessions
            self.lostSessions = lostSessions
            self.queuedDelivery = queuedDelivery
        }
    }

    public static func evaluate(_ expectations: Expectations, facts: Facts) -> [ExpectationResult] {
        var results: [ExpectationResult] = []
        if let wills = expectations.wills { results += evaluateWills(wills, facts.wills) }
        if let telemetry = expectations.telemetry { results += evaluateTelemetry(telemetry, facts) }
        results += expectations.latency.map { evaluateLatency($0, facts.latency) }
        if let connected = expectations.connectedAtEnd { results.append(evaluateConnected(connected, facts)) }
        if let connect = expectations.connect { results.append(evaluateConnect(connect, facts)) }
        if let subscribe = expectations.subscribe { results.append(evaluateSubscribe(subscribe, facts)) }
        if expectations.retainedStatusMatches { results.append(evaluateStatus(facts.statusChecks)) }
        if let closed = expectations.closedByBroker {
            results.append(evaluateDeviceCount(
                "closed-by-broker", closed, devices: facts.closedByBroker.map { "\($0.device) (\($0.detail))" },
                what: "had a connection closed by the broker", deviceCount: facts.deviceCount))
        }
        if let resumed = expectations.resumedSessions {
            results.append(evaluateDeviceCount(
                "resumed-sessions", resumed, devices: facts.resumedSessions, what: "found their session on a reconnect",
                deviceCount: facts.deviceCount))
        }
        if let lost = expectations.lostSessions {
            results.append(evaluateDeviceCount(
                "lost-sessions", lost, devices: facts.lostSessions,
                what: "came back within their session expiry and found no session", deviceCount: facts.deviceCount))
        }
        if let queued = expectations.queuedDelivery { results.append(evaluateQueuedDelivery(queued, facts.queuedDelivery)) }
        return results
    }

    // MARK: Sessions

    private static func evaluateQueuedDelivery(
        _ expectation: QueuedDeliveryExpectation, _ verdicts: [QueuedDeliveryVerdict]
    ) -> ExpectationResult {
        let failing = verdicts.filter(\.judgement.failed)
        var counts: [QueuedDeliveryJudgement: Int] = [:]
        for verdict in verdicts { counts[verdict.judgement, default: 0] += 1 }
        let actual = QueuedDeliveryJudgement.allCases.compactMap { judgement in
            counts[judgement].map { "\($0) \(judgement.rawValue)" }
        }.joined(separator: ", ")
        guard !verdicts.isEmpty else {
            return ExpectationResult(
                name: "queued-delivery", expected: expectation.rawValue, actual: "nothing queued", passed: false,
                failure: "no QoS ≥ 1 message was sent to a device with a persistent session while it was offline")
        }
        return ExpectationResult(
            name: "queued-delivery", expected: expectation.rawValue, actual: actual + " offline spell(s)",
            passed: failing.isEmpty,
            failure: failing.isEmpty ? "" : "\(failing.count) of \(verdicts.count) offline spells failed: "
                + examples(failing.map { "\($0.device) \($0.judgement.rawValue): \($0.reason)" }))
    }

    // MARK: Wills

    private static func evaluateWills(_ wills: WillExpectations, _ verdicts: [WillVerdict]) -> [ExpectationResult] {
        var results: [ExpectationResult] = []
        for key in WillExpectations.Ending.allCases where wills[key] != .ignore {
            let ending = endingKind(key)
            let outcome = wills[key]
            let name = Wording.ending(ending)
            let cases = verdicts.filter { $0.ending == ending }
            let failing = cases.filter { failsExpectation($0, outcome) }
            let undecided = cases.filter { $0.judgement == .undecided }.count
            let actual = cases.isEmpty
                ? "no \(name) endings injected"
                : tally(cases) + (undecided > 0 ? " (\(undecided) pending: the run ended before their deadline)" : "")
            results.append(ExpectationResult(
                name: "wills.\(key.rawValue)",
                expected: outcome.rawValue,
                actual: actual,
                passed: failing.isEmpty,
                failure: failing.isEmpty ? "" : describe(failing, of: cases.count, ending: name),
                isDefault: !wills.stated.contains(key),
                exercised: !cases.isEmpty
            ))
        }
        let orphans = verdicts.filter { $0.ending == nil }
        results.append(ExpectationResult(
            name: "wills.unexplained",
            expected: "no will without an ending",
            actual: "\(orphans.count) unexplained",
            passed: orphans.isEmpty,
            failure: orphans.isEmpty ? "" : "\(Wording.count(orphans.count, "will")) arrived for connected devices: "
                + examples(orphans.map { "\($0.device) (\($0.reason))" }),
            isDefault: true
        ))
        return results
    }

    static func endingKind(_ ending: WillExpectations.Ending) -> EndingKind {
        switch ending {
        case .abrupt: .abrupt
        case .silent: .silent
        case .graceful: .graceful
        case .gracefulWithWill: .gracefulWithWill
        case .takeover: .takeover
        }
    }

    private static func failsExpectation(_ verdict: WillVerdict, _ outcome: WillOutcome) -> Bool {
        switch outcome {
        case .ignore:
            false
        case .none:
            verdict.judgement.willArrived
        case .delivered:
            [.missing, .late, .early, .unexpected, .duplicated].contains(verdict.judgement)
        }
    }

    private static func tally(_ verdicts: [WillVerdict]) -> String {
        var counts: [WillJudgement: Int] = [:]
        for verdict in verdicts { counts[verdict.judgement, default: 0] += 1 }
        return WillJudgement.allCases.compactMap { judgement in
            counts[judgement].map { "\($0) \(Wording.judgement(judgement))" }
        }.joined(separator: ", ")
    }

    private static func describe(_ failing: [WillVerdict], of total: Int, ending: String) -> String {
        "\(failing.count) of \(total) \(ending) endings failed: "
            + examples(failing.map { "\($0.device) \(Wording.judgement($0.judgement)): \($0.reason)" })
    }

    // MARK: Telemetry

    private static func evaluateTelemetry(_ telemetry: TelemetryExpectations, _ facts: Facts) -> [ExpectationResult] {
        let limits: [(String, Int?, KeyPath<TelemetryCounts, UInt64>)] = [
            ("loss", telemetry.maxLoss, \.lost),
            ("duplicates", telemetry.maxDuplicates, \.duplicates),
            ("out-of-order", telemetry.maxOutOfOrder, \.outOfOrder),
        ]
        return limits.compactMap { name, limit, field in
            guard let limit else { return nil }
            let value = facts.telemetryTotal[keyPath: field]
            let passed = value <= UInt64(max(limit, 0))
            let worst = facts.telemetryByDevice
                .filter { $0.counts[keyPath: field] > 0 }
                .sorted { $0.counts[keyPath: field] > $1.counts[keyPath: field] }
            return ExpectationResult(
                name: "telemetry.\(name)",
                expected: "at most \(limit)",
                actual: "\(value)",
                passed: passed,
                failure: passed ? "" : "\(value) \(name) over \(worst.count) device(s), limit \(limit): "
                    + examples(worst.map { "\($0.device) \($0.counts[keyPath: field])" })
            )
        }
    }

    // MARK: Latency

    private static func evaluateLatency(_ expectation: LatencyExpectation, _ book: LatencyBook) -> ExpectationResult {
        let phase = MeasuredPhase(expectation.phase)
        let limit = Duration.nanosecondsClamped(expectation.max)
        let label = "p\(percentileLabel(expectation.percentile))"
        let name = "latency.\(expectation.phase.rawValue).\(label)"
        guard let histogram = book[phase], histogram.count > 0 else {
            return ExpectationResult(
                name: name, expected: "at most \(Format.duration(limit))", actual: "no samples", passed: false,
                failure: "no \(phase.title) latency was measured, so \(label) cannot be checked"
            )
        }
        let value = histogram.valueAt(percentile: expectation.percentile)
        let passed = value <= limit
        return ExpectationResult(
            name: name, expected: "at most \(Format.duration(limit))", actual: Format.duration(value), passed: passed,
            failure: passed ? "" : "\(phase.title) \(label) is \(Format.duration(value)) over \(histogram.count) samples, "
                + "above \(Format.duration(limit))"
        )
    }

    static func percentileLabel(_ percentile: Double) -> String {
        percentile == percentile.rounded() ? String(Int(percentile)) : String(percentile)
    }

    // MARK: Connections

    private static func evaluateConnected(_ expectation: ConnectedExpectation, _ facts: Facts) -> ExpectationResult {
        let connected = facts.connections.connectedAtEnd
        let (expected, passed) = bound(expectation, count: connected, of: facts.deviceCount)
        return ExpectationResult(
            name: "connected-at-end", expected: expected, actual: "\(connected)", passed: passed,
            failure: passed ? "" : "\(connected) of \(facts.deviceCount) devices connected at the end, expected \(expected)"
                + (facts.neverConnected.isEmpty ? "" : "; never connected: " + examples(facts.neverConnected))
        )
    }

    /// A bound on how many devices had something happen; the failure names the devices it happened to.
    private static func evaluateDeviceCount(
        _ name: String, _ expectation: ConnectedExpectation, devices: [String], what: String, deviceCount: Int
    ) -> ExpectationResult {
        let (expected, passed) = bound(expectation, count: devices.count, of: deviceCount)
        let named = devices.isEmpty ? "" : ": " + examples(devices)
        return ExpectationResult(
            name: name, expected: expected, actual: "\(devices.count)", passed: passed,
            failure: passed ? "" : "\(devices.count) of \(deviceCount) devices \(what), expected \(expected)\(named)")
    }

    /// The bound in the file's words (`at-least: 3` is `at least 3`), and whether `count` (of `total` devices) is inside it.
    private static func bound(_ expectation: ConnectedExpectation, count: Int, of total: Int) -> (String, Bool) {
        switch expectation {
        case .atLeast(let limit): ("at least \(limit)", count >= limit)
        case .atMost(let limit): ("at most \(limit)", count <= limit)
        case .exactly(let limit): ("exactly \(limit)", count == limit)
        case .percent(let share):
            ("at least \(percentileLabel(share))% of \(total)", Double(count) * 100 >= share * Double(total))
        }
    }

    private static func evaluateConnect(_ outcome: ConnectOutcome, _ facts: Facts) -> ExpectationResult {
        let connects = facts.connections.connects
        let failures = facts.connections.failuresByStage.values.reduce(0, +)
        let actual = "\(connects) accepted, \(failures) failed"
        let passed: Bool
        var failure = ""
        switch outcome {
        case .accepted:
            passed = failures == 0 && facts.neverConnected.isEmpty
            if !passed {
                failure = "\(failures) connection attempt(s) failed ("
                    + facts.connections.failuresByReason.sorted { $0.value > $1.value }.prefix(3)
                        .map { "\($0.key) ×\($0.value)" }.joined(separator: ", ") + ")"
                    + (facts.neverConnected.isEmpty ? "" : "; never connected: " + examples(facts.neverConnected))
            }
        case .refused:
            passed = connects == 0 && failures > 0
            if !passed { failure = connects > 0 ? "\(connects) connection(s) were accepted" : "no attempt was made" }
        case .notAuthorized:
            let notAuthorized = facts.connackReasonCodes.filter { $0 == 5 || $0 == 0x87 }.count
            passed = connects == 0 && notAuthorized > 0 && notAuthorized == facts.connackReasonCodes.count
            if !passed {
                failure = connects > 0
                    ? "\(connects) connection(s) were accepted"
                    : "refusals were not all \"not authorized\": reason codes "
                        + Set(facts.connackReasonCodes).sorted().map { String($0) }.joined(separator: ", ")
            }
        }
        return ExpectationResult(name: "connect", expected: outcome.rawValue, actual: actual, passed: passed, failure: failure)
    }

    private static func evaluateSubscribe(_ outcome: SubscribeOutcome, _ facts: Facts) -> ExpectationResult {
        let refused = facts.devicesWithRefusedSubscriptions
        let actual = "\(refused.count) of \(facts.devicesWithSubscriptions) subscribing devices refused"
        switch outcome {
        case .granted:
            return ExpectationResult(
                name: "subscribe", expected: "granted", actual: actual, passed: refused.isEmpty,
                failure: refused.isEmpty ? "" : "subscriptions refused for " + examples(refused)
            )
        case .denied:
            let passed = !refused.isEmpty && refused.count >= facts.devicesWithSubscriptions
            return ExpectationResult(
                name: "subscribe", expected: "denied", actual: actual, passed: passed,
                failure: passed ? "" : "only \(refused.count) of \(facts.devicesWithSubscriptions) devices were refused"
            )
        }
    }

    private static func evaluateStatus(_ checks: [StatusCheck]) -> ExpectationResult {
        let failed = checks.filter(\.result.failed)
        let compared = checks.filter { $0.result != .notApplicable }.count
        return ExpectationResult(
            name: "retained-status",
            expected: "matches every device's state",
            actual: "\(failed.count) of \(compared) mismatched",
            passed: failed.isEmpty,
            failure: failed.isEmpty ? "" : "\(failed.count) device(s) have a retained status that contradicts their state: "
                + examples(failed.map { "\($0.device) is \($0.online ? "online" : "offline") but status is \($0.status.map { "\"\($0)\"" } ?? "absent")" })
        )
    }

    static func examples(_ items: [String]) -> String {
        let shown = items.prefix(exampleCount).joined(separator: "; ")
        return items.count > exampleCount ? shown + "; … and \(items.count - exampleCount) more" : shown
    }
}
