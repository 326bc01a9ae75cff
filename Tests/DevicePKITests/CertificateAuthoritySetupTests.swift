import Crypto
import DevicePKI
import Foundation
import X509
import XCTest

final class CertificateAuthoritySetupTests: XCTestCase {
    func testCreatesRootAndIntermediateWithCAExtensions() throws {
        let directory = try makeTemporaryDirectory(self)
        var options = CertificateAuthorityOptions(directory: directory)
        options.rootSubject = SubjectFields(commonName: "devMobile root", organization: "devMobile.co.nz", country: "NZ")
        options.intermediateSubject = SubjectFields(commonName: "devMobile intermediate", organizationalUnit: "IoT")
        let files = try CertificateAuthoritySetup.create(options)

        let root = try readCertificate(files.rootCertificate)
        let intermediate = try readCertificate(files.intermediateCertificate)
        XCTAssertEqual(root.subject, root.issuer)
        XCTAssertEqual(intermediate.issuer, root.subject)
        XCTAssertEqual(commonName(of: intermediate), "devMobile intermediate")
        XCTAssertTrue(root.subject.description.contains("O=devMobile.co.nz"), root.subject.description)
        XCTAssertTrue(root.subject.description.contains("C=NZ"), root.subject.description)

        let constraints = try XCTUnwrap(intermediate.extensions.basicConstraints)
        XCTAssertEqual(constraints, .isCertificateAuthority(maxPathLength: 0))
        XCTAssertEqual(intermediate.extensions[oid: .X509ExtensionID.basicConstraints]?.critical, true)
        XCTAssertEqual(try intermediate.extensions.keyUsage?.keyCertSign, true)
        XCTAssertEqual(intermediate.extensions[oid: .X509ExtensionID.keyUsage]?.critical, true)
        XCTAssertEqual(
            try intermediate.extensions.authorityKeyIdentifier?.keyIdentifier,
            try root.extensions.subjectKeyIdentifier?.keyIdentifier)
        XCTAssertEqual(try root.extensions.basicConstraints, .isCertificateAuthority(maxPathLength: nil))

        XCTAssertEqual(try fileMode(files.intermediateKey), 0o600)
        XCTAssertEqual(try fileMode(try XCTUnwrap(files.rootKey)), 0o600)
        XCTAssertEqual(try fileMode(files.rootCertificate), 0o644)

        let verify = try runTool("openssl", ["verify", "-CAfile", files.rootCertificate, files.intermediateCertificate])
        XCTAssertEqual(verify.status, 0, verify.output)
    }

    func testKeyTypeAndValidityAreHonoured() throws {
        let directory = try makeTemporaryDirectory(self)
        var options = CertificateAuthorityOptions(directory: directory)
        options.keyAlgorithm = .p384
        options.intermediateValidityDays = 30
        options.now = Date(timeIntervalSince1970: 1_800_000_000)
        let files = try CertificateAuthoritySetup.create(options)
        let intermediate = try readCertificate(files.intermediateCertificate)
        XCTAssertEqual(intermediate.signatureAlgorithm, .ecdsaWithSHA384)
        XCTAssertNotNil(P384.Signing.PublicKey(intermediate.publicKey))
        XCTAssertEqual(intermediate.notValidAfter, Date(timeIntervalSince1970: 1_800_000_000 + 30 * 86_400))
    }

    func testRSAIntermediateSignsWithSHA256() throws {
        let directory = try makeTemporaryDirectory(self)
        var options = CertificateAuthorityOptions(directory: directory)
        options.keyAlgorithm = .rsa2048
        let files = try CertificateAuthoritySetup.create(options)
        XCTAssertEqual(try readCertificate(files.intermediateCertificate).signatureAlgorithm, .sha256WithRSAEncryption)
        let verify = try runTool("openssl", ["verify", "-CAfile", files.rootCertificate, files.intermediateCertificate])
        XCTAssertEqual(verify.status, 0, verify.output)
    }

    func testExistingCAIsNotReplacedWithoutForce() throws {
        let directory = try makeCertificateAuthority(self)
        let before = try String(contentsOfFile: directory + "/intermediate.pem", encoding: .utf8)
        assertPKIError(try CertificateAuthoritySetup.create(CertificateAuthorityOptions(directory: directory))) {
            if case .certificateAuthorityExists(let path) = $0 { return path.hasSuffix("root.pem") }
            return false
        }
        XCTAssertEqual(try String(contentsOfFile: directory + "/intermediate.pem", encoding: .utf8), before)

        var options = CertificateAuthorityOptions(directory: directory)
        options.overwrite = true
        try CertificateAuthoritySetup.create(options)
        XCTAssertNotEqual(try String(contentsOfFile: directory + "/intermediate.pem", encoding: .utf8), before)
        XCTAssertEqual(listing(directory), ["intermediate.key", "intermediate.pem", "root.key", "root.pem"])
    }

    func testIntermediateUnderAnExistingRoot() throws {
        let company = try makeCertificateAuthority(self)
        let directory = try makeTemporaryDirectory(self) + "/Certs"
        var options = CertificateAuthorityOptions(directory: directory)
        options.existingRoot = .init(certificatePath: company + "/root.pem", keyPath: company + "/root.key")
        let files = try CertificateAuthoritySetup.create(options)

        XCTAssertNil(files.rootKey)
        XCTAssertEqual(listing(directory), ["intermediate.key", "intermediate.pem", "root.pem"])
        XCTAssertEqual(
            try String(contentsOfFile: files.rootCertificate, encoding: .utf8),
            try String(contentsOfFile: company + "/root.pem", encoding: .utf8))
        let verify = try runTool("openssl", ["verify", "-CAfile", company + "/root.pem", files.intermediateCertificate])
        XCTAssertEqual(verify.status, 0, verify.output)
    }

    func testExistingRootWithTheWrongKeyIsRejected() throws {
        let first = try makeCertificateAuthority(self)
        let second = try makeCertificateAuthority(self)
        let directory = try makeTemporaryDirectory(self) + "/Certs"
        var options = CertificateAuthorityOptions(directory: directory)
        options.existingRoot = .init(certificatePath: first + "/root.pem", keyPath: second + "/root.key")
        assertPKIError(try CertificateAuthoritySetup.create(options)) {
            if case .keyDoesNotMatchCertificate = $0 { return true }
            return false
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: directory))
    }

    func testUnwritableDirectoryFailsBeforeWriting() throws {
        let base = try makeTemporaryDirectory(self)
        _ = FileManager.default.createFile(atPath: base + "/plain-file", contents: Data("x".utf8))
        let options = CertificateAuthorityOptions(directory: base + "/plain-file/Certs")
        assertPKIError(try CertificateAuthoritySetup.create(options)) {
            if case .unwritableDirectory(_, let reason) = $0 { return reason.contains("not a directory") }
            return false
        }
        XCTAssertEqual(listing(base), ["plain-file"])
    }

    func testInvalidSubjectAndValidityFailBeforeWriting() throws {
        let directory = try makeTemporaryDirectory(self)
        var options = CertificateAuthorityOptions(directory: directory)
        options.rootSubject.country = "New Zealand"
        assertPKIError(try CertificateAuthoritySetup.create(options)) {
            if case .invalidSubjectField(let field, _) = $0 { return field.contains("country") }
            return false
        }
        options = CertificateAuthorityOptions(directory: directory)
        options.rootValidityDays = 0
        assertPKIError(try CertificateAuthoritySetup.create(options)) { $0 == .invalidValidityDays(0) }
        XCTAssertEqual(listing(directory), [])
    }
}
