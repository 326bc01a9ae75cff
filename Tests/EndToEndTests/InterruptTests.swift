import Foundation
import Ledger
import Reports
import XCTest

/// Ctrl-C during a run: the devices stop, and the ledger and every report are still written.
final class InterruptTests: XCTestCase {
    func testSIGINTEndsTheRunAndStillWritesEveryReport() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("fleet-e2e-int-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let ledger = folder.appendingPathComponent("events.jsonl").path
        let process = Process()
        process.executableURL = FleetBinary.executable
        process.arguments = ["run", "Scenarios/quickstart.yaml", "--events", ledger, "--status-every", "0"]
        process.currentDirectoryURL = FleetBinary.repository
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        // Interrupt once the devices are publishing (the ramp takes 2 s of the 12 s timeline).
        Thread.sleep(forTimeInterval: 5)
        XCTAssertTrue(process.isRunning, "the run must still be going when interrupted")
        kill(process.processIdentifier, SIGINT)
        process.waitUntilExit()

        XCTAssertEqual(process.terminationStatus, 130)
        let events = try LedgerReader.read(path: ledger)
        XCTAssertTrue(events.contains { $0.kind == .runEnded(reason: .interrupted) })
        let graceful = events.filter { $0.kind == .disconnected(cause: .graceful, detail: nil) }
        XCTAssertEqual(Set(graceful.compactMap(\.device)).count, 10, "every device disconnects gracefully")
        let base = String(ledger.dropLast(".jsonl".count))
        for suffix in [".json", ".junit.xml", ".html", ".txt"] {
            XCTAssertTrue(FileManager.default.fileExists(atPath: base + suffix), "missing \(suffix)")
        }
        let report = try JSONReport.decode(Data(contentsOf: URL(fileURLWithPath: base + ".json")))
        XCTAssertEqual(report.endReason, "interrupted")
        XCTAssertEqual(report.telemetry.total.lost, 0, "nothing sent before Ctrl-C is lost")
    }
}
