import DevicePKI
import Foundation
import XCTest

/// Identities under the test broker's root, presented to the real mosquitto on 127.0.0.1:8883
/// (`require_certificate true`, `use_identity_as_username true`) with Debian's mosquitto_pub.
final class MosquittoMutualTLSTests: XCTestCase {
    private let pki = testBrokerPKI()
    private var brokerLog: String { (pki as NSString).deletingLastPathComponent + "/mosquitto.log" }

    /// An intermediate under the test root, with identities for `prefix` (healthy) and each fault.
    private func makeIdentities(prefix: String, healthy: Int) async throws -> String {
        let directory = try makeTemporaryDirectory(self) + "/Certs"
        var options = CertificateAuthorityOptions(directory: directory)
        options.existingRoot = .init(certificatePath: pki + "/root.pem", keyPath: pki + "/root.key")
        try CertificateAuthoritySetup.create(options)
        try await DeviceIdentityIssuer.issue(IssueRequest(
            directory: directory, clientIDs: .pattern(try ClientIDPattern(prefix + "-{index:02}"), count: healthy, startIndex: 1)))
        for fault in IdentityFault.allCases {
            var request = IssueRequest(directory: directory, clientIDs: .list(["\(prefix)-\(fault.rawValue)"]))
            request.fault = fault
            try await DeviceIdentityIssuer.issue(request)
        }
        return directory
    }

    private func publish(_ clientID: String, store: DeviceIdentityStore) throws -> ProcessResult {
        let files = try store.identity(forClientID: clientID)
        return try runTool("mosquitto_pub", [
            "-h", "127.0.0.1", "-p", "8883", "--cafile", pki + "/root.pem",
            "--cert", files.chainPath, "--key", files.keyPath,
            "-i", clientID, "-t", "devices/\(clientID)/x", "-m", "hi",
        ])
    }

    /// The broker log's current size: later reads start there instead of at the top of a shared, growing log.
    private func logSize() throws -> UInt64 {
        let attributes = try FileManager.default.attributesOfItem(atPath: brokerLog)
        return (attributes[.size] as? NSNumber)?.uint64Value ?? 0
    }

    /// What the broker logged since `offset`.
    private func log(since offset: UInt64) throws -> String {
        let handle = try FileHandle(forReadingFrom: URL(fileURLWithPath: brokerLog))
        defer { try? handle.close() }
        try handle.seek(toOffset: offset)
        return String(decoding: try handle.readToEnd() ?? Data(), as: UTF8.self)
    }

    /// Waits (bounded) until the broker logged, since `offset`, a line containing every fragment, and returns it.
    private func logLine(containing fragments: [String], since offset: UInt64) async throws -> String? {
        for _ in 0..<50 {
            if let line = try log(since: offset).split(separator: "\n").last(where: { line in
                fragments.allSatisfy { line.contains($0) }
            }) {
                return String(line)
            }
            try await Task.sleep(for: .milliseconds(100))
        }
        return nil
    }

    func testBrokerAcceptsEachDeviceWithItsCNAsUsername() async throws {
        let prefix = "pki-mtls-" + UUID().uuidString.prefix(8).lowercased()
        let store = DeviceIdentityStore(directory: try await makeIdentities(prefix: prefix, healthy: 3))
        let offset = try logSize()
        for index in 1...3 {
            let id = "\(prefix)-0\(index)"
            let result = try publish(id, store: store)
            XCTAssertEqual(result.status, 0, result.output)
            let line = try await logLine(containing: ["New client connected", " as \(id) ", "u'\(id)'"], since: offset)
            XCTAssertNotNil(line, "no 'New client connected … as \(id) (… u'\(id)')' in \(brokerLog)")
        }
    }

    func testBrokerRefusesForeignExpiredAndIncompleteChains() async throws {
        let prefix = "pki-refused-" + UUID().uuidString.prefix(8).lowercased()
        let store = DeviceIdentityStore(directory: try await makeIdentities(prefix: prefix, healthy: 1))
        let refused: [IdentityFault] = [.foreignCA, .expired, .notYetValid, .noIntermediate]
        let offset = try logSize()
        for fault in refused {
            let result = try publish("\(prefix)-\(fault.rawValue)", store: store)
            XCTAssertNotEqual(result.status, 0, "\(fault.rawValue) was accepted: \(result.output)")
        }
        // A healthy device after them is logged; none of the refused ones ever is.
        let healthy = "\(prefix)-01"
        XCTAssertEqual(try publish(healthy, store: store).status, 0)
        let healthyLine = try await logLine(containing: [" as \(healthy) "], since: offset)
        XCTAssertNotNil(healthyLine)
        let logged = try log(since: offset)
        for fault in refused {
            XCTAssertFalse(logged.contains(" as \(prefix)-\(fault.rawValue) "), "\(fault.rawValue) connected")
        }
    }

    /// The TLS alert the broker sends says why it refused: openssl s_client shows it.
    func testBrokerRefusalsNameTheReason() async throws {
        let prefix = "pki-alert-" + UUID().uuidString.prefix(8).lowercased()
        let store = DeviceIdentityStore(directory: try await makeIdentities(prefix: prefix, healthy: 1))
        let expected: [(IdentityFault, String)] = [
            (.expired, "alert certificate expired"),
            (.foreignCA, "alert unknown ca"),
            (.noIntermediate, "alert unknown ca"),
            (.notYetValid, "alert bad certificate"),
        ]
        for (fault, alert) in expected {
            let files = try store.identity(forClientID: "\(prefix)-\(fault.rawValue)")
            let result = try runTool("timeout", [
                "10", "openssl", "s_client", "-connect", "127.0.0.1:8883", "-CAfile", pki + "/root.pem",
                "-cert", files.chainPath, "-cert_chain", files.chainPath, "-key", files.keyPath, "-ign_eof", "-quiet",
            ])
            XCTAssertTrue(result.output.contains(alert), "\(fault.rawValue): \(result.output)")
        }
    }

    func testCNMismatchConnectsUnderTheWrongUsername() async throws {
        let prefix = "pki-cn-" + UUID().uuidString.prefix(8).lowercased()
        let store = DeviceIdentityStore(directory: try await makeIdentities(prefix: prefix, healthy: 1))
        let id = "\(prefix)-cn-mismatch"
        let offset = try logSize()
        let result = try publish(id, store: store)
        XCTAssertEqual(result.status, 0, result.output)
        let line = try await logLine(containing: [" as \(id) "], since: offset)
        XCTAssertNotNil(line)
        XCTAssertTrue(line?.contains("u'\(IdentityFault.mismatchedCommonName(for: id))'") == true, line ?? "")
    }
}
