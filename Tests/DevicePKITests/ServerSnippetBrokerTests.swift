import DevicePKI
import Foundation
import XCTest

#if canImport(Glibc)
import Glibc
#endif

/// The mosquitto listener `fleet certs server` prints, run for real: a private mosquitto on a free
/// loopback port, configured only with that snippet, accepts a device issued by the same CA.
final class ServerSnippetBrokerTests: XCTestCase {
    /// A loopback port nobody listens on right now.
    private func freePort() throws -> Int {
        let socketDescriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(socketDescriptor) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
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

    func testMosquittoWithThePrintedListenerAcceptsAnIssuedDevice() async throws {
        let directory = try makeCertificateAuthority(self)
        let files = try ServerIdentityIssuer.issue(ServerIdentityOptions(directory: directory, hosts: ["127.0.0.1", "localhost"]))
        try await DeviceIdentityIssuer.issue(IssueRequest(directory: directory, clientIDs: .list(["snippet-device"])))
        var rogue = IssueRequest(directory: directory, clientIDs: .list(["snippet-foreign"]))
        rogue.fault = .foreignCA
        try await DeviceIdentityIssuer.issue(rogue)

        let port = try freePort()
        let log = directory + "/mosquitto.log"
        let configuration = """
            user root
            per_listener_settings true
            log_dest file \(log)
            connection_messages true
            \(BrokerListenerSnippet.mosquitto(files, bindAddress: "127.0.0.1", port: port))
            """
        try configuration.write(toFile: directory + "/mosquitto.conf", atomically: true, encoding: .utf8)
        let broker = Process()
        broker.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        broker.arguments = ["mosquitto", "-c", directory + "/mosquitto.conf"]
        broker.standardOutput = FileHandle.nullDevice
        broker.standardError = FileHandle.nullDevice
        try broker.run()
        defer {
            // SIGKILL: the broker inherits a signal mask from the test's worker thread that blocks SIGTERM.
            kill(broker.processIdentifier, SIGKILL)
            broker.waitUntilExit()
        }

        let store = DeviceIdentityStore(directory: directory)
        func publish(_ id: String) throws -> ProcessResult {
            let identity = try store.identity(forClientID: id)
            return try runTool("mosquitto_pub", [
                "-h", "localhost", "-p", String(port), "--cafile", store.rootCertificatePath,
                "--cert", identity.chainPath, "--key", identity.keyPath, "-i", id, "-t", "devices/\(id)/x", "-m", "hi",
            ])
        }
        var accepted = try publish("snippet-device")
        for _ in 0..<50 where accepted.status != 0 && accepted.output.contains("Connection refused") {
            try await Task.sleep(for: .milliseconds(100))  // the broker is still starting
            accepted = try publish("snippet-device")
        }
        XCTAssertEqual(accepted.status, 0, accepted.output)
        XCTAssertNotEqual(try publish("snippet-foreign").status, 0)

        var logged = ""
        for _ in 0..<50 where !logged.contains("u'snippet-device'") {
            logged = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
            try await Task.sleep(for: .milliseconds(100))
        }
        XCTAssertTrue(logged.contains(" as snippet-device (") && logged.contains("u'snippet-device'"), logged)
        XCTAssertFalse(logged.contains(" as snippet-foreign "), logged)
    }
}
