import Ledger
import Verification
import XCTest

final class ObserverSinkTests: XCTestCase {
    private func deliver(
        _ sink: inout ObserverSink, _ topic: String, _ payload: String, retained: Bool = false,
        at: UInt64, wallNow: UInt64? = nil
    ) {
        let topicBytes = Array(topic.utf8)
        let payloadBytes = Array(payload.utf8)
        topicBytes.withUnsafeBytes { topicBuffer in
            payloadBytes.withUnsafeBytes { payloadBuffer in
                sink.received(topic: topicBuffer, payload: payloadBuffer, retained: retained, receivedAtNs: at,
                              timestampClockNowNs: wallNow)
            }
        }
    }

    /// Retained messages on topics no device owns were there before the run (an earlier run's statuses); they are
    /// counted apart from live ones, so the summary can say which is which.
    func testUnknownTopicsCountRetainedOnesApart() {
        var sink = ObserverSink(roster: ObserverRoster(plan: Fixtures.plan([Fixtures.group(count: 2)])), ledger: RunEventCollector())
        deliver(&sink, "devices/dev-07/status", "offline", retained: true, at: 1)
        deliver(&sink, "devices/dev-08/status", "online", retained: true, at: 2)
        deliver(&sink, "devices/other/status", "online", at: 3)
        let totals = ObserverSink.merged([sink, sink])
        XCTAssertEqual([sink.unknownTopic, sink.unknownTopicRetained], [3, 2])
        XCTAssertEqual([totals.unknownTopic, totals.unknownTopicRetained], [6, 4])
    }

    func testTelemetryWillsAndStatusAreRoutedByTopic() {
        let plan = Fixtures.plan([Fixtures.group(count: 3)])
        let roster = ObserverRoster(plan: plan)
        let ledger = RunEventCollector()
        var sink = ObserverSink(roster: roster, ledger: ledger)

        let wallBase: UInt64 = 1_700_000_000_000 // ms
        for sequence in 0..<5 {
            // Sent at wallBase + sequence s, received 20 ms later.
            let sentMs = wallBase + UInt64(sequence) * 1000
            deliver(&sink, "devices/dev-02/sequence", #"{"ClientID":"dev-02","Sequence":\#(sequence),"Time":\#(sentMs)}"#,
                    at: Fixtures.s(Double(sequence) + 0.02), wallNow: (sentMs + 20) * 1_000_000)
        }
        deliver(&sink, "devices/dev-02/sequence", #"{"Sequence":3}"#, at: Fixtures.s(5))
        deliver(&sink, "devices/dev-03/status", "online", at: 10)
        deliver(&sink, "devices/dev-03/status", "offline", at: 20)
        deliver(&sink, "devices/dev-01/status", "offline", retained: true, at: 30)
        deliver(&sink, "devices/dev-09/sequence", #"{"Sequence":1}"#, at: 40)
        deliver(&sink, "devices/dev-01/sequence", #"{"Sequence":"x"}"#, at: 50)

        XCTAssertEqual(sink.trackers[1].counts(), TelemetryCounts(delivered: 6, unique: 5, duplicates: 1))
        XCTAssertEqual(sink.trackers[0].delivered, 0)
        XCTAssertEqual(sink.endToEnd.count, 5)
        XCTAssertEqual(sink.endToEnd.valueAt(percentile: 50) / 1_000_000, 20)
        XCTAssertEqual(sink.unknownTopic, 1)
        XCTAssertEqual(sink.unreadable, 1)
        XCTAssertEqual(sink.deliveredPerSecond, [1, 1, 1, 1, 1, 1])
        XCTAssertEqual(ledger.events, [
            RunEvent(at: 10, device: "dev-03", kind: .statusReceived(topic: "devices/dev-03/status", payload: "online", retained: false)),
            RunEvent(at: 20, device: "dev-03", kind: .willReceived(topic: "devices/dev-03/status", payload: "offline", retained: false)),
            RunEvent(at: 30, device: "dev-01", kind: .willReceived(topic: "devices/dev-01/status", payload: "offline", retained: true)),
        ])
    }

    func testSinksOfPartitionedObserversMerge() {
        let roster = ObserverRoster(plan: Fixtures.plan([Fixtures.group(count: 2)]))
        let ledger = RunEventCollector()
        var first = ObserverSink(roster: roster, ledger: ledger)
        var second = ObserverSink(roster: roster, ledger: ledger)
        for sequence in 0..<3 { first.telemetry(device: 0, sequence: UInt64(sequence), sentAtNs: 0, receivedAtNs: 1_000_000) }
        for sequence in [0, 2] { second.telemetry(device: 1, sequence: UInt64(sequence), sentAtNs: 0, receivedAtNs: 2_000_000_000) }
        let totals = ObserverSink.merged([first, second])
        XCTAssertEqual(totals.trackers[0].counts().unique, 3)
        XCTAssertEqual(totals.trackers[1].counts().lost, 1)
        XCTAssertEqual(totals.endToEnd.count, 5)
        XCTAssertEqual(totals.deliveredPerSecond, [3, 0, 2])
    }
}
