import DevicePKI
import Foundation
import SwiftASN1
import X509
import XCTest

/// A fresh directory under the system temp folder, removed when the test ends.
func makeTemporaryDirectory(_ test: XCTestCase, file: StaticString = #filePath, line: UInt = #line) throws -> String {
    let path = NSTemporaryDirectory() + "fleet-pki-tests-" + UUID().uuidString
    try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    test.addTeardownBlock { try? FileManager.default.removeItem(atPath: path) }
    return path
}

/// A directory with a fresh P-256 CA in it.
func makeCertificateAuthority(_ test: XCTestCase) throws -> String {
    let directory = try makeTemporaryDirectory(test)
    try CertificateAuthoritySetup.create(CertificateAuthorityOptions(directory: directory))
    return directory
}

/// Output and exit status of a finished process.
struct ProcessResult {
    let status: Int32
    let output: String
}

/// Runs a command (found on PATH) and returns its combined stdout and stderr.
func runTool(_ executable: String, _ arguments: [String]) throws -> ProcessResult {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = [executable] + arguments
    let pipe = Pipe()
    process.standardOutput = pipe
    process.standardError = pipe
    process.standardInput = FileHandle.nullDevice
    try process.run()
    let data = pipe.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return ProcessResult(status: process.terminationStatus, output: String(decoding: data, as: UTF8.self))
}

func fileMode(_ path: String) throws -> Int {
    let attributes = try FileManager.default.attributesOfItem(atPath: path)
    return (attributes[.posixPermissions] as! NSNumber).intValue & 0o777
}

func readCertificate(_ path: String) throws -> Certificate {
    try Certificate(pemEncoded: String(contentsOfFile: path, encoding: .utf8))
}

/// The PEM blocks of a chain file, parsed.
func readChain(_ path: String) throws -> [Certificate] {
    try PEMDocument.parseMultiple(pemString: String(contentsOfFile: path, encoding: .utf8)).map {
        try Certificate(derEncoded: $0.derBytes)
    }
}

func commonName(of certificate: Certificate) -> String? {
    for rdn in certificate.subject {
        for attribute in rdn where attribute.type == .RDNAttributeType.commonName {
            return String(attribute.value)
        }
    }
    return nil
}

func derBytes(_ certificate: Certificate) throws -> [UInt8] {
    var serializer = DER.Serializer()
    try serializer.serialize(certificate)
    return serializer.serializedBytes
}

/// Files below `directory`, relative, sorted: to show that a failed command wrote nothing.
func listing(_ directory: String) -> [String] {
    (FileManager.default.subpaths(atPath: directory) ?? []).sorted()
}

/// The test broker's PKI: env FLEET_TEST_PKI, else `<repo>/.test-broker/pki`.
func testBrokerPKI(file: String = #filePath) -> String {
    if let path = ProcessInfo.processInfo.environment["FLEET_TEST_PKI"], !path.isEmpty { return path }
    var url = URL(fileURLWithPath: file)
    for _ in 0..<3 { url.deleteLastPathComponent() }
    return url.appendingPathComponent(".test-broker/pki").path
}

/// Asserts an error is a `PKIError` matching `expected`, with a one-line description.
func assertPKIError<T>(
    _ expression: @autoclosure () throws -> T, _ matches: (PKIError) -> Bool,
    file: StaticString = #filePath, line: UInt = #line
) {
    XCTAssertThrowsError(try expression(), file: file, line: line) { error in
        guard let error = error as? PKIError else { return XCTFail("not a PKIError: \(error)", file: file, line: line) }
        XCTAssertTrue(matches(error), "unexpected error: \(error)", file: file, line: line)
        XCTAssertFalse(error.description.contains("\n"), "error is not one line: \(error)", file: file, line: line)
    }
}

/// The async version of `assertPKIError`.
func assertPKIError<T>(
    _ expression: () async throws -> T, _ matches: (PKIError) -> Bool,
    file: StaticString = #filePath, line: UInt = #line
) async {
    do {
        _ = try await expression()
        XCTFail("expected an error", file: file, line: line)
    } catch let error as PKIError {
        XCTAssertTrue(matches(error), "unexpected error: \(error)", file: file, line: line)
        XCTAssertFalse(error.description.contains("\n"), "error is not one line: \(error)", file: file, line: line)
    } catch {
        XCTFail("not a PKIError: \(error)", file: file, line: line)
    }
}
