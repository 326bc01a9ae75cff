import DevicePKI
import Foundation
import SwiftASN1
import X509
import XCTest

final class ServerIdentityTests: XCTestCase {
    func testServerCertificateForLoopbackBroker() throws {
        let directory = try makeCertificateAuthority(self)
        let files = try ServerIdentityIssuer.issue(ServerIdentityOptions(directory: directory, hosts: ["127.0.0.1", "localhost", "::1"]))
        let leaf = try readCertificate(files.certificate)
        XCTAssertEqual(commonName(of: leaf), "127.0.0.1")
        XCTAssertEqual(try leaf.extensions.extendedKeyUsage, try ExtendedKeyUsage([.serverAuth]))
        XCTAssertEqual(
            try leaf.extensions.subjectAlternativeNames,
            SubjectAlternativeNames([
                .ipAddress(ASN1OctetString(contentBytes: [127, 0, 0, 1])),
                .dnsName("localhost"),
                .ipAddress(ASN1OctetString(contentBytes: [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1])),
            ]))
        XCTAssertEqual(try readChain(files.chain), [leaf, try readCertificate(directory + "/intermediate.pem")])
        XCTAssertEqual(try fileMode(files.key), 0o600)

        let verify = try runTool("openssl", [
            "verify", "-purpose", "sslserver", "-CAfile", files.trustedRoot, "-untrusted", files.chain,
            "-verify_ip", "127.0.0.1", files.certificate,
        ])
        XCTAssertEqual(verify.status, 0, verify.output)
        let host = try runTool("openssl", [
            "verify", "-CAfile", files.trustedRoot, "-untrusted", files.chain, "-verify_hostname", "localhost", files.certificate,
        ])
        XCTAssertEqual(host.status, 0, host.output)
    }

    func testRSAServerKeyAlsoAllowsKeyEncipherment() throws {
        let directory = try makeCertificateAuthority(self)
        var options = ServerIdentityOptions(directory: directory, hosts: ["localhost"])
        options.keyAlgorithm = .rsa2048
        let files = try ServerIdentityIssuer.issue(options)
        XCTAssertEqual(
            try readCertificate(files.certificate).extensions.keyUsage, KeyUsage(digitalSignature: true, keyEncipherment: true))
        let ecdsa = try ServerIdentityIssuer.issue(ServerIdentityOptions(directory: try makeCertificateAuthority(self), hosts: ["localhost"]))
        XCTAssertEqual(try readCertificate(ecdsa.certificate).extensions.keyUsage, KeyUsage(digitalSignature: true))
    }

    func testListenerSnippetsPointAtTheFiles() throws {
        let directory = try makeCertificateAuthority(self)
        let files = try ServerIdentityIssuer.issue(ServerIdentityOptions(directory: directory, hosts: ["localhost"]))
        let mosquitto = BrokerListenerSnippet.mosquitto(files, bindAddress: "127.0.0.1", port: 18883)
        XCTAssertEqual(mosquitto.split(separator: "\n"), [
            "listener 18883 127.0.0.1",
            "cafile \(directory)/root.pem",
            "certfile \(directory)/server/chain.pem",
            "keyfile \(directory)/server/key.pem",
            "require_certificate true",
            "use_identity_as_username true",
        ])
        let nanoMQ = BrokerListenerSnippet.nanoMQ(files)
        for line in [
            "bind = \"127.0.0.1:8883\"", "keyfile = \"\(directory)/server/key.pem\"",
            "certfile = \"\(directory)/server/chain.pem\"", "cacertfile = \"\(directory)/root.pem\"",
            "verify_peer = true", "fail_if_no_peer_cert = true",
        ] {
            XCTAssertTrue(nanoMQ.contains(line), "missing \(line) in\n\(nanoMQ)")
        }
    }

    func testBadServerRequestsWriteNothing() throws {
        let directory = try makeCertificateAuthority(self)
        assertPKIError(try ServerIdentityIssuer.issue(ServerIdentityOptions(directory: directory, hosts: []))) { $0 == .noHosts }
        assertPKIError(try ServerIdentityIssuer.issue(ServerIdentityOptions(directory: directory, hosts: ["bad host"]))) {
            $0 == .invalidHost("bad host")
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: directory + "/server"))

        try ServerIdentityIssuer.issue(ServerIdentityOptions(directory: directory, hosts: ["localhost"]))
        let before = try String(contentsOfFile: directory + "/server/chain.pem", encoding: .utf8)
        assertPKIError(try ServerIdentityIssuer.issue(ServerIdentityOptions(directory: directory, hosts: ["localhost"]))) {
            if case .serverIdentityExists = $0 { return true }
            return false
        }
        XCTAssertEqual(try String(contentsOfFile: directory + "/server/chain.pem", encoding: .utf8), before)
    }
}
