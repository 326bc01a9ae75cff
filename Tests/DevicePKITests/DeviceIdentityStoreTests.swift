import DevicePKI
import XCTest

final class DeviceIdentityStoreTests: XCTestCase {
    func testFindsAnIssuedIdentity() async throws {
        let directory = try makeCertificateAuthority(self)
        try await DeviceIdentityIssuer.issue(IssueRequest(directory: directory, clientIDs: .list(["EdgeBox100A"])))
        let files = try DeviceIdentityStore(directory: directory + "/").identity(forClientID: "EdgeBox100A")
        XCTAssertEqual(files.chainPath, directory + "/devices/EdgeBox100A/chain.pem")
        XCTAssertEqual(files.keyPath, directory + "/devices/EdgeBox100A/key.pem")
        XCTAssertEqual(files.certificatePath, directory + "/devices/EdgeBox100A/cert.pem")
        XCTAssertEqual(DeviceIdentityStore(directory: directory).rootCertificatePath, directory + "/root.pem")
    }

    func testMissingIdentityIsAClearError() throws {
        let directory = try makeCertificateAuthority(self)
        assertPKIError(try DeviceIdentityStore(directory: directory).identity(forClientID: "EdgeBox100B")) {
            $0 == .identityMissing(clientID: "EdgeBox100B", directory: directory + "/devices")
                && $0.description.contains("fleet certs issue")
        }
    }

    func testUnsafeClientIDIsRejectedBeforeTouchingTheDisk() throws {
        let directory = try makeCertificateAuthority(self)
        assertPKIError(try DeviceIdentityStore(directory: directory).identity(forClientID: "../intermediate")) {
            if case .invalidClientID = $0 { return true }
            return false
        }
    }
}
