import Fleet
import Foundation
import Ledger
import XCTest

/// Devices on the test mosquitto's mutual-TLS listener (127.0.0.1:8883), with identities laid out as a
/// `fleet certs` folder built from the test broker's PKI.
final class FleetTLSIntegrationTests: XCTestCase {
    private var pki: String {
        if let path = ProcessInfo.processInfo.environment["FLEET_TEST_PKI"], !path.isEmpty { return path }
        return URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent(".test-broker/pki").path
    }

    /// `<certs>/devices/<id>/{chain,key}.pem` for each id, plus the run's `<certs>.cert-faults/no-intermediate/`
    /// for `faulty` (the leaf alone, as firmware that forgot its intermediate sends it).
    private func makeCertsFolder(ids: [String: String], faulty: String) throws -> String {
        let folder = NSTemporaryDirectory() + "fleet-it-certs-\(UUID().uuidString)"
        let files = FileManager.default
        func install(_ directory: String, chain: String, key: String) throws {
            try files.createDirectory(atPath: directory, withIntermediateDirectories: true)
            try files.copyItem(atPath: chain, toPath: directory + "/chain.pem")
            try files.copyItem(atPath: key, toPath: directory + "/key.pem")
            try files.setAttributes([.posixPermissions: 0o600], ofItemAtPath: directory + "/key.pem")
        }
        for (clientID, identity) in ids {
            try install(folder + "/devices/" + clientID, chain: "\(pki)/\(identity).pem", key: "\(pki)/\(identity).key")
        }
        let identity = ids[faulty]!
        try install(folder + ".cert-faults/no-intermediate/devices/" + faulty,
                    chain: "\(pki)/\(identity).leaf.pem", key: "\(pki)/\(identity).key")
        return folder
    }

    func testDevicesConnectOverMutualTLSAndACertFaultKeepsTheFaultyOneOut() throws {
        let certs = try makeCertsFolder(ids: ["fleet-it-tls-1": "device-1", "fleet-it-tls-2": "device-2"],
                                        faulty: "fleet-it-tls-2")
        defer {
            try? FileManager.default.removeItem(atPath: certs)
            try? FileManager.default.removeItem(atPath: certs + ".cert-faults")
        }
        let events = try FleetIntegrationTests.run(certificateFaults: certs + ".cert-faults", """
            name: fleet-it-tls
            seed: 4
            broker: { url: "mqtts://127.0.0.1:8883", ca: "\(pki)/root.pem" }
            groups:
              - name: secure
                count: 2
                client-id: "fleet-it-tls-{index}"
                personality: custom
                retry: 300ms
                credentials: { certificates: "\(certs)" }
                telemetry: { topic: "fleet/it-tls/{clientId}/sequence", every: 200ms, qos: 1 }
            timeline:
              - { at: 0s, ramp: { over: 0s } }
              - { at: 1s, cert-fault: { select: [fleet-it-tls-2], kind: no-intermediate } }
              - { at: 1200ms, disconnect: { select: [fleet-it-tls-2], mode: abrupt, reconnect: policy } }
              - { at: 3s, stop: graceful }
            """).events

        func kinds(_ device: String) -> [RunEventKind] { events.filter { $0.device == device }.map(\.kind) }
        let healthy = kinds("fleet-it-tls-1")
        let connectedWithTLS = healthy.contains { if case .connected(_, let tls?, _, _, _) = $0 { tls > 0 } else { false } }
        XCTAssertTrue(connectedWithTLS, "\(healthy)")
        XCTAssertFalse(healthy.contains { if case .connectFailed = $0 { true } else { false } }, "\(healthy)")

        let faulty = kinds("fleet-it-tls-2")
        let faultIndex = try XCTUnwrap(faulty.firstIndex { if case .faultInjected(.certFault, _, _, _, _, _, _, _) = $0 { true } else { false } })
        let afterFault = faulty[faultIndex...]
        let failures = afterFault.compactMap { kind -> String? in
            if case .connectFailed(_, let reason, _) = kind { return reason }
            return nil
        }
        XCTAssertFalse(failures.isEmpty, "\(faulty)")
        XCTAssertFalse(failures.contains { $0.contains("cert-fault") }, "the faulty identity was found and presented: \(failures)")
        XCTAssertFalse(afterFault.contains { if case .connected = $0 { true } else { false } }, "\(faulty)")
        XCTAssertTrue(faulty[..<faultIndex].contains { if case .connected = $0 { true } else { false } }, "\(faulty)")
    }

    /// A key that is not the certificate's is refused before connecting, said once in plain words (the
    /// context cache's error was wrapped again: "TLS configuration error: TLS configuration error: …").
    func testAKeyOfAnotherDeviceIsOneTLSConfigurationError() throws {
        let certs = NSTemporaryDirectory() + "fleet-it-certs-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: certs) }
        let device = certs + "/devices/fleet-it-tls-wrong-key"
        try FileManager.default.createDirectory(atPath: device, withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: "\(pki)/device-1.pem", toPath: device + "/chain.pem")
        try FileManager.default.copyItem(atPath: "\(pki)/device-2.key", toPath: device + "/key.pem")
        let events = try FleetIntegrationTests.run("""
            name: fleet-it-tls-wrong-key
            seed: 5
            broker: { url: "mqtts://127.0.0.1:8883", ca: "\(pki)/root.pem" }
            groups:
              - name: secure
                count: 1
                client-id: "fleet-it-tls-wrong-key"
                personality: custom
                retry: 300ms
                credentials: { certificates: "\(certs)" }
            timeline:
              - { at: 0s, ramp: { over: 0s } }
              - { at: 1s, stop: graceful }
            """).events
        let reasons = events.compactMap { event -> String? in
            if case .connectFailed(_, let reason, _) = event.kind { return reason }
            return nil
        }
        let reason = try XCTUnwrap(reasons.first, "\(events.map(\.kind))")
        XCTAssertTrue(reason.hasPrefix("TLS configuration error: "), reason)
        XCTAssertEqual(reason.components(separatedBy: "TLS configuration error").count, 2, reason)
        XCTAssertTrue(reason.contains("does not belong to the certificate"), reason)
    }
}
