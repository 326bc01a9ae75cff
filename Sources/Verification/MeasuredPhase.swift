/// The measured phases of a device's life whose latencies are kept in histograms.
public enum MeasuredPhase: String, Codable, Sendable, Hashable, CaseIterable, Comparable {
    /// SYN → connected socket.
    case tcpConnect
    /// TLS ClientHello → handshake complete.
    case tlsHandshake
    /// HTTP upgrade request → `101 Switching Protocols` (MQTT over WebSocket).
    case webSocketUpgrade
    /// CONNECT written → CONNACK read.
    case connack
    /// SUBSCRIBE written → SUBACK read.
    case suback
    /// PUBLISH written → PUBACK (QoS 1) or PUBCOMP (QoS 2) read.
    case puback
    /// Device's PUBLISH → observer's delivery of it.
    case endToEnd
    /// Disconnect (reset, last packet, DISCONNECT 0x04, takeover) → observer's delivery of the will.
    case willDelivery
    /// A `publish` step's message to a device → observer's delivery of the device's reply (`respond:`), or an
    /// IoT Hub direct method call → the device's answer at the hub.
    case commandReply
    /// An IoT Hub device's twin request (GET, reported PATCH) → the hub's response on `$iothub/twin/res/…`.
    case twinResponse

    public static func < (lhs: MeasuredPhase, rhs: MeasuredPhase) -> Bool {
        allCases.firstIndex(of: lhs)! < allCases.firstIndex(of: rhs)!
    }

    /// The name a human reads in reports.
    public var title: String {
        switch self {
        case .tcpConnect: "TCP connect"
        case .tlsHandshake: "TLS handshake"
        case .webSocketUpgrade: "WebSocket upgrade"
        case .connack: "CONNACK"
        case .suback: "SUBACK"
        case .puback: "PUBACK/PUBCOMP"
        case .endToEnd: "end-to-end"
        case .willDelivery: "will delivery"
        case .commandReply: "command → reply"
        case .twinResponse: "twin request → response"
        }
    }
}
