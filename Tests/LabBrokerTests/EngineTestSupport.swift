import Foundation
import MQTTCore
import NIOCore
import XCTest

@testable import LabBroker

/// Drives a `BrokerEngine` packet by packet on virtual time: packets are encoded with MQTTCore, cut into
/// frames as the server would, and what the engine sends back is decoded again per connection.
final class EngineHarness {
    let engine: BrokerEngine
    private(set) var now = NIODeadline.uptimeNanoseconds(1_000_000_000)
    private var nextID: UInt64 = 1
    /// Decoded packets per connection, in order, not yet taken by a test.
    private var inbox: [ConnectionID: [MQTTPacket]] = [:]
    private(set) var closed: Set<ConnectionID> = []
    private var versions: [ConnectionID: MQTTProtocolVersion] = [:]
    private var actions: [BrokerAction] = []

    init(profile: BrokerProfile = BrokerProfile(), limits: BrokerEngineLimits = BrokerEngineLimits()) {
        engine = BrokerEngine(profile: profile, limits: limits)
    }

    // MARK: Connections

    func open(_ facts: ConnectionFacts = ConnectionFacts(transport: .tcp)) -> ConnectionID {
        let id = ConnectionID(nextID)
        nextID += 1
        engine.connectionOpened(id, facts: facts, now: now)
        return id
    }

    /// Opens a connection, sends `connect` and returns the connection with its CONNACK.
    func connect(_ connect: ConnectPacket, version: MQTTProtocolVersion = .v5_0,
                 facts: ConnectionFacts = ConnectionFacts(transport: .tcp),
                 file: StaticString = #filePath, line: UInt = #line) -> (ConnectionID, ConnAckPacket) {
        let id = open(facts)
        versions[id] = version
        send(.connect(connect), on: id, version: version)
        let packets = take(id)
        guard case .connack(let connack)? = packets.first else {
            XCTFail("no CONNACK in \(packets)", file: file, line: line)
            return (id, ConnAckPacket(reasonCode: .unspecifiedError))
        }
        // What follows the CONNACK (a resumed session's messages) stays for the test to take.
        if packets.count > 1 { inbox[id] = Array(packets.dropFirst()) }
        return (id, connack)
    }

    /// A connection that was accepted; fails the test otherwise.
    func connected(_ clientID: String, version: MQTTProtocolVersion = .v5_0, cleanStart: Bool = true,
                   keepAlive: UInt16 = 0, will: Will? = nil, properties: MQTTProperties = [],
                   username: String? = nil,
                   file: StaticString = #filePath, line: UInt = #line) -> ConnectionID {
        let (id, connack) = connect(ConnectPacket(clientIdentifier: clientID, cleanStart: cleanStart,
                                                  keepAliveSeconds: keepAlive, username: username, will: will,
                                                  properties: properties),
                                    version: version, file: file, line: line)
        XCTAssertEqual(connack.reasonCode, .success, "CONNACK of \(clientID)", file: file, line: line)
        return id
    }

    // MARK: Input

    /// Encodes `packet`, frames it like the server and feeds it to the engine.
    func send(_ packet: MQTTPacket, on id: ConnectionID, version: MQTTProtocolVersion? = nil,
              file: StaticString = #filePath, line: UInt = #line) {
        let version = version ?? versions[id] ?? .v5_0
        var buffer = ByteBuffer()
        do {
            try packet.write(to: &buffer, version: version)
            guard let frame = try MQTTFrame.read(from: &buffer, maximumPacketSize: 1 << 28) else {
                return XCTFail("incomplete frame", file: file, line: line)
            }
            sendFrame(frame, on: id)
        } catch {
            XCTFail("could not encode \(packet): \(error)", file: file, line: line)
        }
    }

    func sendFrame(_ frame: MQTTFrame, on id: ConnectionID) {
        engine.received(frame, on: id, now: now, into: &actions)
        collect()
    }

    func publish(_ topic: String, _ payload: String, qos: QoS = .atMostOnce, retain: Bool = false,
                 id packetID: UInt16? = nil, properties: MQTTProperties = [], on id: ConnectionID) {
        send(.publish(PublishPacket(topic: topic, payload: ByteBuffer(string: payload), qos: qos, retain: retain,
                                    packetIdentifier: qos == .atMostOnce ? nil : (packetID ?? 1),
                                    properties: properties)), on: id)
    }

    /// Subscribes and returns the SUBACK's reason codes.
    @discardableResult
    func subscribe(_ subscriptions: [Subscription], properties: MQTTProperties = [], packetID: UInt16 = 1,
                   on id: ConnectionID, file: StaticString = #filePath, line: UInt = #line) -> [ReasonCode] {
        send(.subscribe(SubscribePacket(packetIdentifier: packetID, subscriptions: subscriptions,
                                        properties: properties)), on: id)
        let packets = take(id)
        guard let index = packets.firstIndex(where: { if case .suback = $0 { true } else { false } }),
              case .suback(let suback) = packets[index]
        else {
            XCTFail("no SUBACK in \(packets)", file: file, line: line)
            return []
        }
        // Whatever followed (retained messages) stays for the test to take.
        inbox[id, default: []].insert(contentsOf: packets[(index + 1)...], at: 0)
        return suback.reasonCodes
    }

    @discardableResult
    func subscribe(_ filter: String, qos: QoS = .atLeastOnce, on id: ConnectionID,
                   file: StaticString = #filePath, line: UInt = #line) -> [ReasonCode] {
        subscribe([Subscription(filter: filter, qos: qos)], on: id, file: file, line: line)
    }

    func closeTransport(_ id: ConnectionID) {
        engine.connectionClosed(id, now: now, into: &actions)
        collect()
    }

    /// Moves virtual time on and runs the timers that are due, the way the server does: one tick at each
    /// deadline reached on the way.
    func advance(_ amount: TimeAmount) {
        let target = now + amount
        while let deadline = engine.nextDeadline, deadline <= target {
            now = max(now, deadline)
            engine.tick(now: now, into: &actions)
            collect()
        }
        now = target
        engine.tick(now: now, into: &actions)
        collect()
    }

    // MARK: Output

    /// Everything sent to `id` since the last call.
    func take(_ id: ConnectionID) -> [MQTTPacket] {
        inbox.removeValue(forKey: id) ?? []
    }

    /// The PUBLISH packets sent to `id` since the last call (acks and others dropped).
    func publishes(_ id: ConnectionID) -> [PublishPacket] {
        take(id).compactMap { if case .publish(let p) = $0 { p } else { nil } }
    }

    func isClosed(_ id: ConnectionID) -> Bool { closed.contains(id) }

    private func collect() {
        for action in actions {
            switch action {
            case .send(let id, let packet, let version):
                // Round-trip through the codec: what a client would really read.
                var buffer = ByteBuffer()
                do {
                    try packet.write(to: &buffer, version: version)
                    let decoded = try MQTTPacket.read(from: &buffer, version: version, maximumPacketSize: 1 << 28)
                    XCTAssertFalse(closed.contains(id), "sent \(packet) after closing \(id)")
                    if let decoded { inbox[id, default: []].append(decoded) }
                } catch {
                    XCTFail("engine sent a packet that does not encode for \(version): \(packet): \(error)")
                }
            case .close(let id):
                closed.insert(id)
            }
        }
        actions.removeAll(keepingCapacity: true)
    }
}

extension ByteBuffer {
    var string: String { getString(at: readerIndex, length: readableBytes) ?? "" }
}

extension MQTTPacket {
    var disconnectReason: ReasonCode? {
        if case .disconnect(let packet) = self { return packet.reasonCode }
        return nil
    }
}
