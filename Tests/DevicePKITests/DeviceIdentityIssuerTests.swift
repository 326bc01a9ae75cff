import Crypto
import DevicePKI
import Foundation
import X509
import XCTest

final class DeviceIdentityIssuerTests: XCTestCase {
    private func request(_ directory: String, pattern: String = "XiaoTandHandCO2-{index:05}", count: Int, start: Int = 1) throws -> IssueRequest {
        IssueRequest(directory: directory, clientIDs: .pattern(try ClientIDPattern(pattern), count: count, startIndex: start))
    }

    func testIssuesOneIdentityPerDeviceWithTheClientIDAsCN() async throws {
        let directory = try makeCertificateAuthority(self)
        var request = try request(directory, count: 130)
        request.organization = "devMobile.co.nz"
        request.organizationalUnit = "sensors"
        let summary = try await DeviceIdentityIssuer.issue(request)
        XCTAssertEqual(summary.count, 130)
        XCTAssertEqual(summary.firstClientID, "XiaoTandHandCO2-00001")
        XCTAssertEqual(summary.lastClientID, "XiaoTandHandCO2-00130")

        let intermediate = try readCertificate(directory + "/intermediate.pem")
        let store = DeviceIdentityStore(directory: directory)
        var serials = Set<Certificate.SerialNumber>()
        for index in [1, 64, 65, 130] {
            let id = "XiaoTandHandCO2-" + String(format: "%05d", index)
            let files = try store.identity(forClientID: id)
            let leaf = try readCertificate(files.certificatePath)
            XCTAssertEqual(commonName(of: leaf), id)
            XCTAssertTrue(leaf.subject.description.contains("OU=sensors"), leaf.subject.description)
            XCTAssertEqual(leaf.issuer, intermediate.subject)
            XCTAssertEqual(try leaf.extensions.keyUsage, KeyUsage(digitalSignature: true))
            XCTAssertEqual(leaf.extensions[oid: .X509ExtensionID.keyUsage]?.critical, true)
            XCTAssertEqual(try leaf.extensions.extendedKeyUsage, try ExtendedKeyUsage([.clientAuth]))
            XCTAssertEqual(try leaf.extensions.basicConstraints, .notCertificateAuthority)
            XCTAssertNotNil(try leaf.extensions.subjectKeyIdentifier)
            XCTAssertEqual(
                try leaf.extensions.authorityKeyIdentifier?.keyIdentifier,
                try intermediate.extensions.subjectKeyIdentifier?.keyIdentifier)
            XCTAssertNil(try leaf.extensions.subjectAlternativeNames)
            serials.insert(leaf.serialNumber)

            XCTAssertEqual(try readChain(files.chainPath), [leaf, intermediate])
            let key = try Certificate.PrivateKey(pemEncoded: String(contentsOfFile: files.keyPath, encoding: .utf8))
            XCTAssertEqual(key.publicKey, leaf.publicKey)
            XCTAssertEqual(try fileMode(files.keyPath), 0o600)
            XCTAssertEqual(try fileMode(files.chainPath), 0o644)
        }
        XCTAssertEqual(serials.count, 4)
        XCTAssertEqual(listing(directory + "/devices").filter { !$0.contains("/") && !$0.hasPrefix("index.") }.count, 130)
        XCTAssertFalse(listing(directory + "/devices").contains { $0.hasPrefix(".") }, "staging files left behind")
    }

    func testIndexRecordsThumbprintsAndPathsInCSVAndJSON() async throws {
        let directory = try makeCertificateAuthority(self)
        try await DeviceIdentityIssuer.issue(try request(directory, pattern: "EdgeBox100{index}", count: 3))
        let entries = try IdentityIndex.read(csvPath: directory + "/devices/index.csv")
        XCTAssertEqual(entries.map(\.clientID), ["EdgeBox1001", "EdgeBox1002", "EdgeBox1003"])

        for entry in entries {
            let leaf = try readCertificate(directory + "/" + entry.certificatePath)
            let der = try derBytes(leaf)
            let sha1 = Insecure.SHA1.hash(data: der).map { String(format: "%02X", $0) }.joined()
            let sha256 = SHA256.hash(data: der).map { String(format: "%02X", $0) }.joined()
            XCTAssertEqual(entry.sha1Thumbprint, sha1)
            XCTAssertEqual(entry.sha256Fingerprint, sha256)
            XCTAssertEqual(entry.commonName, entry.clientID)
            XCTAssertEqual(entry.chainPath, "devices/\(entry.clientID)/chain.pem")
            XCTAssertEqual(entry.keyPath, "devices/\(entry.clientID)/key.pem")
            XCTAssertEqual(entry.keyAlgorithm, "p256")
            XCTAssertEqual(entry.fault, "")
            XCTAssertEqual(ISO8601DateFormatter().date(from: entry.notAfter), leaf.notValidAfter)
            XCTAssertEqual(ISO8601DateFormatter().date(from: entry.notBefore), leaf.notValidBefore)

            // openssl agrees on the SHA-1 thumbprint (Event Grid registers the SHA-256 one, checked just above).
            let openssl = try runTool("openssl", ["x509", "-in", directory + "/" + entry.certificatePath, "-noout", "-fingerprint", "-sha1"])
            XCTAssertEqual(openssl.output.split(separator: "=").last?.replacingOccurrences(of: ":", with: "")
                .trimmingCharacters(in: .whitespacesAndNewlines), entry.sha1Thumbprint)
        }

        let json = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: directory + "/devices/index.json")))
        let rows = try XCTUnwrap(json as? [[String: Any]])
        XCTAssertEqual(rows.map { $0["clientId"] as? String }, ["EdgeBox1001", "EdgeBox1002", "EdgeBox1003"])
        XCTAssertEqual(rows.map { $0["sha1Thumbprint"] as? String }, entries.map(\.sha1Thumbprint))
        XCTAssertTrue(rows.allSatisfy { $0["fault"] is NSNull })
    }

    func testAddingAndReplacingIdentitiesKeepsTheIndexCorrect() async throws {
        let directory = try makeCertificateAuthority(self)
        try await DeviceIdentityIssuer.issue(try request(directory, pattern: "dev-{index:03}", count: 3))
        try await DeviceIdentityIssuer.issue(try request(directory, pattern: "dev-{index:03}", count: 2, start: 4))
        var entries = try IdentityIndex.read(csvPath: directory + "/devices/index.csv")
        XCTAssertEqual(entries.map(\.clientID), ["dev-001", "dev-002", "dev-003", "dev-004", "dev-005"])
        let oldThumbprint = entries[1].sha1Thumbprint

        var replace = IssueRequest(directory: directory, clientIDs: .list(["dev-002"]))
        replace.fault = .expired
        replace.overwrite = true
        try await DeviceIdentityIssuer.issue(replace)
        entries = try IdentityIndex.read(csvPath: directory + "/devices/index.csv")
        XCTAssertEqual(entries.map(\.clientID).sorted(), ["dev-001", "dev-002", "dev-003", "dev-004", "dev-005"])
        let replaced = try XCTUnwrap(entries.first { $0.clientID == "dev-002" })
        XCTAssertNotEqual(replaced.sha1Thumbprint, oldThumbprint)
        XCTAssertEqual(replaced.fault, "expired")
        let leaf = try readCertificate(directory + "/devices/dev-002/cert.pem")
        XCTAssertEqual(replaced.sha1Thumbprint, Insecure.SHA1.hash(data: try derBytes(leaf)).map { String(format: "%02X", $0) }.joined())

        let json = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: directory + "/devices/index.json")))
        XCTAssertEqual((json as? [[String: Any]])?.count, 5)
    }

    func testClientIDsFromAFileAndAwkwardCharactersInTheIndex() async throws {
        let directory = try makeCertificateAuthority(self)
        let list = directory + "/ids.txt"
        try "# field trial\nXiaoTandHandCO2A\n\n  XiaoTandHandCO2B  \nsite 3,\"north\"\n".write(toFile: list, atomically: true, encoding: .utf8)
        let ids = try DeviceIdentityIssuer.readClientIDs(fromFile: list)
        XCTAssertEqual(ids, ["XiaoTandHandCO2A", "XiaoTandHandCO2B", "site 3,\"north\""])
        try await DeviceIdentityIssuer.issue(IssueRequest(directory: directory, clientIDs: .list(ids)))
        XCTAssertEqual(try IdentityIndex.read(csvPath: directory + "/devices/index.csv").map(\.clientID), ids)
        XCTAssertEqual(commonName(of: try readCertificate(directory + "/devices/site 3,\"north\"/cert.pem")), "site 3,\"north\"")
    }

    func testSubjectAlternativeNameAndValidityAreSettable() async throws {
        let directory = try makeCertificateAuthority(self)
        var request = try request(directory, pattern: "edge-{index}", count: 1)
        request.includeSubjectAlternativeName = true
        request.validityDays = 10
        request.now = Date(timeIntervalSince1970: 1_800_000_000)
        request.keyAlgorithm = .p384
        try await DeviceIdentityIssuer.issue(request)
        let leaf = try readCertificate(directory + "/devices/edge-1/cert.pem")
        XCTAssertEqual(try leaf.extensions.subjectAlternativeNames, SubjectAlternativeNames([.dnsName("edge-1")]))
        XCTAssertEqual(leaf.notValidAfter, Date(timeIntervalSince1970: 1_800_000_000 + 10 * 86_400))
        XCTAssertNotNil(P384.Signing.PublicKey(leaf.publicKey))
    }

    func testFaultyTwinsOfADeviceLiveInTheirOwnDirectoryUnderTheSameCA() async throws {
        let certs = try makeCertificateAuthority(self)
        try await DeviceIdentityIssuer.issue(IssueRequest(directory: certs, clientIDs: .list(["EdgeBox100A"])))
        for fault in [IdentityFault.expired, .foreignCA] {
            var request = IssueRequest(directory: certs + "/faults/" + fault.rawValue, clientIDs: .list(["EdgeBox100A"]))
            request.authorityDirectory = certs
            request.fault = fault
            try await DeviceIdentityIssuer.issue(request)
        }
        XCTAssertTrue(FileManager.default.fileExists(atPath: certs + "/foreign/intermediate.pem"))
        XCTAssertFalse(FileManager.default.fileExists(atPath: certs + "/faults/foreign-ca/intermediate.pem"))

        let healthy = try DeviceIdentityStore(directory: certs).identity(forClientID: "EdgeBox100A")
        let expired = try DeviceIdentityStore(directory: certs + "/faults/expired").identity(forClientID: "EdgeBox100A")
        XCTAssertEqual(try runTool("openssl", ["verify", "-CAfile", certs + "/root.pem", "-untrusted", healthy.chainPath, healthy.certificatePath]).status, 0)
        let result = try runTool("openssl", ["verify", "-CAfile", certs + "/root.pem", "-untrusted", expired.chainPath, expired.certificatePath])
        XCTAssertTrue(result.output.contains("certificate has expired"), result.output)
        XCTAssertEqual(try IdentityIndex.read(csvPath: certs + "/faults/expired/devices/index.csv").map(\.fault), ["expired"])
        XCTAssertEqual(try IdentityIndex.read(csvPath: certs + "/devices/index.csv").map(\.fault), [""])
    }

    func testRSADeviceKeys() async throws {
        let directory = try makeCertificateAuthority(self)
        var request = try request(directory, pattern: "rsa-{index}", count: 2)
        request.keyAlgorithm = .rsa2048
        try await DeviceIdentityIssuer.issue(request)
        let files = try DeviceIdentityStore(directory: directory).identity(forClientID: "rsa-2")
        let key = try Certificate.PrivateKey(pemEncoded: String(contentsOfFile: files.keyPath, encoding: .utf8))
        XCTAssertEqual(key.publicKey, try readCertificate(files.certificatePath).publicKey)
        let verify = try runTool("openssl", ["verify", "-CAfile", directory + "/root.pem", "-untrusted", files.chainPath, files.certificatePath])
        XCTAssertEqual(verify.status, 0, verify.output)
    }
}

final class IssueValidationTests: XCTestCase {
    /// Every bad request fails with one line and leaves the directory exactly as it was.
    private func assertRejected(
        _ request: IssueRequest, _ matches: (PKIError) -> Bool, file: StaticString = #filePath, line: UInt = #line
    ) async {
        let before = listing(request.directory)
        await assertPKIError({ try await DeviceIdentityIssuer.issue(request) }, matches, file: file, line: line)
        XCTAssertEqual(listing(request.directory), before, "something was written", file: file, line: line)
    }

    func testZeroAndNegativeCounts() async throws {
        let directory = try makeCertificateAuthority(self)
        let pattern = try ClientIDPattern("d-{index}")
        await assertRejected(IssueRequest(directory: directory, clientIDs: .pattern(pattern, count: 0, startIndex: 1))) {
            $0 == .invalidCount(0)
        }
        await assertRejected(IssueRequest(directory: directory, clientIDs: .pattern(pattern, count: -5, startIndex: 1))) {
            $0 == .invalidCount(-5)
        }
        await assertRejected(IssueRequest(directory: directory, clientIDs: .pattern(pattern, count: 2, startIndex: -1))) {
            $0 == .invalidStartIndex(-1)
        }
    }

    func testPatternWithoutIndexForSeveralDevices() async throws {
        let directory = try makeCertificateAuthority(self)
        let pattern = try ClientIDPattern("EdgeBox100A")
        await assertRejected(IssueRequest(directory: directory, clientIDs: .pattern(pattern, count: 3, startIndex: 1))) {
            $0 == .patternWithoutIndex(pattern: "EdgeBox100A", count: 3)
        }
    }

    func testExistingIdentitiesAreNotReplacedWithoutForce() async throws {
        let directory = try makeCertificateAuthority(self)
        let pattern = try ClientIDPattern("d-{index}")
        try await DeviceIdentityIssuer.issue(IssueRequest(directory: directory, clientIDs: .pattern(pattern, count: 3, startIndex: 1)))
        let index = try String(contentsOfFile: directory + "/devices/index.csv", encoding: .utf8)
        await assertRejected(IssueRequest(directory: directory, clientIDs: .pattern(pattern, count: 5, startIndex: 1))) {
            $0 == .identityExists(clientID: "d-1", path: directory + "/devices/d-1", others: 2)
        }
        XCTAssertEqual(try String(contentsOfFile: directory + "/devices/index.csv", encoding: .utf8), index)
    }

    func testBadAndDuplicateClientIDsInAList() async throws {
        let directory = try makeCertificateAuthority(self)
        await assertRejected(IssueRequest(directory: directory, clientIDs: .list(["ok-1", "../escape", "ok-2"]))) {
            if case .invalidClientID(let id, _) = $0 { return id == "../escape" }
            return false
        }
        await assertRejected(IssueRequest(directory: directory, clientIDs: .list(["a", "b", "a"]))) {
            $0 == .duplicateClientID("a")
        }
    }

    func testMissingCAAndUnwritableFolder() async throws {
        let empty = try makeTemporaryDirectory(self)
        let pattern = try ClientIDPattern("d-{index}")
        await assertRejected(IssueRequest(directory: empty, clientIDs: .pattern(pattern, count: 1, startIndex: 1))) {
            $0 == .certificateAuthorityMissing(path: empty + "/intermediate.pem")
        }

        let directory = try makeCertificateAuthority(self)
        _ = FileManager.default.createFile(atPath: directory + "/devices", contents: Data("not a folder".utf8))
        await assertRejected(IssueRequest(directory: directory, clientIDs: .pattern(pattern, count: 1, startIndex: 1))) {
            if case .unwritableDirectory(let path, _) = $0 { return path == directory + "/devices" }
            return false
        }
    }

    func testInvalidValidityAndSubject() async throws {
        let directory = try makeCertificateAuthority(self)
        var request = IssueRequest(directory: directory, clientIDs: .list(["d"]))
        request.validityDays = -1
        await assertRejected(request) { $0 == .invalidValidityDays(-1) }
        request.validityDays = 30
        request.organization = ""
        await assertRejected(request) {
            if case .invalidSubjectField(let field, _) = $0 { return field.contains("organization") }
            return false
        }
    }
}
