import Foundation
import Ledger
import Reports
import XCTest

/// Ctrl-C during a run: the devices stop, and the ledger and every report are still written.
final class InterruptTests: XCTestCase {
    func testSIGINTEndsTheRunAndStillWritesEveryReport() throws {
        try interruptQuickstart()
    }

    /// The coordinator alone gets the signal (as from `kill`, not the terminal): it stops its workers, which
    /// still report, and none is left behind.
    func testSIGINTEndsASplitRunAndLeavesNoWorkerBehind() throws {
        try interruptQuickstart(extra: ["--processes", "2"])
        XCTAssertEqual(try Self.workers(running: "Scenarios/quickstart.yaml"), [], "every worker exited")
    }

    private func interruptQuickstart(extra: [String] = [], file: StaticString = #filePath, line: UInt = #line) throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("fleet-e2e-int-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let ledger = folder.appendingPathComponent("events.jsonl").path
        let process = Process()
        process.executableURL = FleetBinary.executable
        process.arguments = ["run", "Scenarios/quickstart.yaml", "--events", ledger, "--status-every", "0"] + extra
        process.currentDirectoryURL = FleetBinary.repository
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        // Interrupt once the devices are publishing (the ramp takes 2 s of the 12 s timeline).
        Thread.sleep(forTimeInterval: 5)
        XCTAssertTrue(process.isRunning, "the run must still be going when interrupted", file: file, line: line)
        kill(process.processIdentifier, SIGINT)
        process.waitUntilExit()

        XCTAssertEqual(process.terminationStatus, 130, file: file, line: line)
        let events = try LedgerReader.read(path: ledger)
        XCTAssertTrue(events.contains { $0.kind == .runEnded(reason: .interrupted) }, file: file, line: line)
        let graceful = events.filter { $0.kind == .disconnected(cause: .graceful, detail: nil) }
        XCTAssertEqual(Set(graceful.compactMap(\.device)).count, 10, "every device disconnects gracefully", file: file, line: line)
        let base = String(ledger.dropLast(".jsonl".count))
        for suffix in [".json", ".junit.xml", ".html", ".txt"] {
            XCTAssertTrue(FileManager.default.fileExists(atPath: base + suffix), "missing \(suffix)", file: file, line: line)
        }
        let report = try JSONReport.decode(Data(contentsOf: URL(fileURLWithPath: base + ".json")))
        XCTAssertEqual(report.endReason, "interrupted", file: file, line: line)
        XCTAssertEqual(report.telemetry.total.lost, 0, "nothing sent before Ctrl-C is lost", file: file, line: line)
        XCTAssertEqual(report.telemetry.total.sent, report.telemetry.total.unique, "every device's count arrived",
                       file: file, line: line)
    }

    /// Command lines of `fleet run … --worker` processes still running for `scenario`.
    static func workers(running scenario: String) throws -> [String] {
        let ps = Process()
        ps.executableURL = URL(fileURLWithPath: "/bin/ps")
        ps.arguments = ["-eo", "args"]
        let pipe = Pipe()
        ps.standardOutput = pipe
        try ps.run()
        let listing = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        ps.waitUntilExit()
        return listing.split(separator: "\n").map(String.init).filter { $0.contains("run \(scenario) --worker") }
    }
}
