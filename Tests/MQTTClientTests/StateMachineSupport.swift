import MQTTClient
import MQTTCore
import NIOCore
import XCTest

typealias Action = MQTTConnectionStateMachine.Action

/// Drives a state machine on virtual time with packets as the server would send them
/// (encoded, then framed exactly as the frame decoder would cut them).
struct StateMachineHarness {
    var machine: MQTTConnectionStateMachine
    var now = NIODeadline.uptimeNanoseconds(1_000_000_000)

    init(_ configuration: MQTTConnectionConfiguration) {
        machine = MQTTConnectionStateMachine(configuration: configuration)
    }

    init(version: MQTTProtocolVersion = .v5_0, configure: (inout MQTTConnectionConfiguration) -> Void = { _ in }) {
        var configuration = MQTTConnectionConfiguration(version: version, clientIdentifier: "device-0001")
        configure(&configuration)
        self.init(configuration)
    }

    var version: MQTTProtocolVersion { machine.configuration.version }

    /// Activates the channel and accepts `connAck`; returns what the machine reported.
    @discardableResult
    mutating func connect(_ connAck: ConnAckPacket = ConnAckPacket()) throws -> MQTTConnAckInfo {
        _ = machine.channelActive(now: now)
        guard case .connected(let info, _) = try receive(.connack(connAck)) else {
            throw HarnessError.notConnected
        }
        return info
    }

    mutating func receive(_ packet: MQTTPacket) throws -> Action {
        machine.frameReceived(try frame(packet, version: version), now: now)
    }

    mutating func advance(by amount: TimeAmount) {
        now = now + amount
    }

    mutating func publish(
        _ topic: String, _ payload: String = "p", qos: QoS = .atLeastOnce, retain: Bool = false
    ) throws(MQTTClientError) -> (MQTTRequestID?, Action) {
        try machine.publish(MQTTMessage(topic: topic, payload: ByteBuffer(string: payload), qos: qos, retain: retain), now: now)
    }

    enum HarnessError: Error { case notConnected }
}

/// Encodes `packet` and frames it as `MQTTFrameDecoder` would.
func frame(_ packet: MQTTPacket, version: MQTTProtocolVersion) throws -> MQTTFrame {
    var buffer = ByteBuffer()
    try packet.write(to: &buffer, version: version)
    return try XCTUnwrap(try MQTTFrame.read(from: &buffer, maximumPacketSize: Int.max))
}

/// The packet an action writes, if it writes exactly one.
func writtenPacket(_ action: Action) -> MQTTPacket? {
    switch action {
    case .write(let packet), .writeAndScheduleTimer(let packet, _): return packet
    case .deliver(_, let acknowledge): return acknowledge
    case .completeRequest(_, _, let thenWrite): return thenWrite
    case .close(let packet, _): return packet
    default: return nil
    }
}

/// The PUBLISH an action writes.
func writtenPublish(_ action: Action) -> PublishPacket? {
    if case .publish(let publish)? = writtenPacket(action) { return publish }
    return nil
}
