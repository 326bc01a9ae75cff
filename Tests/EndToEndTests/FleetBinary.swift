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
        var output: String
    }

    /// Runs `fleet arguments…` to completion and returns its exit status and combined output.
    static func run(_ arguments: [String]) throws -> Outcome {
        let process = Process()
        process.executableURL = executable
        process.arguments = arguments
        process.currentDirectoryURL = repository
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return Outcome(status: process.terminationStatus, output: String(decoding: data, as: UTF8.self))
    }

    /// The files of one run of `scenario`, in a fresh temporary folder.
    struct Run {
        let ledger: String
        var base: String { String(ledger.dropLast(".jsonl".count)) }
        var outcome: Outcome

        func events() throws -> [RunEvent] { try LedgerReader.read(path: ledger) }
        func report() throws -> RunReport { try JSONReport.decode(Data(contentsOf: URL(fileURLWithPath: base + ".json"))) }
        func junit() throws -> String { try String(contentsOfFile: base + ".junit.xml", encoding: .utf8) }
    }

    static func run(scenario: String, extra: [String] = []) throws -> Run {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("fleet-e2e-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let ledger = folder.appendingPathComponent("events.jsonl").path
        let outcome = try run(["run", scenario, "--events", ledger, "--status-every", "0"] + extra)
        return Run(ledger: ledger, outcome: outcome)
    }
}
