import Foundation
import XCTest

/// `Scripts/first-hour.sh` follows the README's newcomer path (first section) in a fresh clone with the
/// binary this build made: every command must pass, and a failing one must fail the script.
final class FirstHourScriptTests: XCTestCase {
    private struct Outcome {
        var status: Int32
        var output: String
    }

    private func script(readme: String? = nil) throws -> Outcome {
        var source = FleetBinary.repository
        if let readme {
            // A clone of this repository whose README's first section is `readme`.
            source = FileManager.default.temporaryDirectory.appendingPathComponent("fleet-first-hour-src-\(UUID().uuidString)")
            defer { try? FileManager.default.removeItem(at: source) }
            try git(["clone", "--quiet", FleetBinary.repository.path, source.path])
            try Data(readme.utf8).write(to: source.appendingPathComponent("README.md"))
            try git(["-C", source.path, "-c", "user.name=t", "-c", "user.email=t@t", "commit", "--quiet", "-am", "readme"])
            return try run(source)
        }
        return try run(source)
    }

    private func run(_ source: URL) throws -> Outcome {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/bash")
        process.arguments = [source.appendingPathComponent("Scripts/first-hour.sh").path, FleetBinary.executable.path]
        // The clone goes here: the script keeps it when a command fails.
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("fleet-first-hour-tmp-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: scratch) }
        process.environment = ProcessInfo.processInfo.environment.merging(["TMPDIR": scratch.path]) { $1 }
        let log = FileManager.default.temporaryDirectory.appendingPathComponent("fleet-first-hour-\(UUID().uuidString).log")
        guard FileManager.default.createFile(atPath: log.path, contents: nil) else { throw CocoaError(.fileWriteUnknown) }
        defer { try? FileManager.default.removeItem(at: log) }
        let handle = try FileHandle(forWritingTo: log)
        defer { try? handle.close() }
        process.standardOutput = handle
        process.standardError = handle
        try process.run()
        process.waitUntilExit()
        return Outcome(status: process.terminationStatus, output: try String(contentsOf: log, encoding: .utf8))
    }

    private func git(_ arguments: [String]) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["git"] + arguments
        try process.run()
        process.waitUntilExit()
        XCTAssertEqual(process.terminationStatus, 0, "git \(arguments)")
    }

    func testEveryCommandOfTheREADMEsFirstSectionPassesInAFreshClone() throws {
        let outcome = try script()
        XCTAssertEqual(outcome.status, 0, outcome.output)
        for ran in ["+ fleet --version", "+ fleet run Scenarios/quickstart.yaml", "+ fleet certs scenario",
                    "+ fleet init --broker mqtt://127.0.0.1:1883", "+ fleet run my-fleet/scenario.yaml"] {
            XCTAssertTrue(outcome.output.contains(ran), "did not run `\(ran)`:\n\(outcome.output)")
        }
        XCTAssertTrue(outcome.output.contains("- skipped (using \(FleetBinary.executable.path)): swift build"), outcome.output)
        XCTAssertTrue(outcome.output.contains("RESULT: PASSED"), outcome.output)
    }

    func testAFailingREADMECommandFailsTheScript() throws {
        let readme = """
            # fleet

            ## Main job, on a fresh machine

            ```sh
            fleet --version
            fleet run Scenarios/no-such-file.yaml   # fails: the file does not exist
            fleet --version
            ```

            ## Commands

            ```sh
            false
            ```
            """
        let outcome = try script(readme: readme)
        XCTAssertEqual(outcome.status, 1, outcome.output)
        XCTAssertTrue(outcome.output.contains("the README command failed: fleet run Scenarios/no-such-file.yaml"), outcome.output)
        XCTAssertEqual(outcome.output.components(separatedBy: "+ fleet --version").count - 1, 1, "stops at the failure")
    }
}
