import AzureCredentials
import Foundation
import LabBroker
import MQTTCore
import NIOCore
import XCTest

/// Three tokens made by the Azure IoT device SDK for Python (azure-iot-device 2.14.0), recorded with:
///
///     pip install azure-iot-device==2.14.0
///     python3 - <<'PY'
///     import base64
///     from unittest import mock
///     from azure.iot.device.common.auth import sastoken, signing_mechanism
///     for uri, key, expiry, policy in [
///         ("lab.azure-devices.net/devices/XiaoTandHandCO2A", base64.b64encode(bytes(range(32))).decode(), 1767225600, None),
///         ("Lab.Azure-Devices.net/devices/dev:1@site#2 (x)", base64.b64encode(bytes(range(255, 191, -1))).decode(), 2000000000, None),
///         ("contoso.azure-devices.net/devices/MyDevice01", base64.b64encode(b"\xfb\xff\xfe" * 11).decode(), 1456481802, "iothubowner"),
///     ]:
///         with mock.patch("time.time", return_value=expiry - 3600):
///             print(sastoken.RenewableSasToken(uri, signing_mechanism.SymmetricKeySigningMechanism(key), key_name=policy, ttl=3600))
///     PY
enum PythonSDKVectors {
    struct Vector {
        let resourceURI: String
        let base64Key: String
        let expiry: Int
        let policyName: String?
        let token: String
    }

    static let all = [
        Vector(resourceURI: "lab.azure-devices.net/devices/XiaoTandHandCO2A",
               base64Key: "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=", expiry: 1767225600, policyName: nil,
               token: "SharedAccessSignature sr=lab.azure-devices.net%2Fdevices%2FXiaoTandHandCO2A&sig=5s7VmrSNGEECf1hl%2Bu79ANUBE%2BACIvuPav4aEHl3%2FtE%3D&se=1767225600"),
        Vector(resourceURI: "Lab.Azure-Devices.net/devices/dev:1@site#2 (x)",
               base64Key: "//79/Pv6+fj39vX08/Lx8O/u7ezr6uno5+bl5OPi4eDf3t3c29rZ2NfW1dTT0tHQz87NzMvKycjHxsXEw8LBwA==",
               expiry: 2000000000, policyName: nil,
               token: "SharedAccessSignature sr=Lab.Azure-Devices.net%2Fdevices%2Fdev%3A1%40site%232%20%28x%29&sig=13OVwdxwOh0mS5kFVszpiwpsTN%2B%2FVwZDvFjEl3PG1aM%3D&se=2000000000"),
        Vector(resourceURI: "contoso.azure-devices.net/devices/MyDevice01",
               base64Key: "+//++//++//++//++//++//++//++//++//++//++//+", expiry: 1456481802, policyName: "iothubowner",
               token: "SharedAccessSignature sr=contoso.azure-devices.net%2Fdevices%2FMyDevice01&sig=TpPk1J%2BlDX7j5j3AfSK18JaRZIc5zNSh9vESeVUPl9o%3D&se=1456481802&skn=iothubowner"),
    ]
}

final class AuthenticatorSASTokenTests: XCTestCase {
    func testGenerateEqualsThePythonSDKByteForByte() throws {
        for vector in PythonSDKVectors.all {
            let key = try XCTUnwrap(Data(base64Encoded: vector.base64Key))
            XCTAssertEqual(SASToken.generate(resourceURI: vector.resourceURI, key: key, expiry: vector.expiry,
                                             policyName: vector.policyName), vector.token)
            XCTAssertEqual(SASToken.generate(resourceURI: vector.resourceURI, base64Key: vector.base64Key,
                                             expiry: vector.expiry, policyName: vector.policyName), vector.token)
        }
    }

    func testParseReadsThePythonSDKTokens() throws {
        for vector in PythonSDKVectors.all {
            let token = try SASToken(parsing: vector.token)
            XCTAssertEqual(token.resourceURI, vector.resourceURI)
            XCTAssertEqual(token.expiry, vector.expiry)
            XCTAssertEqual(token.policyName, vector.policyName)
            XCTAssertEqual(token.signature.count, 32)
            XCTAssertTrue(token.isSigned(with: try XCTUnwrap(Data(base64Encoded: vector.base64Key))))
            XCTAssertFalse(token.isSigned(with: Data(repeating: 7, count: 32)))
        }
    }

    func testFieldsInAnyOrderAndTheSeedsForm() throws {
        // Seed 002's order: sig, se, sr.
        let token = try SASToken(parsing: "SharedAccessSignature sig=AAAA&se=1456481802&sr=contoso.azure-devices.net%2Fdevices%2FMyDevice01")
        XCTAssertEqual(token.resourceURI, "contoso.azure-devices.net/devices/MyDevice01")
        XCTAssertEqual(token.encodedResourceURI, "contoso.azure-devices.net%2Fdevices%2FMyDevice01")
        XCTAssertEqual(token.signature, [0, 0, 0])
        XCTAssertNil(token.policyName)
    }

    func testMalformedTokens() {
        let cases: [(String, SASToken.ParseError)] = [
            ("sr=a&sig=AAAA&se=1", .notASharedAccessSignature),
            ("SharedAccessSignature sig=AAAA&se=1", .missingField("sr")),
            ("SharedAccessSignature sr=a&se=1", .missingField("sig")),
            ("SharedAccessSignature sr=a&sig=AAAA", .missingField("se")),
            ("SharedAccessSignature sr=a&sr=b&sig=AAAA&se=1", .duplicateField("sr")),
            ("SharedAccessSignature sr=a%2&sig=AAAA&se=1", .badPercentEncoding(field: "sr")),
            ("SharedAccessSignature sr=a%C3%28&sig=AAAA&se=1", .badPercentEncoding(field: "sr")),
            ("SharedAccessSignature sr=a&sig=AAAA&se=-1", .badExpiry("-1")),
            ("SharedAccessSignature sr=a&sig=AAAA&se=1e9", .badExpiry("1e9")),
            ("SharedAccessSignature sr=a&sig=AAAA&se=99999999999999999999999", .badExpiry("99999999999999999999999")),
            ("SharedAccessSignature sr=a&sig=not*base64&se=1", .badSignature),
            ("SharedAccessSignature sr=a&sig=&se=1", .badSignature),
        ]
        for (text, expected) in cases {
            XCTAssertThrowsError(try SASToken(parsing: text), text) { error in
                XCTAssertEqual(error as? SASToken.ParseError, expected, text)
            }
        }
    }

    func testPercentEncodingMatchesPythonQuoteSafeEmpty() {
        XCTAssertEqual(SASToken.percentEncode("aZ09-._~ /+=&?%ü"), "aZ09-._~%20%2F%2B%3D%26%3F%25%C3%BC")
    }
}

final class AuthenticatorTests: XCTestCase {
    private let now = Date(timeIntervalSince1970: 1_800_000_000)
    private let deviceKey = Data((0..<32).map { UInt8($0 * 7 & 0xFF) })
    private let otherKey = Data((0..<32).map { UInt8(255 - $0) })
    private var hub: IoTHubRules {
        IoTHubRules(hostName: "lab.azure-devices.net",
                    deviceKeys: ["sensor-1": deviceKey.base64EncodedString(), "sensor-2": otherKey.base64EncodedString()])
    }

    private func connect(clientID: String, username: String? = nil, password: String? = nil) -> ConnectPacket {
        ConnectPacket(clientIdentifier: clientID, username: username,
                      password: password.map { ByteBuffer(string: $0) })
    }

    private func reason(_ outcome: Authenticator.Outcome) -> ReasonCode? {
        if case .refused(let code, _) = outcome { return code }
        return nil
    }

    // MARK: anonymous

    func testAnonymousNamesTheClientByUsernameElseClientID() {
        let auth = Authenticator(rule: .anonymous, iotHub: nil)
        XCTAssertEqual(auth.authenticate(connect(clientID: "c1", username: "alice"), certificateCommonName: nil, now: now),
                       .accepted(ClientIdentity(clientID: "c1", authenticationName: "alice")))
        XCTAssertEqual(auth.authenticate(connect(clientID: "c1"), certificateCommonName: "ignored", now: now),
                       .accepted(ClientIdentity(clientID: "c1", authenticationName: "c1")))
    }

    // MARK: certificate CN (Event Grid)

    func testCertificateCommonNameIsTheAuthenticationName() {
        let auth = Authenticator(rule: .certificateCommonName(usernameMustMatch: true), iotHub: nil)
        let expected = Authenticator.Outcome.accepted(ClientIdentity(clientID: "session-9", authenticationName: "XiaoTandHandCO2A"))
        XCTAssertEqual(auth.authenticate(connect(clientID: "session-9"), certificateCommonName: "XiaoTandHandCO2A", now: now), expected)
        XCTAssertEqual(auth.authenticate(connect(clientID: "session-9", username: "XiaoTandHandCO2A"),
                                         certificateCommonName: "XiaoTandHandCO2A", now: now), expected)
        XCTAssertEqual(auth.authenticate(connect(clientID: "session-9", username: ""),
                                         certificateCommonName: "XiaoTandHandCO2A", now: now), expected)
    }

    func testNoCertificateIsNotAuthorized() {
        let auth = Authenticator(rule: .certificateCommonName(usernameMustMatch: false), iotHub: nil)
        XCTAssertEqual(reason(auth.authenticate(connect(clientID: "c", username: "c"), certificateCommonName: nil, now: now)),
                       .notAuthorized)
        XCTAssertEqual(reason(auth.authenticate(connect(clientID: "c"), certificateCommonName: "", now: now)), .notAuthorized)
    }

    func testADifferentUsernameIsRefusedOnlyWhenItMustMatch() {
        let strict = Authenticator(rule: .certificateCommonName(usernameMustMatch: true), iotHub: nil)
        XCTAssertEqual(reason(strict.authenticate(connect(clientID: "c", username: "someone-else"),
                                                  certificateCommonName: "XiaoTandHandCO2A", now: now)),
                       .badUserNameOrPassword)
        let lax = Authenticator(rule: .certificateCommonName(usernameMustMatch: false), iotHub: nil)
        XCTAssertEqual(lax.authenticate(connect(clientID: "c", username: "someone-else"),
                                        certificateCommonName: "XiaoTandHandCO2A", now: now),
                       .accepted(ClientIdentity(clientID: "c", authenticationName: "XiaoTandHandCO2A")))
    }

    // MARK: IoT Hub

    private var iotHub: Authenticator { Authenticator(rule: .iotHub, iotHub: hub) }
    private let username = "lab.azure-devices.net/sensor-1/?api-version=2021-04-12"

    private func token(device: String = "sensor-1", host: String = "lab.azure-devices.net", key: Data? = nil,
                       expiry: Int? = nil) -> String {
        SASToken.generate(resourceURI: "\(host)/devices/\(device)", key: key ?? deviceKey,
                          expiry: expiry ?? Int(now.timeIntervalSince1970) + 3600)
    }

    func testAGoodSASTokenAuthenticatesTheDevice() {
        XCTAssertEqual(iotHub.authenticate(connect(clientID: "sensor-1", username: username, password: token()),
                                           certificateCommonName: nil, now: now),
                       .accepted(ClientIdentity(clientID: "sensor-1", authenticationName: "sensor-1")))
        // Host case does not matter, and a token expiring this very second is still good.
        XCTAssertEqual(iotHub.authenticate(connect(clientID: "sensor-1", username: "LAB.azure-devices.net/sensor-1/?api-version=2021-04-12&DeviceClientType=py",
                                                   password: token(host: "Lab.Azure-Devices.NET", expiry: Int(now.timeIntervalSince1970))),
                                           certificateCommonName: nil, now: now),
                       .accepted(ClientIdentity(clientID: "sensor-1", authenticationName: "sensor-1")))
    }

    func testRefusals() {
        let now = Int(self.now.timeIntervalSince1970)
        let cases: [(String, ConnectPacket, String?, ReasonCode, String)] = [
            ("expired", connect(clientID: "sensor-1", username: username, password: token(expiry: now - 1)), nil,
             .badUserNameOrPassword, "token expired"),
            ("wrong key", connect(clientID: "sensor-1", username: username, password: token(key: otherKey)), nil,
             .badUserNameOrPassword, "wrong signature"),
            ("another device's token", connect(clientID: "sensor-1", username: username,
                                               password: token(device: "sensor-2", key: otherKey)), nil,
             .badUserNameOrPassword, "token is for"),
            ("another hub's token", connect(clientID: "sensor-1", username: username,
                                            password: token(host: "other.azure-devices.net")), nil,
             .badUserNameOrPassword, "token is for"),
            ("unknown device", connect(clientID: "ghost", username: "lab.azure-devices.net/ghost/?api-version=2021-04-12",
                                       password: token(device: "ghost")), nil,
             .badUserNameOrPassword, "unknown device"),
            ("malformed token", connect(clientID: "sensor-1", username: username, password: "hunter2"), nil,
             .badUserNameOrPassword, "malformed SAS token"),
            ("no username", connect(clientID: "sensor-1", password: token()), nil, .badUserNameOrPassword, "no username"),
            ("other hub in username", connect(clientID: "sensor-1", username: "other.azure-devices.net/sensor-1/?api-version=1",
                                              password: token()), nil, .badUserNameOrPassword, "does not start with"),
            ("username names another device", connect(clientID: "sensor-1",
                                                      username: "lab.azure-devices.net/sensor-2/?api-version=1",
                                                      password: token()), nil, .badUserNameOrPassword, "names device"),
            ("no api-version", connect(clientID: "sensor-1", username: "lab.azure-devices.net/sensor-1/", password: token()),
             nil, .badUserNameOrPassword, "no api-version"),
            ("empty api-version", connect(clientID: "sensor-1", username: "lab.azure-devices.net/sensor-1/?api-version=",
                                          password: token()), nil, .badUserNameOrPassword, "no api-version"),
            ("no credentials", connect(clientID: "sensor-1", username: username), nil,
             .badUserNameOrPassword, "neither"),
            ("certificate of another device", connect(clientID: "sensor-1", username: username), "sensor-2",
             .notAuthorized, "is not the device ID"),
        ]
        for (name, packet, commonName, code, why) in cases {
            let outcome = iotHub.authenticate(packet, certificateCommonName: commonName, now: self.now)
            guard case .refused(let actual, let message) = outcome else {
                XCTFail("\(name): accepted")
                continue
            }
            XCTAssertEqual(actual, code, name)
            XCTAssertTrue(message.contains(why), "\(name): \(message)")
        }
    }

    func testTheSeedsUsernameWithoutQuestionMarkIsAccepted() {
        // Seed 002: "{iothubhostname}/{device_id}/api-version=2016-11-14".
        XCTAssertEqual(iotHub.authenticate(connect(clientID: "sensor-1", username: "lab.azure-devices.net/sensor-1/api-version=2016-11-14",
                                                   password: token()), certificateCommonName: nil, now: now),
                       .accepted(ClientIdentity(clientID: "sensor-1", authenticationName: "sensor-1")))
    }

    func testACertificateWhoseCNIsTheDeviceIDNeedsNoPassword() {
        XCTAssertEqual(iotHub.authenticate(connect(clientID: "cert-only", username: "lab.azure-devices.net/cert-only/?api-version=2021-04-12"),
                                           certificateCommonName: "cert-only", now: now),
                       .accepted(ClientIdentity(clientID: "cert-only", authenticationName: "cert-only")))
    }

    func testThePythonSDKVectorVerifiesAgainstItsHub() throws {
        let vector = PythonSDKVectors.all[0]
        let auth = Authenticator(rule: .iotHub, iotHub: IoTHubRules(hostName: "lab.azure-devices.net",
                                                                     deviceKeys: ["XiaoTandHandCO2A": vector.base64Key]))
        let packet = connect(clientID: "XiaoTandHandCO2A", username: "lab.azure-devices.net/XiaoTandHandCO2A/?api-version=2021-04-12",
                             password: vector.token)
        XCTAssertEqual(auth.authenticate(packet, certificateCommonName: nil, now: Date(timeIntervalSince1970: 1767225600)),
                       .accepted(ClientIdentity(clientID: "XiaoTandHandCO2A", authenticationName: "XiaoTandHandCO2A")))
        XCTAssertEqual(reason(auth.authenticate(packet, certificateCommonName: nil, now: Date(timeIntervalSince1970: 1767225601))),
                       .badUserNameOrPassword)
    }
}
