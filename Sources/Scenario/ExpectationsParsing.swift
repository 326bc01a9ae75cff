import Yams

extension ScenarioParser {
    static let expectKeys = [
        "wills", "telemetry", "latency", "connected-at-end", "connect", "subscribe", "retained-status", "closed-by-broker",
        "resumed-sessions", "iothub", "lost-sessions", "queued-delivery",
    ]

    func expectationsSpec(_ node: Node) -> Expectations {
        var expectations = Expectations()
        guard let reader = MappingReader(node, what: "expect", allowed: Self.expectKeys, diagnostics: diagnostics) else {
            return expectations
        }
        expectations.wills = reader["wills"].flatMap(willExpectations)
        expectations.telemetry = reader["telemetry"].flatMap(telemetryExpectations)
        expectations.latency = reader["latency"].map(latencyExpectations) ?? []
        expectations.connectedAtEnd = reader["connected-at-end"].flatMap { deviceCount($0, key: "connected-at-end") }
        expectations.connect = reader["connect"].flatMap { diagnostics.choice($0, "connect outcome", as: ConnectOutcome.self) }
        expectations.subscribe = reader["subscribe"].flatMap {
            diagnostics.choice($0, "subscribe outcome", as: SubscribeOutcome.self)
        }
        expectations.retainedStatusMatches = reader["retained-status"].flatMap { diagnostics.boolean($0, "retained-status") }
            ?? false
        expectations.closedByBroker = reader["closed-by-broker"].flatMap { deviceCount($0, key: "closed-by-broker") }
        expectations.resumedSessions = reader["resumed-sessions"].flatMap { deviceCount($0, key: "resumed-sessions") }
        expectations.iotHub = reader["iothub"].flatMap(iotHubExpectations)
        expectations.lostSessions = reader["lost-sessions"].flatMap { deviceCount($0, key: "lost-sessions") }
        expectations.queuedDelivery = reader["queued-delivery"].flatMap {
            diagnostics.choice($0, "queued-delivery", as: QueuedDeliveryExpectation.self)
        }
        return expectations
    }

    private func willExpectations(_ node: Node) -> WillExpectations? {
        let keys = WillExpectations.Ending.allCases.map(\.rawValue) + ["deadline-grace", "silent-detection-factor"]
        guard let reader = MappingReader(node, what: "expect.wills", allowed: keys, diagnostics: diagnostics) else {
            return nil
        }
        var wills = WillExpectations(stated: [])
        for ending in WillExpectations.Ending.allCases {
            guard let outcome = reader[ending.rawValue].flatMap({
                diagnostics.choice($0, "will outcome", as: WillOutcome.self)
            }) else { continue }
            wills[ending] = outcome
            wills.stated.insert(ending)
        }
        wills.deadlineGrace = reader["deadline-grace"].flatMap { diagnostics.duration($0, "deadline-grace") }
            ?? wills.deadlineGrace
        wills.silentDetectionFactor = reader["silent-detection-factor"].flatMap {
            diagnostics.number($0, "silent-detection-factor", in: 1...10)
        } ?? wills.silentDetectionFactor
        return wills
    }

    private func telemetryExpectations(_ node: Node) -> TelemetryExpectations? {
        guard let reader = MappingReader(node, what: "expect.telemetry",
                                         allowed: ["max-loss", "max-duplicates", "max-out-of-order"],
                                         diagnostics: diagnostics) else { return nil }
        func limit(_ key: String) -> Int? { reader[key].flatMap { diagnostics.integer($0, key, in: 0...Int.max) } }
        return TelemetryExpectations(maxLoss: limit("max-loss"), maxDuplicates: limit("max-duplicates"),
                                     maxOutOfOrder: limit("max-out-of-order"))
    }

    /// `latency: { end-to-end: { p99: 250ms, p50: 20ms }, connack: { p99.9: 1s } }`.
    private func latencyExpectations(_ node: Node) -> [LatencyExpectation] {
        let phases = LatencyPhase.allCases.map(\.rawValue)
        guard let reader = MappingReader(node, what: "expect.latency", allowed: phases, diagnostics: diagnostics) else {
            return []
        }
        var result: [LatencyExpectation] = []
        for (key, _) in reader.presentKeys {
            guard let phase = LatencyPhase(rawValue: key), let value = reader[key] else { continue }
            guard case .mapping(let percentiles) = value else {
                diagnostics.report(value, "`\(key)` must map percentiles to durations, e.g. { p99: 250ms }")
                continue
            }
            for (percentileNode, limitNode) in percentiles {
                let text = percentileNode.string ?? ""
                guard text.hasPrefix("p"), let percentile = Quantities.decimal(String(text.dropFirst())),
                      percentile > 0, percentile <= 100 else {
                    diagnostics.report(percentileNode, "`\(text)` is not a percentile",
                                       hint: "write p50, p99, p99.9 … (p100 is the maximum)")
                    continue
                }
                guard let limit = diagnostics.duration(limitNode, text) else { continue }
                result.append(LatencyExpectation(phase: phase, percentile: percentile, max: limit))
            }
        }
        return result
    }

    /// `{ at-least | at-most | exactly: N }` or `{ percent: P% }` of the devices, under `expect.<key>`.
    private func deviceCount(_ node: Node, key expectation: String) -> ConnectedExpectation? {
        let keys = ["at-least", "at-most", "exactly", "percent"]
        guard let reader = MappingReader(node, what: "expect.\(expectation)", allowed: keys, diagnostics: diagnostics)
        else { return nil }
        let present = reader.presentKeys
        guard present.count == 1, let (key, _) = present.first, let value = reader[key] else {
            diagnostics.report(node, "`\(expectation)` takes exactly one of " + keys.joined(separator: ", "))
            return nil
        }
        switch key {
        case "at-least": return diagnostics.integer(value, key, in: 0...Int.max).map { .atLeast($0) }
        case "at-most": return diagnostics.integer(value, key, in: 0...Int.max).map { .atMost($0) }
        case "exactly": return diagnostics.integer(value, key, in: 0...Int.max).map { .exactly($0) }
        default: return diagnostics.percent(value, key).map { .percent($0) }
        }
    }
}
