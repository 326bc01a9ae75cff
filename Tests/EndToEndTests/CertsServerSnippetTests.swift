import DevicePKI
import Foundation
import Synchronization
import XCTest

#if canImport(Glibc)
import Glibc
#endif

/// `fleet certs server` as a user runs it: the mosquitto listener it prints, pasted into a config of its
/// own and started the way a system starts mosquitto (as root it drops to user `mosquitto`), must accept a
/// device of the same CA and refuse a foreign one.
final class CertsServerSnippetTests: XCTestCase {
    private func folder(mode: mode_t = 0o755) throws -> String {
        let path = NSTemporaryDirectory() + "fleet-snippet-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        chmod(path, mode)
        addTeardownBlock { try? FileManager.default.removeItem(atPath: path) }
        return path
    }

    private func fleet(_ arguments: [String]) throws -> String {
        let outcome = try FleetBinary.run(arguments)
        XCTAssertEqual(outcome.status, 0, "fleet \(arguments.joined(separator: " ")): \(outcome.output)")
        return outcome.output
    }

    /// The lines under `# mosquitto.conf` up to the blank line that ends the snippet.
    private func mosquittoSnippet(in output: String) throws -> String {
        let lines = output.components(separatedBy: "\n")
        let start = try XCTUnwrap(lines.firstIndex(of: "# mosquitto.conf"), output)
        return lines[(start + 1)...].prefix { !$0.isEmpty }.joined(separator: "\n")
    }

    func testThePrintedMosquittoListenerWorksAsPrinted() throws {
        let pki = try folder() + "/pki"
        _ = try fleet(["certs", "init", "--dir", pki])
        let port = try FreePort.loopback()
        let output = try fleet(["certs", "server", "--dir", pki, "--host", "localhost", "--host", "127.0.0.1", "--port", String(port)])
        XCTAssertFalse(output.contains("warning:"), output)
        _ = try fleet(["certs", "issue", "--dir", pki, "--ids", try listFile(["snippet-device"])])
        _ = try fleet(["certs", "issue", "--dir", pki, "--ids", try listFile(["snippet-foreign"]), "--fault", "foreign-ca"])

        let configuration = (pki as NSString).deletingLastPathComponent + "/mosquitto.conf"
        try """
            per_listener_settings true
            log_dest stderr
            connection_messages true
            \(try mosquittoSnippet(in: output))
            """.write(toFile: configuration, atomically: true, encoding: .utf8)
        chmod(configuration, 0o644)
        let broker = try RunningMosquitto(configuration: configuration)
        defer { broker.stop() }
        try broker.awaitLine(containing: "running")

        let store = DeviceIdentityStore(directory: pki)
        func publish(_ id: String) throws -> Int32 {
            let identity = try store.identity(forClientID: id)
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            process.arguments = [
                "mosquitto_pub", "-h", "localhost", "-p", String(port), "--cafile", store.rootCertificatePath,
                "--cert", identity.chainPath, "--key", identity.keyPath, "-i", id, "-t", "devices/\(id)/x", "-m", "hi",
            ]
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle.nullDevice
            try process.run()
            process.waitUntilExit()
            return process.terminationStatus
        }
        XCTAssertEqual(try publish("snippet-device"), 0)
        try broker.awaitLine(containing: "as snippet-device (")
        XCTAssertNotEqual(try publish("snippet-foreign"), 0)
        XCTAssertFalse(broker.lines.contains { $0.contains(" as snippet-foreign ") }, broker.lines.joined(separator: "\n"))
    }

    /// A PKI under a folder the broker's account may not enter (root's home is 0700) is named as the problem.
    func testAPKIUnderAPrivateFolderIsNamed() throws {
        let privateFolder = try folder(mode: 0o700)
        let pki = privateFolder + "/pki"
        _ = try fleet(["certs", "init", "--dir", pki])
        let output = try fleet(["certs", "server", "--dir", pki, "--host", "127.0.0.1"])
        if geteuid() == 0, FileReader.account(named: "mosquitto") != nil {
            XCTAssertTrue(output.contains("warning: the broker, reading as user mosquitto, cannot open"), output)
            XCTAssertTrue(output.contains("may not enter \(privateFolder) (mode 700"), output)
        } else {
            // Not root: mosquitto runs as us and reads our files.
            XCTAssertFalse(output.contains("warning:"), output)
        }
    }

    private func listFile(_ ids: [String]) throws -> String {
        let path = try folder() + "/ids.txt"
        try ids.joined(separator: "\n").write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }
}

/// A loopback port nobody listens on right now.
private enum FreePort {
    static func loopback() throws -> Int {
        let socketDescriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(socketDescriptor) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        try withUnsafeMutablePointer(to: &address) { pointer in
            try pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { raw in
                guard bind(socketDescriptor, raw, length) == 0, getsockname(socketDescriptor, raw, &length) == 0 else {
                    throw POSIXError(.EADDRINUSE)
                }
            }
        }
        return Int(UInt16(bigEndian: address.sin_port))
    }
}

/// A mosquitto child process whose log (stderr: unbuffered) is read line by line as it comes.
private final class RunningMosquitto {
    private let process = Process()
    private let output = Pipe()
    private(set) var lines: [String] = []

    init(configuration: String) throws {
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["mosquitto", "-c", configuration]
        process.standardOutput = output
        process.standardError = output
        try process.run()
    }

    /// Reads the log until a line contains `text`; fails if the broker exits first, and ends the broker
    /// (so the read returns) if the line has not come within `timeout`.
    func awaitLine(containing text: String, timeout: Duration = .seconds(10)) throws {
        let found = Mutex(false)
        let process = process
        DispatchQueue.global().asyncAfter(deadline: .now() + .milliseconds(Int(timeout.components.seconds * 1000))) {
            if !found.withLock({ $0 }) { kill(process.processIdentifier, SIGKILL) }
        }
        defer { found.withLock { $0 = true } }
        var pending = ""
        while !lines.contains(where: { $0.contains(text) }) {
            let chunk = output.fileHandleForReading.availableData
            guard !chunk.isEmpty else {
                throw BrokerExited(log: (lines + [pending]).joined(separator: "\n"))
            }
            pending += String(decoding: chunk, as: UTF8.self)
            var complete = pending.components(separatedBy: "\n")
            pending = complete.removeLast()
            lines += complete
        }
    }

    struct BrokerExited: Error, CustomStringConvertible {
        let log: String
        var description: String { "mosquitto exited; its log:\n\(log)" }
    }

    func stop() {
        // SIGKILL: the broker inherits a signal mask from the test's worker thread that blocks SIGTERM.
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
    }
}
