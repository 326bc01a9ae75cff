import DevicePKI
import Foundation
import XCTest

/// The export files against the fields Azure documents: Event Grid's client resource (`authenticationName`,
/// `state`, `clientCertificateAuthentication.validationScheme`/`allowedThumbprints`) and IoT Hub's
/// `ExportImportDevice` lines (`id`, `importMode`, `status`, `authentication.type`/`x509Thumbprint`).
final class CloudRegistrationTests: XCTestCase {
    /// Three healthy identities and one expired twin, issued into one folder.
    private func issuedIndex() async throws -> (directory: String, entries: [IdentityIndexEntry]) {
        let directory = try makeCertificateAuthority(self)
        try await DeviceIdentityIssuer.issue(IssueRequest(
            directory: directory, clientIDs: .pattern(try ClientIDPattern("eg-{index:02}"), count: 3, startIndex: 1)))
        var faulty = IssueRequest(directory: directory, clientIDs: .list(["eg-expired"]))
        faulty.fault = .expired
        try await DeviceIdentityIssuer.issue(faulty)
        return (directory, try IdentityIndex.read(csvPath: directory + "/devices/index.csv"))
    }

    private func sha256(ofCertificateAt path: String) throws -> String {
        let openssl = try runTool("openssl", ["x509", "-in", path, "-noout", "-fingerprint", "-sha256"])
        XCTAssertEqual(openssl.status, 0, openssl.output)
        return openssl.output.split(separator: "=").last.map(String.init)?.replacingOccurrences(of: ":", with: "")
            .trimmingCharacters(in: .whitespacesAndNewlines) ?? ""
    }

    func testEventGridClientsRegisterTheSHA256ThumbprintUnderTheCertificateCN() async throws {
        let (directory, entries) = try await issuedIndex()
        let export = CloudRegistration.eventGrid(entries, validation: .thumbprint)
        XCTAssertEqual(export.exported, 3)
        XCTAssertEqual(export.skipped.map(\.clientID), ["eg-expired"])
        XCTAssertEqual(export.skipped.map(\.reason), ["issued with the expired fault"])

        let clients = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(export.text.utf8)) as? [[String: Any]])
        XCTAssertEqual(clients.map { $0["name"] as? String }, ["eg-01", "eg-02", "eg-03"])
        for client in clients {
            let name = try XCTUnwrap(client["name"] as? String)
            let properties = try XCTUnwrap(client["properties"] as? [String: Any])
            XCTAssertEqual(Set(properties.keys), ["authenticationName", "state", "clientCertificateAuthentication"])
            XCTAssertEqual(properties["authenticationName"] as? String, name)
            XCTAssertEqual(properties["state"] as? String, "Enabled")
            let authentication = try XCTUnwrap(properties["clientCertificateAuthentication"] as? [String: Any])
            XCTAssertEqual(authentication["validationScheme"] as? String, "ThumbprintMatch")
            let expected = try sha256(ofCertificateAt: directory + "/devices/\(name)/cert.pem")
            XCTAssertEqual(expected.count, 64)
            XCTAssertEqual(authentication["allowedThumbprints"] as? [String], [expected])
        }
    }

    func testEventGridSubjectValidationCarriesNoThumbprints() async throws {
        let (_, entries) = try await issuedIndex()
        let clients = try XCTUnwrap(try JSONSerialization.jsonObject(
            with: Data(CloudRegistration.eventGrid(entries, validation: .subject).text.utf8)) as? [[String: Any]])
        let schemes = clients.map { ($0["properties"] as? [String: Any])?["clientCertificateAuthentication"] as? [String: String] }
        XCTAssertEqual(schemes, Array(repeating: ["validationScheme": "SubjectMatchesAuthenticationName"], count: 3))
    }

    func testIoTHubImportIsOneDeviceALine() async throws {
        let (directory, entries) = try await issuedIndex()
        let export = CloudRegistration.iotHubImport(entries, authentication: .selfSigned, thumbprint: .sha1)
        let lines = export.text.split(separator: "\n")
        XCTAssertEqual(lines.count, 3)
        XCTAssertTrue(export.text.hasSuffix("\n"))
        for (line, entry) in zip(lines, entries) {
            let device = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
            XCTAssertEqual(device["id"] as? String, entry.clientID)
            XCTAssertEqual(device["importMode"] as? String, "createOrUpdate")
            XCTAssertEqual(device["status"] as? String, "enabled")
            let authentication = try XCTUnwrap(device["authentication"] as? [String: Any])
            XCTAssertEqual(authentication["type"] as? String, "selfSigned")
            let openssl = try runTool("openssl", ["x509", "-in", directory + "/" + entry.certificatePath, "-noout",
                                                  "-fingerprint", "-sha1"])
            let sha1 = openssl.output.split(separator: "=").last?.replacingOccurrences(of: ":", with: "")
                .trimmingCharacters(in: .whitespacesAndNewlines)
            XCTAssertEqual(authentication["x509Thumbprint"] as? [String: String], ["primaryThumbprint": sha1 ?? "?"])
        }

        let authority = CloudRegistration.iotHubImport(entries, authentication: .certificateAuthority)
        XCTAssertEqual(authority.text.split(separator: "\n").first,
                       #"{"id":"eg-01","importMode":"createOrUpdate","status":"enabled","authentication":{"type":"certificateAuthority"}}"#)
    }

    func testNamesTheCloudsRefuseAreLeftOutWithTheReason() {
        XCTAssertTrue(CloudRegistration.isEventGridClientName("plant-7:sensor_01.a"))
        XCTAssertFalse(CloudRegistration.isEventGridClientName("sensor 01"))
        XCTAssertFalse(CloudRegistration.isEventGridClientName("sensör"))
        XCTAssertFalse(CloudRegistration.isEventGridClientName(String(repeating: "a", count: 129)))
        XCTAssertTrue(CloudRegistration.isIoTHubDeviceID("dev(1)@site=7"))
        XCTAssertFalse(CloudRegistration.isIoTHubDeviceID("dev/1"))
        XCTAssertFalse(CloudRegistration.isIoTHubDeviceID(""))
    }
}
