import Foundation
import MQTTClient
import MQTTCore
import X509
import XCTest
@testable import Probe

/// `fleet probe` against mosquitto's mutual-TLS listener with real broken identities: each breakage
/// gets its own diagnosis, where BoringSSL said "failedToLoadPrivateKey" for one and the broker
/// "unknown CA" for the other two.
final class ClientIdentityProbeTests: XCTestCase {
    private var identities: BrokenIdentities!

    override func setUpWithError() throws {
        identities = try BrokenIdentities()
    }

    override func tearDown() {
        identities.remove()
    }

    private func probe(chain: String, key: String) async throws -> ProbeReport {
        var options = ProbeOptions(url: try BrokerURL(parsing: "mqtts://localhost:\(TestBroker.mutualTLSPort)"),
                                   clientID: TestBroker.uniqueID("identity"), timeout: .seconds(3))
        options.tls = TLSSettings(caFiles: [TestBroker.file("root.pem")], certificateChainFile: chain, privateKeyFile: key)
        return await Prober().run(options)
    }

    /// The mTLS step's diagnosis, after the broker's own certificate passed.
    private func mutualTLSFailure(_ report: ProbeReport, file: StaticString = #filePath, line: UInt = #line) -> Diagnosis? {
        guard case .passed = report.result(of: .tls)?.outcome else {
            XCTFail("the server-only TLS step should pass:\n\(report.rendered())", file: file, line: line)
            return nil
        }
        guard case .failed(let diagnosis) = report.result(of: .mutualTLS)?.outcome else {
            XCTFail("mTLS should have failed:\n\(report.rendered())", file: file, line: line)
            return nil
        }
        return diagnosis
    }

    func testAKeyFromAnotherIdentityIsToldApartFromAnUnreadableKey() async throws {
        try identities.key("other.key")
        let report = try await probe(chain: TestBroker.file("device-1.pem"), key: identities.path("other.key"))
        let diagnosis = try XCTUnwrap(mutualTLSFailure(report))
        XCTAssertTrue(diagnosis.problem.hasPrefix(
            "the private key in \(identities.path("other.key")) (SEC1 EC) does not belong to the certificate in \(TestBroker.file("device-1.pem"))"),
            diagnosis.problem)
        XCTAssertTrue(diagnosis.problem.contains("certificate's key: P-256 …"), diagnosis.problem)
        XCTAssertFalse(diagnosis.problem.contains("failedToLoadPrivateKey"), diagnosis.problem)
        XCTAssertFalse(diagnosis.hint.contains("PEM"), diagnosis.hint)
    }

    func testALeafWithoutItsIntermediateIsAMissingIntermediate() async throws {
        try FileManager.default.copyItem(atPath: TestBroker.file("device-1.leaf.pem"), toPath: identities.path("leaf.pem"))
        let report = try await probe(chain: identities.path("leaf.pem"), key: TestBroker.file("device-1.key"))
        let diagnosis = try XCTUnwrap(mutualTLSFailure(report))
        XCTAssertTrue(diagnosis.problem.hasPrefix(
            "the certificate was issued by CN=fleet test intermediate, which is neither in the chain file \(identities.path("leaf.pem")) nor the CA file (root.pem)"),
            diagnosis.problem)
        XCTAssertTrue(diagnosis.problem.contains("; the broker answered TLS alert \"unknown CA\""), diagnosis.problem)
        XCTAssertTrue(diagnosis.hint.hasPrefix("add the intermediate that issued it to \(identities.path("leaf.pem"))"), diagnosis.hint)
    }

    func testAMissingIntermediateBesideTheChainFileIsNamed() async throws {
        // The test PKI keeps device-1.leaf.pem next to intermediate.pem, as `fleet certs` keeps its folders.
        let report = try await probe(chain: TestBroker.file("device-1.leaf.pem"), key: TestBroker.file("device-1.key"))
        let diagnosis = try XCTUnwrap(mutualTLSFailure(report))
        XCTAssertTrue(diagnosis.problem.contains("was issued by CN=fleet test intermediate"), diagnosis.problem)
        XCTAssertTrue(diagnosis.hint.contains("(\(TestBroker.file("intermediate.pem")) holds it)"), diagnosis.hint)
    }

    func testAnIdentityFromAnotherCANamesBothCAs() async throws {
        let foreign = try identities.foreignIdentity()
        let report = try await probe(chain: foreign.chain, key: foreign.key)
        let diagnosis = try XCTUnwrap(mutualTLSFailure(report))
        XCTAssertTrue(diagnosis.problem.hasPrefix(
            "the certificate chains to CN=probe foreign root, but the CA file (root.pem) is CN=fleet test root"), diagnosis.problem)
        XCTAssertTrue(diagnosis.problem.contains("; the broker answered TLS alert \"unknown CA\""), diagnosis.problem)
    }

    func testEachBreakageHasItsOwnDiagnosis() async throws {
        try identities.key("other.key")
        try FileManager.default.copyItem(atPath: TestBroker.file("device-1.leaf.pem"), toPath: identities.path("leaf.pem"))
        let foreign = try identities.foreignIdentity()
        var problems: [String] = []
        for (chain, key) in [(TestBroker.file("device-1.pem"), identities.path("other.key")),
                             (identities.path("leaf.pem"), TestBroker.file("device-1.key")),
                             (foreign.chain, foreign.key)] {
            let report = try await probe(chain: chain, key: key)
            problems.append(try XCTUnwrap(mutualTLSFailure(report)).problem)
        }
        // Told apart by what they say, not only by the files they name.
        let gists = problems.map { $0.replacingOccurrences(of: identities.folder.path, with: "") }
        XCTAssertEqual(Set(gists.map { String($0.prefix(40)) }).count, 3, gists.joined(separator: "\n"))
    }

    func testTheGoodIdentityNamesItsSubjectWhenAccepted() async throws {
        let report = try await probe(chain: TestBroker.file("device-1.pem"), key: TestBroker.file("device-1.key"))
        XCTAssertEqual(report.result(of: .mutualTLS)?.outcome, .passed("client certificate (CN=device-1) accepted"), report.rendered())
    }

    /// What `fleet run` shows for a device refused this way: the client's error text, without BoringSSL's build paths.
    func testTheClientsErrorForARefusedIdentityHasNoBuildPaths() async throws {
        let foreign = try identities.foreignIdentity()
        let settings = TLSSettings(caFiles: [TestBroker.file("root.pem")], certificateChainFile: foreign.chain,
                                   privateKeyFile: foreign.key)
        do {
            let client = try await MQTTClient.connect(
                to: MQTTEndpoint(host: "localhost", port: TestBroker.mutualTLSPort, connectTimeout: .seconds(3)), tls: settings,
                configuration: MQTTConnectionConfiguration(clientIdentifier: TestBroker.uniqueID("foreign"), connAckTimeout: .seconds(3)))
            await client.close(.graceful)
            XCTFail("mosquitto accepted an identity from a CA it does not trust")
        } catch {
            let text = "\(error)"
            XCTAssertTrue(text.contains("unknown CA"), text)
            for leak in ["checkouts", ".cc:", "OPENSSL_internal", "Error: 2"] {
                XCTAssertFalse(text.contains(leak), text)
            }
        }
    }
}

/// The identity files on their own: formats, validity and key identifiers, without a broker.
final class ClientIdentityFileTests: XCTestCase {
    private var identities: BrokenIdentities!

    override func setUpWithError() throws {
        identities = try BrokenIdentities()
    }

    override func tearDown() {
        identities.remove()
    }

    private func check(chain: String = TestBroker.file("device-1.pem"), key: String,
                       now: Date = Date()) -> ClientIdentityCheck {
        ClientIdentityCheck(chainFile: chain, keyFile: key, caFiles: [TestBroker.file("root.pem")], now: now)
    }

    func testTheTestBrokersIdentityLinksToItsRoot() {
        let checked = check(key: TestBroker.file("device-1.key"))
        XCTAssertNil(checked.blocking)
        XCTAssertNil(checked.chainProblem)
        XCTAssertEqual(checked.subject, "CN=device-1")
    }

    func testPKCS8KeysAreRead() throws {
        try identities.openssl("pkcs8", "-topk8", "-nocrypt", "-in", TestBroker.file("device-1.key"), "-out", "pkcs8.key")
        XCTAssertNil(check(key: identities.path("pkcs8.key")).blocking)
    }

    func testKeysInUnusableFormatsSayWhatTheyAre() throws {
        try identities.openssl("pkcs8", "-topk8", "-in", TestBroker.file("device-1.key"), "-passout", "pass:secret",
                               "-out", "encrypted.key")
        try identities.openssl("pkcs8", "-topk8", "-nocrypt", "-in", TestBroker.file("device-1.key"), "-outform", "DER",
                               "-out", "der.key")
        let encrypted = check(key: identities.path("encrypted.key")).blocking
        XCTAssertEqual(encrypted?.problem, "\(identities.path("encrypted.key")) holds an encrypted PKCS#8 private key; fleet needs it unencrypted")
        let der = check(key: identities.path("der.key")).blocking
        XCTAssertEqual(der?.problem, "\(identities.path("der.key")) is a DER (binary) PKCS#8 private key, not PEM")
        let swapped = check(key: TestBroker.file("device-1.pem")).blocking
        XCTAssertEqual(swapped?.problem, "\(TestBroker.file("device-1.pem")) holds a certificate, not a private key")
        let keyAsChain = check(chain: TestBroker.file("device-1.key"), key: TestBroker.file("device-1.key")).blocking
        XCTAssertEqual(keyAsChain?.problem, "\(TestBroker.file("device-1.key")) holds a private key, not a certificate")
    }

    /// `fleet run` builds its TLS contexts without this check: its error for a foreign key says the same.
    func testTheClientsContextErrorForAForeignKeyNamesBothFiles() throws {
        try identities.key("other.key")
        let settings = TLSSettings(caFiles: [TestBroker.file("root.pem")], certificateChainFile: TestBroker.file("device-1.pem"),
                                   privateKeyFile: identities.path("other.key"))
        XCTAssertThrowsError(try settings.makeContext()) { error in
            XCTAssertEqual("\(error)", "TLS configuration error: the private key in \(identities.path("other.key")) does not belong to the certificate in \(TestBroker.file("device-1.pem"))")
        }
    }

    func testTheIntermediatesKeyIsNotTheDevicesKey() {
        let checked = check(key: TestBroker.file("intermediate.key"))
        XCTAssertEqual(checked.blocking?.problem,
                       "the private key in \(TestBroker.file("intermediate.key")) belongs to CN=fleet test intermediate, which is not the first certificate in \(TestBroker.file("device-1.pem"))")
    }

    func testAnExpiredOrNotYetValidCertificateIsToldBeforeAnyHandshake() throws {
        let leaf = try Certificate(pemEncoded: String(contentsOfFile: TestBroker.file("device-1.leaf.pem"), encoding: .utf8))
        let expired = check(key: TestBroker.file("device-1.key"), now: leaf.notValidAfter.addingTimeInterval(60)).blocking
        XCTAssertTrue(expired?.problem.contains("(CN=device-1) expired on") == true, "\(String(describing: expired))")
        let early = check(key: TestBroker.file("device-1.key"), now: leaf.notValidBefore.addingTimeInterval(-60)).blocking
        XCTAssertTrue(early?.problem.contains("is not valid until") == true, "\(String(describing: early))")
    }

    func testAnIntermediateOfTheSameNameButAnotherKeyIsCalledOut() throws {
        // The test PKI made again: an intermediate called the same, from other keys.
        try identities.rootCA("again-root", commonName: "fleet test root")
        try identities.issue("again-intermediate", commonName: "fleet test intermediate", by: "again-root", ca: true)
        try identities.concatenate([TestBroker.file("device-1.leaf.pem"), identities.path("again-intermediate.pem")], into: "chain.pem")
        let checked = check(chain: identities.path("chain.pem"), key: TestBroker.file("device-1.key"))
        XCTAssertNil(checked.blocking)
        XCTAssertEqual(checked.chainProblem?.problem,
                       "CN=device-1 was issued by CN=fleet test intermediate, but the CN=fleet test intermediate in the chain file is another certificate of that name (its key identifier differs)")
    }
}
