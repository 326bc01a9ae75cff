import MQTTClient
import MQTTCore
import NIOCore
import XCTest

/// Persistent sessions across connections: what a closed connection hands on, and what the next one
/// resends (DUP publishes, PUBRELs, in their first-sent order), discards or delivers once.
final class StateMachineSessionTests: XCTestCase {
    private func persistent(_ version: MQTTProtocolVersion = .v5_0) -> StateMachineHarness {
        StateMachineHarness(version: version) { configuration in
            configuration.cleanStart = false
            configuration.sessionExpiryInterval = version == .v5_0 ? 3600 : nil
        }
    }

    /// Closes the harness's connection as a reset would and returns the session it leaves.
    private func cut(_ harness: inout StateMachineHarness) throws -> MQTTClientSession {
        let action = harness.machine.channelInactive()
        guard case .reportClosed(_, let failed) = action else { throw HarnessFailure.unexpected(action) }
        XCTAssertEqual(failed, [], "a persistent session fails no publish when the connection drops")
        return try XCTUnwrap(harness.machine.sessionAfterClose)
    }

    /// A new connection of the same client, carrying `session`, activated and answered with `connAck`.
    private func resume(
        _ previous: StateMachineHarness, _ session: MQTTClientSession, _ connAck: ConnAckPacket
    ) throws -> (StateMachineHarness, Action) {
        var next = StateMachineHarness(previous.machine.configuration)
        next.machine = MQTTConnectionStateMachine(configuration: previous.machine.configuration, session: session)
        _ = next.machine.channelActive(now: next.now)
        let action = try next.receive(.connack(connAck))
        return (next, action)
    }

    enum HarnessFailure: Error { case unexpected(Action) }

    func testInFlightPublishesAreResentWithDupInTheirOrderWhenTheSessionIsPresent() throws {
        var harness = persistent()
        try harness.connect()
        let (first, _) = try harness.publish("t/1", "one", qos: .atLeastOnce)
        let (second, _) = try harness.publish("t/2", "two", qos: .exactlyOnce)
        let (third, _) = try harness.publish("t/3", "three", qos: .exactlyOnce)
        // The second one got as far as PUBREC: only its PUBREL is owed.
        _ = try harness.receive(.pubrec(PublishAckPacket(packetIdentifier: 2)))
        let session = try cut(&harness)
        XCTAssertEqual(session.pendingPublishCount, 3)
        XCTAssertEqual(session.pendingRequests, [first, second, third].compactMap { $0 })

        var (next, action) = try resume(harness, session, ConnAckPacket(sessionPresent: true))
        guard case .resumed(_, _, let resend, let abandoned) = action else { return XCTFail("\(action)") }
        XCTAssertEqual(abandoned, [])
        XCTAssertEqual(resend.count, 3)
        guard case .publish(let one) = resend[0], case .pubrel(let release) = resend[1],
              case .publish(let three) = resend[2]
        else { return XCTFail("\(resend)") }
        XCTAssertEqual([one.packetIdentifier, release.packetIdentifier, three.packetIdentifier], [1, 2, 3])
        XCTAssertTrue(one.dup && three.dup)
        XCTAssertEqual(String(buffer: one.payload), "one")
        XCTAssertEqual(next.machine.publishesInFlight, 3)

        // Completions on the new connection name the requests made on the old one.
        XCTAssertEqual(
            try next.receive(.puback(PublishAckPacket(packetIdentifier: 1))),
            .completeRequest(try XCTUnwrap(first), .success(.published(.success)), thenWrite: nil))
        XCTAssertEqual(
            try next.receive(.pubcomp(PublishAckPacket(packetIdentifier: 2))),
            .completeRequest(try XCTUnwrap(second), .success(.published(.success)), thenWrite: nil))
        // A fresh request does not reuse an identifier still owed, nor a request number.
        let (fourth, fourthAction) = try next.publish("t/4", qos: .atLeastOnce)
        XCTAssertEqual(writtenPublish(fourthAction)?.packetIdentifier, 4)
        XCTAssertGreaterThan(try XCTUnwrap(fourth).rawValue, try XCTUnwrap(third).rawValue)
    }

    func testASessionNotPresentAbandonsWhatWasInFlightAndSendsWhatWasNeverSent() throws {
        var harness = persistent()
        try harness.connect(ConnAckPacket(properties: [.receiveMaximum(1)]))
        let (sent, _) = try harness.publish("t/1", qos: .atLeastOnce)
        let (held, heldAction) = try harness.publish("t/2", qos: .atLeastOnce)
        XCTAssertEqual(heldAction, .none, "held back by Receive Maximum 1")
        let session = try cut(&harness)

        let (next, action) = try resume(harness, session, ConnAckPacket(sessionPresent: false))
        guard case .resumed(_, _, let resend, let abandoned) = action else { return XCTFail("\(action)") }
        XCTAssertEqual(abandoned, [try XCTUnwrap(sent)])
        XCTAssertEqual(resend.count, 1)
        guard case .publish(let fresh) = resend.first else { return XCTFail("\(resend)") }
        XCTAssertFalse(fresh.dup, "never sent before, so not a duplicate")
        XCTAssertEqual(fresh.topic, "t/2")
        XCTAssertEqual(next.machine.publishesInFlight, 1)
        _ = held
    }

    func testResendsRespectTheNewReceiveMaximum() throws {
        var harness = persistent()
        try harness.connect()
        for index in 1...3 { _ = try harness.publish("t/\(index)", qos: .atLeastOnce) }
        let session = try cut(&harness)

        var (next, action) = try resume(
            harness, session, ConnAckPacket(sessionPresent: true, properties: [.receiveMaximum(2)]))
        guard case .resumed(_, _, let resend, _) = action else { return XCTFail("\(action)") }
        XCTAssertEqual(resend.count, 2)
        XCTAssertEqual(next.machine.publishesInFlight, 2)
        // The third goes out, still as a duplicate with its old identifier, once a slot frees.
        let completed = try next.receive(.puback(PublishAckPacket(packetIdentifier: 1)))
        guard case .completeRequest(_, _, thenWrite: .publish(let third)?) = completed else {
            return XCTFail("\(completed)")
        }
        XCTAssertEqual(third.packetIdentifier, 3)
        XCTAssertTrue(third.dup)
        XCTAssertEqual(next.machine.publishesInFlight, 2)
    }

    func testAResentQoS2PublishFromTheServerIsNotDeliveredTwice() throws {
        var harness = persistent(.v3_1_1)
        try harness.connect()
        let inbound = PublishPacket(topic: "cmd", payload: ByteBuffer(string: "go"), qos: .exactlyOnce, packetIdentifier: 7)
        guard case .deliver = try harness.receive(.publish(inbound)) else { return XCTFail("first delivery") }
        let session = try cut(&harness)

        var (next, _) = try resume(harness, session, ConnAckPacket(sessionPresent: true))
        var again = inbound
        again.dup = true
        XCTAssertEqual(try next.receive(.publish(again)), .write(.pubrec(PublishAckPacket(packetIdentifier: 7))))
        XCTAssertEqual(try next.receive(.pubrel(PublishAckPacket(packetIdentifier: 7))),
                       .write(.pubcomp(PublishAckPacket(packetIdentifier: 7))))
    }

    func testACleanSessionKeepsNothingAndFailsWhatWasPending() throws {
        var harness = StateMachineHarness()
        try harness.connect()
        let (request, _) = try harness.publish("t/1", qos: .atLeastOnce)
        let action = harness.machine.channelInactive()
        guard case .reportClosed(_, let failed) = action else { return XCTFail("\(action)") }
        XCTAssertEqual(failed, [try XCTUnwrap(request)])
        XCTAssertNil(harness.machine.sessionAfterClose)
    }

    func testAnMQTT5SessionWithoutExpiryEndsWithTheConnectionEvenWithCleanStartOff() throws {
        var harness = StateMachineHarness { $0.cleanStart = false }
        try harness.connect()
        _ = try harness.publish("t/1", qos: .atLeastOnce)
        _ = harness.machine.channelInactive()
        XCTAssertNil(harness.machine.sessionAfterClose, "Session Expiry Interval 0: nothing outlives the connection")
    }

    func testAConnectionThatNeverGotItsConnAckHandsTheSessionOnUntouched() throws {
        var harness = persistent()
        try harness.connect()
        _ = try harness.publish("t/1", qos: .atLeastOnce)
        let session = try cut(&harness)

        var attempt = StateMachineHarness(harness.machine.configuration)
        attempt.machine = MQTTConnectionStateMachine(configuration: harness.machine.configuration, session: session)
        _ = attempt.machine.channelActive(now: attempt.now)
        _ = attempt.machine.channelInactive()
        XCTAssertEqual(attempt.machine.sessionAfterClose?.pendingRequests, session.pendingRequests)
    }
}
