import Foundation
import Scenario
import XCTest

/// `credentials: { sas: … }` and the `sas-fault` step: every key source, the defaults, each device's resolved
/// credentials, and the loader's errors (which never quote a key).
final class SASCredentialsParsingTests: XCTestCase {
    private static let groupKey = "8isrFI1sGsIlvvFSSFRiMfCNzv21fjbE/+ah/lSh3lF8e2YG1Te7w1KpZhJFFXJrqYKi9yegxkqIChbqOS9Egw=="

    /// Three IoT Hub devices `hub-1…3` on `broker` with `sas` (a flow mapping) as their credentials; line 8 is
    /// the credentials line, line 11 the first of `steps`.
    private func sasScenario(_ sas: String, broker: String = "lab:iothub", steps: [String] = []) -> String {
        var lines = [
            "name: sas",
            "broker: \(broker)",
            "groups:",
            "  - name: meters",
            "    count: 3",
            "    client-id: \"hub-{index}\"",
            "    personality: esp-mqtt",
            "    credentials: { sas: \(sas) }",
            "timeline:",
            "  - { at: 0s, ramp: { over: 1s } }",
        ]
        lines += steps.map { "  - " + $0 }
        return lines.joined(separator: "\n") + "\n"
    }

    private func sas(_ device: DevicePlan, file: StaticString = #filePath, line: UInt = #line) throws -> DeviceSAS {
        guard case .sas(let sas) = device.credentials else {
            XCTFail("not SAS credentials: \(device.credentials)", file: file, line: line)
            throw CancellationError()
        }
        return sas
    }

    func testAGroupKeyDerivesEachDevicesKeyWithTheDocumentedDefaults() throws {
        let plan = try loadPlan(sasScenario("{ group-key: \"\(Self.groupKey)\" }"))
        let devices = plan.devices()
        let first = try sas(devices[0])
        XCTAssertEqual(first.hub, "lab.azure-devices.net")
        XCTAssertEqual(first.username, "lab.azure-devices.net/hub-1/?api-version=2021-04-12")
        XCTAssertEqual(first.lifetime, .seconds(3600))
        XCTAssertEqual(first.renewBefore, .seconds(120))
        XCTAssertNil(first.policyName)
        XCTAssertEqual(first.sibling, "hub-2")
        XCTAssertEqual(try sas(devices[2]).sibling, "hub-1", "the last device's sibling wraps to the first")
        // DPS: base64(HMAC-SHA256(group key, device ID)).
        let keys = try devices.map { try sas($0).signingKey.base64 }
        XCTAssertEqual(Set(keys).count, 3, "each device has its own derived key")
        XCTAssertEqual(try sas(devices[1]).siblingKey, try sas(devices[2]).signingKey)
        // A token for the device, valid for its lifetime from the connect.
        XCTAssertTrue(first.token(now: 1_000).hasPrefix("SharedAccessSignature sr=lab.azure-devices.net%2Fdevices%2Fhub-1&sig="))
        XCTAssertTrue(first.token(now: 1_000).hasSuffix("&se=4600"))
    }

    func testAPolicyHubLifetimeAndUsernameAreTaken() throws {
        let plan = try loadPlan(sasScenario(
            #"{ policy: { name: iothubowner, key: "AAECAwQ=" }, hub: contoso.azure-devices.net, lifetime: 20s, renew-before: 5s, username: "contoso.azure-devices.net/{clientId}/?api-version=2021-04-12&model=x" }"#))
        let device = try sas(plan.devices()[1])
        XCTAssertEqual(device.policyName, "iothubowner")
        XCTAssertEqual(device.signingKey.base64, "AAECAwQ=")
        XCTAssertEqual(device.hub, "contoso.azure-devices.net")
        XCTAssertEqual(device.username, "contoso.azure-devices.net/hub-2/?api-version=2021-04-12&model=x")
        XCTAssertEqual(device.lifetime, .seconds(20))
        XCTAssertEqual(device.renewBefore, .seconds(5))
        XCTAssertTrue(device.token(now: 0).hasSuffix("&se=20&skn=iothubowner"))
    }

    func testAnExternalBrokersHostIsTheDefaultHub() throws {
        let plan = try loadPlan(sasScenario(#"{ device-key: "AAECAwQ=" }"#, broker: "mqtts://myhub.azure-devices.net:8883"))
        XCTAssertEqual(try sas(plan.devices()[0]).hub, "myhub.azure-devices.net")
    }

    func testKeyFilesInTheThreeExportedFormats() throws {
        let folder = NSTemporaryDirectory() + "sas-keys-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let files = [
            "list.json": #"[{"deviceId":"hub-1","authentication":{"symmetricKey":{"primaryKey":"AQ==","secondaryKey":"Ag=="}}},"#
                + #"{"deviceId":"hub-2","authentication":{"symmetricKey":{"primaryKey":"Aw=="}}},"#
                + #"{"deviceId":"hub-3","authentication":{"symmetricKey":{"primaryKey":"BA=="}}}]"#,
            "devices.txt": [1, 2, 3].map { #"{"id":"hub-\#($0)","authentication":{"symmetricKey":{"primaryKey":"\#(Data([UInt8($0)]).base64EncodedString())"}}}"# }
                .joined(separator: "\n"),
            "keys.yaml": "# exported by hand\nhub-1: AQ==\nhub-2: \"Ag==\"\nhub-3: Aw==\n",
        ]
        for (name, text) in files {
            try text.write(toFile: folder + "/" + name, atomically: true, encoding: .utf8)
            let plan = try loadPlan(sasScenario("{ device-keys: \(name) }"), options: .init(baseDirectory: folder))
            let keys = try plan.devices().map { try sas($0).signingKey.bytes.first }
            XCTAssertEqual(keys.count, 3, name)
            XCTAssertEqual(keys[0], 1, name)
        }
    }

    func testAKeyFileMissingADeviceIsAnError() throws {
        let folder = NSTemporaryDirectory() + "sas-keys-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        try "hub-1: AQ==\n".write(toFile: folder + "/keys.yaml", atomically: true, encoding: .utf8)
        assertSingleError(sasScenario("{ device-keys: keys.yaml }"), line: 8, column: 18,
                          mentions: "2 devices have no key", hint: "export the keys again",
                          options: .init(baseDirectory: folder))
        assertSingleError(sasScenario("{ device-keys: missing.json }"), at: "missing.json", mentions: "cannot be read",
                          hint: "az iot hub device-identity list", options: .init(baseDirectory: folder))
    }

    func testErrorsNameTheProblemWithoutTheKey() throws {
        let notBase64 = assertSingleError(sasScenario(#"{ device-key: "sec ret!" }"#), at: "\"sec ret!\"",
                                          mentions: "`device-key` is not base64", hint: "primary key")
        XCTAssertFalse(notBase64?.description.contains("sec ret") ?? true, "a key never appears in a message")
        assertSingleError(sasScenario("{ hub: x }"), at: "{ hub", mentions: "needs the key that signs the tokens",
                          hint: "group-key")
        assertSingleError(sasScenario(#"{ device-key: "AQ==", group-key: "AQ==" }"#), at: "group-key",
                          mentions: "one key source", hint: "keep one")
        assertSingleError(sasScenario(#"{ device-key: "AQ==", lifetime: 10s }"#), at: "10s",
                          mentions: "`renew-before` 2m is not shorter than the token `lifetime` 10s", hint: "renew-before: 5s")
        assertSingleError(sasScenario(#"{ policy: { name: "my policy", key: "AQ==" } }"#), at: "\"my policy\"",
                          mentions: "characters IoT Hub does not allow", hint: "letters, digits")
        assertSingleError(sasScenario(#"{ device-key: "AQ==", lifetim: 1h }"#), at: "lifetim",
                          mentions: "unknown key `lifetim`", hint: "lifetime")
        assertSingleError(
            scenario(group: [#"credentials: { sas: { device-key: "AQ==" }, password: x }"#]), at: "password",
            mentions: "credentials take `sas` or `password`", hint: "username")
    }

    func testSASFaultSteps() throws {
        let plan = try loadPlan(sasScenario(#"{ device-key: "AQ==" }"#, steps: [
            "{ at: 2s, sas-fault: { select: [hub-2], kind: expired-token } }",
            "{ at: 3s, sas-fault: { select: 1, kind: wrong-key, for: 5s } }",
            "{ at: 4s, sas-fault: { group: meters, kind: other-device } }",
        ]))
        let faults = plan.timeline.compactMap { step -> SASFaultSpec? in
            if case .sasFault(let spec) = step.action { return spec } else { return nil }
        }
        XCTAssertEqual(faults, [
            SASFaultSpec(target: Target(selection: .ids(["hub-2"])), kind: .expiredToken),
            SASFaultSpec(target: Target(selection: .count(1)), kind: .wrongKey, duration: .seconds(5)),
            SASFaultSpec(target: Target(selection: .group("meters")), kind: .otherDevice),
        ])

        assertSingleError(sasScenario(#"{ device-key: "AQ==" }"#, steps: ["{ at: 2s, sas-fault: { kind: expired } }"]),
                          at: "expired }", mentions: "SAS fault", hint: "expired-token")
        assertSingleError(scenario(steps: ["{ at: 2s, sas-fault: { kind: wrong-key } }"]), at: "{ kind: wrong-key",
                          mentions: "does not use SAS tokens", hint: "credentials: { sas:")
    }
}

