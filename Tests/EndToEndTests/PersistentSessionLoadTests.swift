import Foundation
import Ledger
import Synchronization
import Verification
import XCTest

/// Persistent sessions under load, on the test mosquitto: 100 MQTT 5 devices at QoS 1 and 100 at QoS 2, Clean
/// Start 0 and a one-hour session, stream telemetry every 200 or 500 ms while the same 20 % of each lose their
/// link three times (a stall that holds what they send and what comes back, then an abrupt close that discards it,
/// then a reconnect a second later). Nothing may be lost; QoS 1 may duplicate, QoS 2 must not. The observers'
/// counts are checked against an independent subscriber: mosquitto's own `mosquitto_sub` on the same topics.
final class PersistentSessionLoadTests: XCTestCase {
    func testNothingLostOverThreeCutsAndTheObserversAgreeWithMosquittoSub() throws {
        // Fresh client IDs and topics per run: the broker keeps sessions for an hour, and other runs share it.
        let token = String(UUID().uuidString.prefix(8)).lowercased()
        let fixture = Fixture(token: token)
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("fleet-e2e-sessions-\(token)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let scenario = folder.appendingPathComponent("persistent-session-load.yaml").path
        try fixture.yaml.write(toFile: scenario, atomically: true, encoding: .utf8)

        let subscriber = try IndependentSubscriber(filter: fixture.topicFilter, sentinel: fixture.sentinelTopic)
        defer { subscriber.stop() }
        try subscriber.waitUntilSubscribed()

        let run = try FleetBinary.run(scenario: scenario)
        try subscriber.publishSentinelAndWait()

        let report = try run.report()
        XCTAssertEqual(run.outcome.status, 0, "every expectation of the fixture passed\n\(run.outcome.output)")
        for result in report.expectations where !result.passed {
            XCTFail("\(result.name) expected \(result.expected), got \(result.actual): \(result.failure)")
        }
        let events = try run.events()
        let cuts = events.filter { if case .disconnected(.abrupt, _) = $0.kind { true } else { false } }
        XCTAssertEqual(cuts.count, 3 * fixture.cutPerRound.count, "three rounds of abrupt cuts")
        let resent = events.reduce(0) { total, event in
            if case .sessionCarried(let resent, let abandoned) = event.kind {
                XCTAssertEqual(abandoned, 0, "\(event.device ?? "?"): the broker kept the session")
                return total + resent
            }
            return total
        }
        XCTAssertGreaterThan(resent, 0, "the cuts left publishes in flight, so resending them is what is tested")

        let total = report.telemetry.total
        let byQoS = Dictionary(grouping: report.telemetry.irregular) { fixture.qos(of: $0.device) }
        let duplicatesQoS1 = byQoS[1, default: []].reduce(0) { $0 + $1.counts.duplicates }
        let duplicatesQoS2 = byQoS[2, default: []].reduce(0) { $0 + $1.counts.duplicates }
        XCTAssertEqual(total.lost, 0, "nothing lost at QoS 1 or 2: \(report.telemetry.irregular)")
        XCTAssertEqual(duplicatesQoS2, 0, "QoS 2 exactly once: \(byQoS[2, default: []])")
        XCTAssertEqual(duplicatesQoS1, total.duplicates, "only QoS 1 duplicates")
        XCTAssertEqual(total.sent, total.unique, "every message sent arrived")
        XCTAssertEqual(report.telemetry.devices, fixture.deviceCount)

        // The independent subscriber saw the same deliveries: as many, the same distinct messages, the same repeats.
        let independent = subscriber.tally()
        XCTAssertEqual(independent.unreadable, [], "lines mosquitto_sub printed that are not telemetry")
        XCTAssertEqual(independent.delivered, total.delivered, "deliveries: mosquitto_sub vs the observers")
        XCTAssertEqual(independent.unique, total.unique, "distinct messages: mosquitto_sub vs the observers")
        XCTAssertEqual(independent.duplicates(qos: 2, fixture), 0, "mosquitto_sub saw no QoS 2 message twice")
        XCTAssertEqual(independent.duplicates(qos: 1, fixture), duplicatesQoS1, "QoS 1 duplicates: mosquitto_sub vs the observers")
        print("persistent sessions under load: sent \(total.sent ?? 0), unique \(total.unique), lost \(total.lost), "
              + "duplicates QoS 1 \(duplicatesQoS1) / QoS 2 \(duplicatesQoS2), resent \(resent); observers delivered "
              + "\(total.delivered), mosquitto_sub \(independent.delivered)")
    }
}

/// The generated scenario: four groups (QoS 1 and 2, every 200 and 500 ms) of 50 devices each.
private struct Fixture {
    let token: String
    static let perGroup = 50
    static let groups: [(name: String, qos: Int, every: String)] = [
        ("q1-fast", 1, "200ms"), ("q1-slow", 1, "500ms"), ("q2-fast", 2, "200ms"), ("q2-slow", 2, "500ms"),
    ]

    var deviceCount: Int { Self.perGroup * Self.groups.count }
    var topicFilter: String { "load-\(token)/+/sequence" }
    var sentinelTopic: String { "load-\(token)/end" }

    func clientID(group: String, index: Int) -> String { "pl-\(token)-\(group)-\(String(format: "%02d", index))" }

    /// QoS of a device's telemetry, from its client ID.
    func qos(of clientID: String) -> Int { clientID.contains("-q2-") ? 2 : 1 }

    /// Every fifth device of each group: 20 % of the QoS 1 devices and 20 % of the QoS 2 ones.
    var cutPerRound: [String] {
        Self.groups.flatMap { group in stride(from: 1, through: Self.perGroup, by: 5).map { clientID(group: group.name, index: $0) } }
    }

    var yaml: String {
        var text = """
            name: persistent-session-load
            seed: 11
            broker:
              url: mqtt://127.0.0.1:1883
            groups:

            """
        for group in Self.groups {
            text += """
                  - name: \(group.name)
                    count: \(Self.perGroup)
                    client-id: "pl-\(token)-\(group.name)-{index:02}"
                    personality: custom
                    protocol: 5
                    keepalive: 10s
                    clean-start: false
                    session-expiry: 1h
                    telemetry: { topic: "load-\(token)/{clientId}/sequence", every: \(group.every), qos: \(group.qos) }

                """
        }
        let cut = "[" + cutPerRound.joined(separator: ", ") + "]"
        text += """
            observer:
              qos: 2
            timeline:
              - { at: 0s, ramp: { over: 2s } }

            """
        for start in [5, 10, 15] {
            text += """
                  - { at: \(start)s, throttle: { select: \(cut), stall: true, for: 1s } }
                  - { at: \(start)800ms, disconnect: { select: \(cut), mode: abrupt, reconnect: 1s } }

                """
        }
        text += """
              - { at: 21s, stop: graceful }
            expect:
              telemetry: { max-loss: 0 }
              resumed-sessions: { at-least: \(cutPerRound.count) }
              connected-at-end: { exactly: \(deviceCount) }

            """
        return text
    }
}

/// `mosquitto_sub` at QoS 2 on the fixture's topics, its output read as it comes (a pipe that is never left to
/// fill, so mosquitto never has to queue for it). It is known to be subscribed when it prints the SUBACK, and to
/// have everything once the sentinel, published after the run, arrives behind the devices' messages.
private final class IndependentSubscriber: Sendable {
    struct Tally {
        /// Deliveries per device and sequence number.
        var deliveries: [String: [UInt64: Int]] = [:]
        var unreadable: [String] = []

        var delivered: UInt64 { UInt64(deliveries.values.reduce(0) { $0 + $1.values.reduce(0, +) }) }
        var unique: UInt64 { UInt64(deliveries.values.reduce(0) { $0 + $1.count }) }

        func duplicates(qos: Int, _ fixture: Fixture) -> UInt64 {
            UInt64(deliveries.filter { fixture.qos(of: $0.key) == qos }.values.reduce(0) { total, sequences in
                total + sequences.values.reduce(0) { $0 + $1 - 1 }
            })
        }
    }

    private struct State {
        /// Bytes after the last newline: a line split between two reads (cut as bytes, so never mid-character).
        var partial: [UInt8] = []
        var tally = Tally()
        var subscribed = false
        var sawSentinel = false
        var finished = false
        var output: [String] = []
    }

    private let process = Process()
    private let state = Mutex(State())
    private let subscribed = DispatchSemaphore(value: 0)
    private let ended = DispatchSemaphore(value: 0)
    private let sentinel: String
    private static let prefix = "MSG "

    init(filter: String, sentinel: String) throws {
        self.sentinel = sentinel
        // Line-buffered: on a pipe, stdio would hold -d's SUBACK line back in a block buffer. MQTT 3.1.1: over
        // MQTT 5 at QoS 2, mosquitto_sub 2.0.11 quit here after about 4,000 messages ("A network protocol error
        // occurred when communicating with the broker").
        process.executableURL = URL(fileURLWithPath: "/usr/bin/stdbuf")
        process.arguments = ["-oL", "/usr/bin/mosquitto_sub", "-h", "127.0.0.1", "-p", "1883", "-V", "mqttv311",
                             "-q", "2", "-d", "-t", filter, "-t", sentinel, "-F", Self.prefix + "%t %p"]
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        pipe.fileHandleForReading.readabilityHandler = { [self] handle in
            let data = handle.availableData
            if data.isEmpty { handle.readabilityHandler = nil }
            read(data)
        }
        try process.run()
    }

    private func read(_ data: Data) {
        let signals: (subscribed: Bool, ended: Bool) = state.withLock { state in
            let wasSubscribed = state.subscribed
            let wasEnded = state.sawSentinel || state.finished
            if data.isEmpty { state.finished = true }
            state.partial.append(contentsOf: data)
            if let lastNewline = state.partial.lastIndex(of: UInt8(ascii: "\n")) {
                for line in state.partial[...lastNewline].split(separator: UInt8(ascii: "\n")) {
                    take(String(decoding: line, as: UTF8.self), into: &state)
                }
                state.partial.removeSubrange(...lastNewline)
            }
            return (!wasSubscribed && state.subscribed, !wasEnded && (state.sawSentinel || state.finished))
        }
        if signals.subscribed { subscribed.signal() }
        if signals.ended { ended.signal() }
    }

    private func take(_ line: String, into state: inout State) {
        guard line.hasPrefix(Self.prefix) else {
            // -d's protocol trace: only the SUBACK matters (both filters are in one SUBSCRIBE).
            if line.contains("received SUBACK") { state.subscribed = true }
            if state.output.count < 50 { state.output.append(line) }
            return
        }
        let message = line.dropFirst(Self.prefix.count)
        guard let space = message.firstIndex(of: " ") else { return state.tally.unreadable.append(line) }
        let topic = message[..<space]
        if topic == sentinel {
            state.sawSentinel = true
            return
        }
        let levels = topic.split(separator: "/")
        guard levels.count == 3, let sequence = Self.sequence(in: message[space...]) else {
            return state.tally.unreadable.append(line)
        }
        state.tally.deliveries[String(levels[1]), default: [:]][sequence, default: 0] += 1
    }

    /// The number after `"Sequence":` in the default telemetry payload.
    private static func sequence(in payload: Substring) -> UInt64? {
        guard let key = payload.range(of: "\"Sequence\":") else { return nil }
        return UInt64(payload[key.upperBound...].prefix { $0.isNumber })
    }

    func waitUntilSubscribed() throws {
        guard subscribed.wait(timeout: .now() + 10) == .success else {
            throw Failure(what: "mosquitto_sub did not subscribe", output: state.withLock { $0.output })
        }
    }

    /// Publishes the sentinel at QoS 2 and waits until `mosquitto_sub` prints it (or ends without it: a failure).
    func publishSentinelAndWait() throws {
        let publisher = Process()
        publisher.executableURL = URL(fileURLWithPath: "/usr/bin/mosquitto_pub")
        publisher.arguments = ["-h", "127.0.0.1", "-p", "1883", "-V", "mqttv5", "-q", "2", "-t", sentinel, "-m", "end"]
        try publisher.run()
        publisher.waitUntilExit()
        XCTAssertEqual(publisher.terminationStatus, 0, "mosquitto_pub of the sentinel")
        guard ended.wait(timeout: .now() + 20) == .success, state.withLock({ $0.sawSentinel }) else {
            throw Failure(what: "mosquitto_sub never printed the sentinel", output: state.withLock { $0.output })
        }
    }

    func tally() -> Tally { state.withLock { $0.tally } }

    func stop() {
        if process.isRunning { process.terminate() }
        process.waitUntilExit()
    }

    struct Failure: Error, CustomStringConvertible {
        let what: String
        let output: [String]
        var description: String { what + ":\n" + output.joined(separator: "\n") }
    }
}
