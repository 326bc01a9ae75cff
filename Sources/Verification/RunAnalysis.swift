import Ledger
import Scenario

/// The one pure step from what a run recorded to its report.
///
/// Call once at the end of a run (or on a ledger file read back later):
/// `RunAnalysis.report(RunAnalysis.Inputs(plan:events:observers:…))`.
public enum RunAnalysis {
    /// Everything the verdicts need.
    public struct Inputs: Sendable {
        public var plan: Plan
        /// The ledger, in any order (sorted by time here).
        public var events: [RunEvent]
        /// The observers' merged counts (``ObserverSink/merged(_:)``).
        public var observers: ObserverTotals
        /// Latencies the fleet measured itself that are not in the ledger (PUBACK/PUBCOMP).
        public var deviceLatency: LatencyBook
        /// Telemetry the devices published per second, when the fleet counts it.
        public var publishedPerSecond: [UInt64]
        /// Overrides the moment for the connected-at-end and retained-status checks
        /// (default: the `stop` step, else the end of the run).
        public var checkAt: UInt64?

        public init(
            plan: Plan, events: [RunEvent], observers: ObserverTotals, deviceLatency: LatencyBook = LatencyBook(),
            publishedPerSecond: [UInt64] = [], checkAt: UInt64? = nil
        ) {
            self.plan = plan
            self.events = events
            self.observers = observers
            self.deviceLatency = deviceLatency
            self.publishedPerSecond = publishedPerSecond
            self.checkAt = checkAt
        }
    }

    public static func report(_ inputs: Inputs) -> RunReport {
        let plan = inputs.plan
        let devices = plan.devices()
        let events = inputs.events.enumerated()
            .sorted { ($0.element.at, $0.offset) < ($1.element.at, $1.offset) }
            .map(\.element)
        let cutoff = inputs.checkAt ?? RetainedStatusCheck.defaultCutoff(events)
        let rules = WillRules(plan)
        var sessions: [String: PlannedSession] = [:]
        for device in devices { sessions[device.clientID] = PlannedSession(device) }
        let lost = Dictionary(uniqueKeysWithValues: SessionVerdicts.lostSessions(events, sessions: sessions))

        let wills = WillVerdicts.judge(events, rules: rules)
        var vocabulary: [String: StatusVocabulary] = [:]
        for device in devices { vocabulary[device.clientID] = StatusVocabulary(device) }
        let statusChecks = RetainedStatusCheck.check(events, vocabulary: vocabulary, rules: rules, asOf: cutoff)
        let connection = ConnectionAnalysis.analyze(events, cutoff: cutoff)

        var latency = inputs.deviceLatency
        collectLedgerLatencies(events, into: &latency)
        latency.merge(.endToEnd, inputs.observers.endToEnd)
        for verdict in wills where verdict.judgement.willArrived && verdict.ending != nil && verdict.ending != .unplanned {
            if let value = verdict.latencyNs { latency.record(.willDelivery, value) }
        }

        let (total, perDevice) = telemetry(devices: devices, events: events, trackers: inputs.observers.trackers)
        let irregular = perDevice
            .filter { $0.counts.lost + $0.counts.duplicates + $0.counts.outOfOrder > 0 }
            .sorted { ($0.counts.lost, $0.counts.duplicates, $0.counts.outOfOrder) > ($1.counts.lost, $1.counts.duplicates, $1.counts.outOfOrder) }

        var series = RunSeries()
        series.connected = connection.connectedPerSecond
        series.published = inputs.publishedPerSecond
        series.delivered = inputs.observers.deliveredPerSecond

        let facts = ExpectationEvaluation.Facts(
            wills: wills,
            statusChecks: statusChecks,
            telemetryTotal: total,
            telemetryByDevice: perDevice,
            latency: latency,
            connections: connection.stats,
            deviceCount: devices.count,
            neverConnected: neverConnected(devices: devices, events: events),
            connackReasonCodes: events.compactMap {
                if case .connectFailed(.connack, _, let code) = $0.kind { return code } else { return nil }
            },
            devicesWithRefusedSubscriptions: Array(Set(events.compactMap {
                if case .subscribeRefused = $0.kind { return $0.device } else { return nil }
            })).sorted(),
            devicesWithSubscriptions: devices.filter { !$0.subscribe.isEmpty }.count,
            closedByBroker: closedByBroker(devices: devices, events: events),
            resumedSessions: resumedSessions(devices: devices, events: events),
            lostSessions: devices.compactMap { device in lost[device.clientID].map { "\(device.clientID) (\($0))" } },
            queuedDelivery: SessionVerdicts.queuedDelivery(events, sessions: sessions)
        )

        let cloud = CloudAnalysis.section(events)
        let twin = TwinAnalysis.section(events)
        return RunReport(
            scenario: ScenarioInfo(name: plan.name, seed: plan.seed, devices: devices.count, sourcePath: plan.sourcePath),
            durationNs: events.last?.at ?? 0,
            endReason: events.reversed().lazy.compactMap {
                if case .runEnded(let reason) = $0.kind { return reason.rawValue } else { return nil }
            }.first,
            connections: connection.stats,
            series: series,
            steps: connection.steps,
            faults: connection.faults,
            wills: WillSection(verdicts: wills),
            retainedStatus: StatusSection(checks: statusChecks),
            telemetry: TelemetrySection(
                total: total, devices: perDevice.count, irregular: irregular,
                unknownTopic: inputs.observers.unknownTopic, unreadable: inputs.observers.unreadable,
                unknownTopicRetained: inputs.observers.unknownTopicRetained
            ),
            latency: latency.phases.keys.sorted().map { LatencyEntry(phase: $0, histogram: latency.phases[$0]!) },
            expectations: ExpectationEvaluation.evaluate(plan.expectations, facts: facts)
                + CloudAnalysis.evaluate(plan.expectations.iotHub, cloud)
                + TwinAnalysis.evaluate(plan.expectations.iotHub, twin),
            cloud: cloud,
            sessions: DeviceSideAnalysis.sessions(events),
            deviceErrors: DeviceSideAnalysis.errors(events),
            credentials: CredentialAnalysis.analyze(events),
            twin: twin
        )
    }

    /// Connect-phase latencies recorded in `connected` / `subscribed` events, and command round trips.
    /// Commands are timed from the device's latest `publish` step before the reply (events in time order).
    static func collectLedgerLatencies(_ events: [RunEvent], into book: inout LatencyBook) {
        var commandSentAt: [String: UInt64] = [:]
        for event in events {
            switch event.kind {
            case .faultInjected(.publish, _, _, _, _, _, _, _):
                if let device = event.device { commandSentAt[device] = event.at }
            case .replyReceived:
                if let device = event.device, let sent = commandSentAt.removeValue(forKey: device), event.at >= sent {
                    book.record(.commandReply, event.at - sent)
                }
            case .connected(let tcpNs, let tlsNs, let webSocketNs, let connackNs, _):
                book.record(.tcpConnect, tcpNs)
                if let tlsNs { book.record(.tlsHandshake, tlsNs) }
                if let webSocketNs { book.record(.webSocketUpgrade, webSocketNs) }
                book.record(.connack, connackNs)
            case .subscribed(_, let subackNs):
                book.record(.suback, subackNs)
            case .methodCompleted(_, _, .answered, _, let roundTripNs):
                book.record(.commandReply, roundTripNs)
            case .twinAnswered(_, _, _, let roundTripNs):
                book.record(.twinResponse, roundTripNs)
            default:
                continue
            }
        }
    }

    /// Per-device telemetry counts (devices with telemetry or with messages heard) and their sum.
    static func telemetry(
        devices: [DevicePlan], events: [RunEvent], trackers: [SequenceTracker]
    ) -> (TelemetryCounts, [DeviceTelemetryCounts]) {
        var summaries: [String: (sent: UInt64, lastSequence: UInt64)] = [:]
        for event in events {
            if case .telemetrySummary(let sent, _, let last) = event.kind, let device = event.device {
                summaries[device] = (sent, last)
            }
        }
        var total = TelemetryCounts()
        var perDevice: [DeviceTelemetryCounts] = []
        for device in devices {
            let tracker = device.ordinal < trackers.count ? trackers[device.ordinal] : SequenceTracker()
            guard device.telemetry != nil || tracker.delivered > 0 else { continue }
            let counts = tracker.counts(deviceSummary: summaries[device.clientID])
            total = total + counts
            perDevice.append(DeviceTelemetryCounts(device: device.clientID, counts: counts))
        }
        return (total, perDevice)
    }

    /// Each device whose connection the broker ended at least once (a DISCONNECT from it or its side closing,
    /// or a takeover), with the first such ending's cause and detail.
    static func closedByBroker(devices: [DevicePlan], events: [RunEvent]) -> [(device: String, detail: String)] {
        var first: [String: String] = [:]
        for event in events {
            guard case .disconnected(let cause, let detail) = event.kind, cause == .serverDisconnect || cause == .takenOver,
                  let device = event.device, first[device] == nil
            else { continue }
            first[device] = Wording.cause(cause) + (detail.map { ": \($0)" } ?? "")
        }
        return devices.compactMap { device in first[device.clientID].map { (device.clientID, $0) } }
    }

    /// Devices that connected at least once with CONNACK session present.
    static func resumedSessions(devices: [DevicePlan], events: [RunEvent]) -> [String] {
        var resumed: Set<String> = []
        for event in events {
            if case .connected(_, _, _, _, true) = event.kind, let device = event.device { resumed.insert(device) }
        }
        return devices.map(\.clientID).filter(resumed.contains)
    }

    static func neverConnected(devices: [DevicePlan], events: [RunEvent]) -> [String] {
        var connected: Set<String> = []
        for event in events {
            if case .connected = event.kind, let device = event.device { connected.insert(device) }
        }
        return devices.map(\.clientID).filter { !connected.contains($0) }
    }
}
