import AzureCredentials
import Foundation
import MQTTCore
import NIOCore
import XCTest

@testable import LabBroker

// Helpers for the ProfileRule*Tests: every one of them loads a built-in profile exactly as shipped and
// drives the engine (`EngineHarness`) or the server with it, so that a changed YAML value fails a test.

/// A built-in profile as `lab:<name>` ships it.
func shippedProfile(_ name: String) throws -> BrokerProfile {
    try ProfileLoader.builtIn(named: name)
}

/// The facts of a TLS connection that presented a client certificate with subject CN `commonName`
/// (nil: no certificate).
func tlsFacts(commonName: String?, transport: ConnectionFacts.Transport = .tls) -> ConnectionFacts {
    ConnectionFacts(transport: transport, certificateCommonName: commonName, remoteAddress: "127.0.0.1:50000")
}

/// The client certificate a test connection presents.
enum TestCertificate {
    /// One whose subject CN is the client ID.
    case clientID
    case commonName(String)
    /// None (server-only TLS, or a plain transport).
    case none

    func commonName(for clientID: String) -> String? {
        switch self {
        case .clientID: return clientID
        case .commonName(let name): return name
        case .none: return nil
        }
    }
}

extension EngineHarness {
    /// CONNECT as a device presenting `certificate`. Keep alive defaults to 0 so that long virtual waits
    /// do not end the connection on their own.
    func connectDevice(
        _ clientID: String, certificate: TestCertificate = .clientID, version: MQTTProtocolVersion = .v5_0,
        cleanStart: Bool = true, keepAlive: UInt16 = 0, username: String? = nil, password: String? = nil,
        will: Will? = nil, properties: MQTTProperties = [], transport: ConnectionFacts.Transport = .tls,
        file: StaticString = #filePath, line: UInt = #line
    ) -> (ConnectionID, ConnAckPacket) {
        let packet = ConnectPacket(
            clientIdentifier: clientID, cleanStart: cleanStart, keepAliveSeconds: keepAlive, username: username,
            password: password.map { ByteBuffer(string: $0) }, will: will, properties: properties)
        return connect(packet, version: version, facts: tlsFacts(commonName: certificate.commonName(for: clientID), transport: transport),
                       file: file, line: line)
    }

    /// As `connectDevice`, failing the test unless the CONNACK is a success.
    func connectedDevice(
        _ clientID: String, certificate: TestCertificate = .clientID, version: MQTTProtocolVersion = .v5_0,
        cleanStart: Bool = true, keepAlive: UInt16 = 0, username: String? = nil, password: String? = nil,
        will: Will? = nil, properties: MQTTProperties = [], transport: ConnectionFacts.Transport = .tls,
        file: StaticString = #filePath, line: UInt = #line
    ) -> ConnectionID {
        let (id, connack) = connectDevice(
            clientID, certificate: certificate, version: version, cleanStart: cleanStart, keepAlive: keepAlive,
            username: username, password: password, will: will, properties: properties, transport: transport,
            file: file, line: line)
        XCTAssertEqual(connack.reasonCode, .success, "CONNACK of \(clientID) (\(version))", file: file, line: line)
        XCTAssertFalse(isClosed(id), "\(clientID) was closed", file: file, line: line)
        return id
    }

    /// A CONNECT that may get no CONNACK at all (3.1.1 has no code for some refusals): everything the
    /// broker sent back, and whether it closed the connection.
    func attemptConnect(
        _ clientID: String, certificate: TestCertificate = .clientID, version: MQTTProtocolVersion,
        username: String? = nil
    ) -> (packets: [MQTTPacket], closed: Bool) {
        let id = open(tlsFacts(commonName: certificate.commonName(for: clientID)))
        send(.connect(ConnectPacket(clientIdentifier: clientID, keepAliveSeconds: 0, username: username)),
             on: id, version: version)
        return (take(id), isClosed(id))
    }

    /// A normal DISCONNECT (0x00: no will).
    func disconnect(_ id: ConnectionID) {
        send(.disconnect(DisconnectPacket()), on: id)
    }

    /// QoS 1 PUBLISH; returns everything the broker sent back to the publisher.
    func publishQoS1(_ topic: String, _ payload: ByteBuffer, packetID: UInt16 = 1, retain: Bool = false,
                     properties: MQTTProperties = [], on id: ConnectionID) -> [MQTTPacket] {
        send(.publish(PublishPacket(topic: topic, payload: payload, qos: .atLeastOnce, retain: retain,
                                    packetIdentifier: packetID, properties: properties)), on: id)
        return take(id)
    }
}

extension Array where Element == MQTTPacket {
    /// The reason codes of the PUBACKs among these packets.
    var pubackCodes: [ReasonCode] {
        compactMap { if case .puback(let ack) = $0 { ack.reasonCode } else { nil } }
    }

    var publishPackets: [PublishPacket] {
        compactMap { if case .publish(let publish) = $0 { publish } else { nil } }
    }
}

// MARK: - Assertions

/// The broker ended `id` for breaking a rule: an MQTT 5 client reads exactly one DISCONNECT with
/// `reason` and nothing else; a 3.1.1 client reads nothing at all (3.1.1 has no server DISCONNECT and
/// no negative acknowledgement), and the connection is closed.
func assertEndedByBroker(
    _ harness: EngineHarness, _ id: ConnectionID, version: MQTTProtocolVersion, reason: ReasonCode,
    file: StaticString = #filePath, line: UInt = #line
) {
    let packets = harness.take(id)
    switch version {
    case .v5_0:
        XCTAssertEqual(packets.map(\.disconnectReason), [reason], "\(packets)", file: file, line: line)
    case .v3_1_1:
        XCTAssertEqual(packets, [], "3.1.1 gets no packet before the close", file: file, line: line)
    }
    XCTAssertTrue(harness.isClosed(id), "the connection is closed", file: file, line: line)
}

/// `id` is open and answers a PINGREQ.
func assertAlive(_ harness: EngineHarness, _ id: ConnectionID, file: StaticString = #filePath, line: UInt = #line) {
    XCTAssertFalse(harness.isClosed(id), "closed", file: file, line: line)
    harness.send(.pingreq, on: id)
    XCTAssertEqual(harness.take(id), [.pingresp], file: file, line: line)
}

/// A refused CONNECT: the CONNACK carries `reason` (MQTT 5) or the 3.1.1 return code `returnCode`, and
/// the connection is closed.
func assertRefused(
    _ harness: EngineHarness, _ result: (ConnectionID, ConnAckPacket), version: MQTTProtocolVersion,
    reason: ReasonCode, returnCode: ConnectReturnCode, file: StaticString = #filePath, line: UInt = #line
) {
    let (id, connack) = result
    switch version {
    case .v5_0: XCTAssertEqual(connack.reasonCode, reason, file: file, line: line)
    case .v3_1_1: XCTAssertEqual(connack.connectReturnCode, returnCode, file: file, line: line)
    }
    XCTAssertTrue(harness.isClosed(id), "a refused connection is closed", file: file, line: line)
}

// MARK: - Packets

/// A PUBLISH whose encoded size, fixed header included, is exactly `size` bytes in `version`.
func publishOfSize(_ size: Int, topic: String, qos: QoS = .atLeastOnce, packetID: UInt16 = 1,
                   version: MQTTProtocolVersion) -> PublishPacket {
    var packet = PublishPacket(topic: topic, payload: ByteBuffer(), qos: qos,
                               packetIdentifier: qos == .atMostOnce ? nil : packetID)
    var payloadBytes = max(0, size - MQTTPacket.publish(packet).encodedSize(version: version))
    // The remaining length's own size grows with the payload: step back until the total fits.
    while true {
        packet.payload = ByteBuffer(repeating: UInt8(ascii: "x"), count: payloadBytes)
        let total = MQTTPacket.publish(packet).encodedSize(version: version)
        if total <= size || payloadBytes == 0 { break }
        payloadBytes -= total - size
    }
    return packet
}

func encodedSize(_ packet: PublishPacket, _ version: MQTTProtocolVersion) -> Int {
    MQTTPacket.publish(packet).encodedSize(version: version)
}

let bothVersions: [MQTTProtocolVersion] = [.v3_1_1, .v5_0]

// MARK: - IoT Hub credentials

/// The lab hub of `iothub.yaml` and device keys for tests (the shipped profile has none: "device keys are
/// added by whoever starts the broker").
enum LabHub {
    static let hostName = "lab.azure-devices.net"

    /// A fixed base64 device key per device ID.
    static func key(of deviceID: String) -> String {
        Data("lab-device-key-\(deviceID)-0123456789abcdef".utf8).base64EncodedString()
    }

    /// The shipped `iothub` profile with keys for `devices` added.
    static func profile(devices: [String]) throws -> BrokerProfile {
        var profile = try shippedProfile("iothub")
        for device in devices { profile.iotHub?.deviceKeys[device] = key(of: device) }
        return profile
    }

    static func username(_ deviceID: String, hostName: String = LabHub.hostName) -> String {
        "\(hostName)/\(deviceID)/?api-version=2021-04-12"
    }

    /// A SAS token for `resourceDevice` on `hostName`, signed with `keyOf`'s key, expiring `expiresIn`
    /// seconds from now (wall clock: the engine checks expiry against its wall clock).
    static func token(for resourceDevice: String, signedWithKeyOf keyOf: String? = nil, expiresIn: TimeInterval = 3600,
                      hostName: String = LabHub.hostName) -> String {
        let expiry = Int(Date().timeIntervalSince1970 + expiresIn)
        return SASToken.generate(resourceURI: "\(hostName)/devices/\(resourceDevice)",
                                 base64Key: key(of: keyOf ?? resourceDevice), expiry: expiry) ?? ""
    }
}

extension EngineHarness {
    /// CONNECT (3.1.1, TLS unless told otherwise) as IoT Hub device `deviceID` with `username` and
    /// `password` as given.
    func connectHubDevice(
        _ deviceID: String, password: String?, username: String?, commonName: String? = nil,
        version: MQTTProtocolVersion = .v3_1_1, cleanStart: Bool = true, keepAlive: UInt16 = 0, will: Will? = nil,
        transport: ConnectionFacts.Transport = .tls, file: StaticString = #filePath, line: UInt = #line
    ) -> (ConnectionID, ConnAckPacket) {
        let packet = ConnectPacket(
            clientIdentifier: deviceID, cleanStart: cleanStart, keepAliveSeconds: keepAlive,
            username: username, password: password.map { ByteBuffer(string: $0) }, will: will)
        return connect(packet, version: version, facts: tlsFacts(commonName: commonName, transport: transport),
                       file: file, line: line)
    }

    func connectedHubDevice(
        _ deviceID: String, cleanStart: Bool = true, will: Will? = nil,
        file: StaticString = #filePath, line: UInt = #line
    ) -> ConnectionID {
        let (id, connack) = connectHubDevice(
            deviceID, password: LabHub.token(for: deviceID), username: LabHub.username(deviceID), cleanStart: cleanStart,
            will: will, file: file, line: line)
        XCTAssertEqual(connack.connectReturnCode, .accepted, "CONNACK of \(deviceID)", file: file, line: line)
        XCTAssertFalse(isClosed(id), file: file, line: line)
        return id
    }
}
