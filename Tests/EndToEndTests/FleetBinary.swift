import Foundation
import Ledger
import Reports
import Verification

/// Runs the `fleet` executable that `swift build` put beside the test bundle, from the repository
/// root (scenario paths such as `.test-broker/pki/root.pem` are relative to it).
enum FleetBinary {
    static let repository = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    static var executable: URL {
        let fromBundle = Bundle.main.bundleURL.deletingLastPathComponent().appendingPathComponent("fleet")
        if FileManager.default.isExecutableFile(atPath: fromBundle.path) { return fromBundle }
        return repository.appendingPathComponent(".build/debug/fleet")
    }

    struct Outcome {
        var status: Int32
        /// Standard output followed by standard error.
        var output: String
        /// Standard error alone.
        var errors: String
    }

    /// Runs `fleet arguments…` to completion and returns its exit status and output; `environment`
    /// adds to (or overrides) the test's own.
    static func run(_ arguments: [String], environment: [String: String] = [:]) throws -> Outcome {
        let process = Process()
        process.executableURL = executable
        process.arguments = arguments
        if !environment.isEmpty {
            process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        }
        process.currentDirectoryURL = repository
        let pipe = Pipe()
        // Standard error goes to a file, so one pipe is drained and neither side can block the other.
        let errorFile = FileManager.default.temporaryDirectory.appendingPathComponent("fleet-e2e-stderr-\(UUID().uuidString)")
        guard FileManager.default.createFile(atPath: errorFile.path, contents: nil) else {
            throw CocoaError(.fileWriteUnknown, userInfo: [NSFilePathErrorKey: errorFile.path])
        }
        defer { try? FileManager.default.removeItem(at: errorFile) }
        process.standardOutput = pipe
        let errorHandle = try FileHandle(forWritingTo: errorFile)
        defer { try? errorHandle.close() }
        process.standardError = errorHandle
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        let output = String(decoding: data, as: UTF8.self)
        let errors = String(decoding: (try? Data(contentsOf: errorFile)) ?? Data(), as: UTF8.self)
        return Outcome(status: process.terminationStatus, output: output + errors, errors: errors)
    }

    /// The files of one run of `scenario`, in a fresh temporary folder.
    struct Run {
        let ledger: String
        var base: String { String(ledger.dropLast(".jsonl".count)) }
        /// The run's own folder: nothing else writes there.
        var folder: String { (ledger as NSString).deletingLastPathComponent }
        var outcome: Outcome

        func events() throws -> [RunEvent] { try LedgerReader.read(path: ledger) }
        func report() throws -> RunReport { try JSONReport.decode(Data(contentsOf: URL(fileURLWithPath: base + ".json"))) }
        func junit() throws -> String { try String(contentsOfFile: base + ".junit.xml", encoding: .utf8) }
    }

    /// Runs a scenario into a fresh folder; `statusEvery` seconds between live lines (0: none, to keep logs short).
    static func run(scenario: String, statusEvery: Int = 0, extra: [String] = []) throws -> Run {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("fleet-e2e-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let ledger = folder.appendingPathComponent("events.jsonl").path
        let outcome = try run(["run", scenario, "--events", ledger, "--status-every", String(statusEvery)] + extra)
        return Run(ledger: ledger, outcome: outcome)
    }
}
