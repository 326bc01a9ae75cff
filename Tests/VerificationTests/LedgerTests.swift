import Foundation
import Ledger
import XCTest

final class LedgerTests: XCTestCase {
    private func temporaryPath(_ name: String) -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("fleet-ledger-\(UUID().uuidString)-\(name)").path
    }

    private let sample: [RunEvent] = [
        RunEvent(at: 0, kind: .runStarted(scenario: "s", seed: 42, devices: 2)),
        RunEvent(at: 5, device: "dev-01", kind: .connecting(attempt: 1)),
        RunEvent(at: 9, device: "dev-01", kind: .connected(tcpNs: 1, tlsNs: 2, connackNs: 3, sessionPresent: false)),
        RunEvent(at: 10, device: "dev-01", kind: .faultInjected(fault: .silent, detail: "x", lastPacketAt: 8,
                                                                 keepAlive: 30, willDelay: 5, expectWill: true)),
        RunEvent(at: 11, device: "dev-01", kind: .willReceived(topic: "a/b", payload: "offline", retained: false)),
        RunEvent(at: 12, device: "dev-02", kind: .connectFailed(stage: .tls, reason: "unknown CA", reasonCode: nil)),
        RunEvent(at: 13, device: "dev-01", kind: .telemetrySummary(sent: 10, acked: 9, lastSequence: 9)),
        RunEvent(at: 14, kind: .runEnded(reason: .interrupted)),
    ]

    func testWriterAndReaderRoundTripEveryEvent() throws {
        let path = temporaryPath("roundtrip.jsonl")
        let writer = try LedgerWriter(path: path)
        for event in sample { writer.record(event) }
        writer.close()
        XCTAssertEqual(try LedgerReader.read(path: path), sample)
    }

    func testEventsAfterCloseAreDropped() throws {
        let path = temporaryPath("closed.jsonl")
        let writer = try LedgerWriter(path: path)
        writer.record(sample[0])
        writer.close()
        writer.record(sample[1])
        XCTAssertEqual(try LedgerReader.read(path: path), [sample[0]])
    }

    func testPeriodicFlushWritesWithoutClose() throws {
        let path = temporaryPath("flush.jsonl")
        let writer = try LedgerWriter(path: path, flushInterval: .milliseconds(20))
        writer.record(sample[0])
        // Poll the file: the timer must write it out without close() (a crash loses ≤ one interval).
        var seen: [RunEvent] = []
        for _ in 0..<200 where seen.isEmpty {
            Thread.sleep(forTimeInterval: 0.01)
            seen = (try? LedgerReader.read(path: path)) ?? []
        }
        XCTAssertEqual(seen, [sample[0]])
        writer.close()
    }

    func testTruncatedLastLineIsDropped() throws {
        var data = Data()
        let encoder = JSONEncoder()
        for event in sample.prefix(3) {
            data.append(try encoder.encode(event))
            data.append(0x0A)
        }
        let partial = try encoder.encode(sample[3])
        data.append(partial.prefix(partial.count / 2))
        XCTAssertEqual(try LedgerReader.decode(data), Array(sample.prefix(3)))
    }

    func testCorruptLineInTheMiddleIsAnError() throws {
        var data = Data()
        data.append(try JSONEncoder().encode(sample[0]))
        data.append(contentsOf: Array("\n{nonsense}\n".utf8))
        data.append(try JSONEncoder().encode(sample[1]))
        data.append(0x0A)
        XCTAssertThrowsError(try LedgerReader.decode(data, path: "x.jsonl")) { error in
            XCTAssertEqual(error as? LedgerError, .corruptLine(path: "x.jsonl", line: 2))
        }
    }

    func testOnDiskNamesAreStable() throws {
        let event = RunEvent(at: 7, device: "d", kind: .disconnected(cause: .takenOver, detail: nil))
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let text = String(decoding: try encoder.encode(event), as: UTF8.self)
        XCTAssertEqual(text, #"{"at":7,"device":"d","kind":{"disconnected":{"cause":"takenOver"}}}"#)
    }

    func testRunClockIsMonotonicAndInjectable() {
        let clock = RunClock()
        let first = clock.now()
        let second = clock.now()
        XCTAssertLessThanOrEqual(first, second)
        let fixed = RunClock(reading: { 1234 })
        XCTAssertEqual(fixed.now(), 1234)
    }
}
