import MQTTCore
import NIOCore
import XCTest

final class ReasonCodeTests: XCTestCase {
    func testNamesFollowTheSpecification() {
        XCTAssertEqual(ReasonCode.notAuthorized.name, "Not authorized")
        XCTAssertEqual(ReasonCode.badUserNameOrPassword.name, "Bad User Name or Password")
        XCTAssertEqual(ReasonCode.sessionTakenOver.name, "Session taken over")
        XCTAssertEqual(ReasonCode.keepAliveTimeout.name, "Keep Alive timeout")
        XCTAssertEqual(ReasonCode.packetTooLarge.name, "Packet too large")
        XCTAssertEqual(ReasonCode.disconnectWithWillMessage.name, "Disconnect with Will Message")
        XCTAssertEqual(ReasonCode.wildcardSubscriptionsNotSupported.name, "Wildcard Subscriptions not supported")
        XCTAssertEqual(ReasonCode.normalDisconnection.name(in: .disconnect), "Normal disconnection")
        XCTAssertEqual(ReasonCode.grantedQoS0.name(in: .suback), "Granted QoS 0")
        XCTAssertEqual(ReasonCode.success.name(in: .puback), "Success")
        XCTAssertEqual(ReasonCode.notAuthorized.description, "Not authorized (0x87)")
    }

    func testEveryKnownCodeHasADistinctName() {
        XCTAssertEqual(ReasonCode.allKnown.count, 43)
        XCTAssertEqual(Set(ReasonCode.allKnown.map(\.rawValue)).count, 43)
        XCTAssertEqual(Set(ReasonCode.allKnown.map(\.name)).count, 43)
        XCTAssertTrue(ReasonCode.allKnown.allSatisfy(\.isKnown))
        XCTAssertFalse(ReasonCode.allKnown.contains { $0.name.hasPrefix("unknown") })
    }

    func testFailureIsAtOrAbove0x80() {
        XCTAssertFalse(ReasonCode.success.isFailure)
        XCTAssertFalse(ReasonCode.grantedQoS2.isFailure)
        XCTAssertFalse(ReasonCode.reAuthenticate.isFailure)
        XCTAssertTrue(ReasonCode.unspecifiedError.isFailure)
        XCTAssertTrue(ReasonCode.quotaExceeded.isFailure)
        XCTAssertTrue(ReasonCode(rawValue: 0xFF).isFailure)
    }

    func testUnknownCodesAreKeptAndPrintedAsSuch() throws {
        let unknown = ReasonCode(rawValue: 0xAB)
        XCTAssertFalse(unknown.isKnown)
        XCTAssertEqual(unknown.name, "unknown(0xAB)")
        XCTAssertEqual(unknown.description, "unknown(0xAB)")
        XCTAssertEqual(ReasonCode(rawValue: 0x03).description, "unknown(0x03)")
        // Received from a peer, it survives decoding and re-encoding byte for byte.
        let bytes: [UInt8] = [0x40, 0x03, 0x00, 0x01, 0xAB]
        let packet = try decode(bytes, .v5_0)
        XCTAssertEqual(packet, .puback(PublishAckPacket(packetIdentifier: 1, reasonCode: unknown)))
        XCTAssertEqual(try encode(packet, .v5_0).bytes, bytes)
        let suback = try decode([0x90, 0x05, 0x00, 0x01, 0x00, 0x00, 0x03], .v5_0)
        XCTAssertEqual(suback, .suback(SubAckPacket(packetIdentifier: 1, reasonCodes: [.grantedQoS0, ReasonCode(rawValue: 3)])))
    }

    func testConnectReturnCodeMapping() {
        let mapping: [(UInt8, ConnectReturnCode, ReasonCode)] = [
            (0, .accepted, .success), (1, .unacceptableProtocolVersion, .unsupportedProtocolVersion),
            (2, .identifierRejected, .clientIdentifierNotValid), (3, .serverUnavailable, .serverUnavailable),
            (4, .badUserNameOrPassword, .badUserNameOrPassword), (5, .notAuthorized, .notAuthorized),
        ]
        for (raw, code, reason) in mapping {
            XCTAssertEqual(ConnectReturnCode(rawValue: raw), code)
            XCTAssertEqual(code.rawValue, raw)
            XCTAssertEqual(code.reasonCode, reason)
            XCTAssertEqual(ConnectReturnCode(reason), code)
        }
        XCTAssertEqual(ConnectReturnCode(rawValue: 9), .unknown(9))
        XCTAssertEqual(ConnectReturnCode(rawValue: 9).reasonCode.rawValue, 9)
        XCTAssertEqual(ConnectReturnCode(.quotaExceeded), .unknown(0x97))
    }

    func testUnknown311ReturnCodeIsKeptThroughDecodeAndEncode() throws {
        let bytes: [UInt8] = [0x20, 0x02, 0x00, 0x09]
        let packet = try decode(bytes, .v3_1_1)
        guard case .connack(let connack) = packet else { return XCTFail("\(packet)") }
        XCTAssertEqual(connack.connectReturnCode, .unknown(9))
        XCTAssertEqual(try encode(packet, .v3_1_1).bytes, bytes)
    }
}
