import AzureCredentials
import Foundation
import XCTest

/// Our tokens and derived keys against Microsoft's own implementation, run live: the azure-iot-device SDK
/// for Python (`pip install azure-iot-device==2.14.0`, which `.ci/run` does). The SDK builds the resource
/// URI (`_form_sas_uri`, what `create_from_symmetric_key` uses), signs with `SymmetricKeySigningMechanism` and
/// formats with `RenewableSasToken`, its clock patched so the expiry is ours.
final class PythonSDKComparisonTests: XCTestCase {
    private struct Case {
        let hub: String
        let deviceID: String
        let base64Key: String
        let expiry: Int
        let policy: String?
    }

    private static let cases: [Case] = [
        Case(hub: "lab.azure-devices.net", deviceID: "sensor-0001", base64Key: key(seed: 1, count: 32),
             expiry: 1_767_225_600, policy: nil),
        Case(hub: "Contoso-Hub.azure-devices.net", deviceID: "dev:1@site#2 (x)", base64Key: key(seed: 7, count: 64),
             expiry: 2_000_000_000, policy: nil),
        Case(hub: "contoso.azure-devices.net", deviceID: "Gerät-ü/ß?a=b&c+d%25~._", base64Key: key(seed: 200, count: 32),
             expiry: 1_456_481_802, policy: nil),
        Case(hub: "contoso.azure-devices.net", deviceID: "MyDevice01", base64Key: key(seed: 3, count: 44),
             expiry: 1_700_000_123, policy: "iothubowner"),
        Case(hub: "fleet.azure-devices.net", deviceID: "plant-7.line_3-*$!'", base64Key: key(seed: 99, count: 33),
             expiry: 4_102_444_800, policy: "device.policy_1-x"),
    ]

    /// Group key, device ID: DPS derivation inputs.
    private static let derivations: [(String, String)] = [
        (key(seed: 5, count: 64), "sn-007-888-abc-mac-a1-b2-c3-d4-e5-f6"),
        (key(seed: 11, count: 32), "dev:1@site#2 (x)"),
        (key(seed: 17, count: 16), "Gerät-ü"),
    ]

    /// Deterministic key bytes, base64 as Azure shows keys.
    private static func key(seed: UInt8, count: Int) -> String {
        Data((0..<count).map { seed &+ UInt8(truncatingIfNeeded: $0 &* 37) }).base64EncodedString()
    }

    private static let script = #"""
    import json, sys
    from unittest import mock
    from azure.iot.device.common.auth import sastoken, signing_mechanism
    from azure.iot.device.iothub.abstract_clients import _form_sas_uri
    request = json.load(sys.stdin)
    tokens = []
    for case in request["tokens"]:
        uri = _form_sas_uri(hostname=case["hub"], device_id=case["device"])
        signer = signing_mechanism.SymmetricKeySigningMechanism(case["key"])
        with mock.patch("time.time", return_value=case["expiry"] - 3600):
            tokens.append(str(sastoken.RenewableSasToken(uri, signer, key_name=case["policy"], ttl=3600)))
    derived = [signing_mechanism.SymmetricKeySigningMechanism(group).sign(device) for group, device in request["derive"]]
    json.dump({"tokens": tokens, "derived": derived}, sys.stdout)
    """#

    private struct SDKAnswer: Decodable {
        let tokens: [String]
        let derived: [String]
    }

    private func runSDK() throws -> SDKAnswer {
        let request: [String: Any] = [
            "tokens": Self.cases.map { case_ -> [String: Any] in
                ["hub": case_.hub, "device": case_.deviceID, "key": case_.base64Key, "expiry": case_.expiry,
                 "policy": case_.policy as Any? ?? NSNull()]
            },
            "derive": Self.derivations.map { [$0.0, $0.1] },
        ]
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", "-c", Self.script]
        let input = Pipe(), output = Pipe(), errors = Pipe()
        process.standardInput = input
        process.standardOutput = output
        process.standardError = errors
        let install = "install it with `pip install azure-iot-device==2.14.0` (bash .ci/run does)"
        do {
            try process.run()
        } catch {
            XCTFail("python3 could not be started (\(error)); install Python 3, then \(install)")
            throw error
        }
        input.fileHandleForWriting.write(try JSONSerialization.data(withJSONObject: request))
        try input.fileHandleForWriting.close()
        let answer = output.fileHandleForReading.readDataToEndOfFile()
        let stderr = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            let missing = stderr.contains("No module named 'azure")
            XCTFail(missing ? "Microsoft's azure-iot-device SDK is missing: \(install)"
                            : "the SDK script failed (\(process.terminationStatus)): \(stderr)")
            throw CocoaError(.executableLoad)
        }
        return try JSONDecoder().decode(SDKAnswer.self, from: answer)
    }

    func testTokensMatchTheAzureIoTDeviceSDKByteForByte() throws {
        let sdk = try runSDK()
        XCTAssertEqual(sdk.tokens.count, Self.cases.count)
        for (case_, expected) in zip(Self.cases, sdk.tokens) {
            let key = try XCTUnwrap(Data(base64Encoded: case_.base64Key))
            let ours = IoTHubDeviceCredentials.token(hub: case_.hub, deviceID: case_.deviceID, key: key,
                                                     expiry: case_.expiry, policyName: case_.policy)
            XCTAssertEqual(Array(ours.utf8), Array(expected.utf8), "\(case_.deviceID): ours \(ours), SDK \(expected)")
            // What we generate, we also read back as the lab broker does.
            let parsed = try SASToken(parsing: expected)
            XCTAssertEqual(parsed.resourceURI, IoTHubDeviceCredentials.resourceURI(hub: case_.hub, deviceID: case_.deviceID))
            XCTAssertEqual(parsed.policyName, case_.policy)
            XCTAssertTrue(parsed.isSigned(with: key))
        }
    }

    func testGroupKeyDerivationMatchesTheSDKsSigner() throws {
        let sdk = try runSDK()
        XCTAssertEqual(sdk.derived.count, Self.derivations.count)
        for ((group, device), expected) in zip(Self.derivations, sdk.derived) {
            XCTAssertEqual(GroupKeyDerivation.deviceKey(base64GroupKey: group, deviceID: device), expected, device)
        }
    }
}

/// Checks that need no SDK: the DPS documentation's own example and the username's documented form.
final class IoTHubDeviceCredentialsTests: XCTestCase {
    /// The DPS tutorial "Provision devices using symmetric key enrollment groups" (and `az iot dps
    /// enrollment-group compute-device-key`) derives this key from this group key and registration ID.
    func testGroupKeyDerivationMatchesTheDPSDocumentationExample() {
        XCTAssertEqual(
            GroupKeyDerivation.deviceKey(
                base64GroupKey: "8isrFI1sGsIlvvFSSFRiMfCNzv21fjbE/+ah/lSh3lF8e2YG1Te7w1KpZhJFFXJrqYKi9yegxkqIChbqOS9Egw==",
                deviceID: "sn-007-888-abc-mac-a1-b2-c3-d4-e5-f6"),
            "Jsm0lyGpjaVYVP2g3FnmnmG9dI/9qU24wNoykUmermc=")
        XCTAssertNil(GroupKeyDerivation.deviceKey(base64GroupKey: "not base64!", deviceID: "d"))
    }

    func testUsernameAndResourceURIAreTheDocumentedForms() {
        XCTAssertEqual(IoTHubDeviceCredentials.username(hub: "contoso.azure-devices.net", deviceID: "MyDevice01"),
                       "contoso.azure-devices.net/MyDevice01/?api-version=2021-04-12")
        XCTAssertEqual(IoTHubDeviceCredentials.resourceURI(hub: "contoso.azure-devices.net", deviceID: "MyDevice01"),
                       "contoso.azure-devices.net/devices/MyDevice01")
    }
}
