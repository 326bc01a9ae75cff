import MQTTCore
import NIOCore

/// Everything that can go wrong with one MQTT connection, typed so that a run report can say
/// *why* a device failed (refused TCP, untrusted CA, CONNACK refusal, keep-alive timeout, …)
/// instead of "connection error".
public enum MQTTClientError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The TCP connection could not be established (refused, unreachable, …).
    case tcpConnectFailed(address: String, reason: String)
    /// The TCP connection did not complete within the connect timeout.
    case connectTimeout(address: String, timeout: TimeAmount)
    /// The TLS settings could not be turned into a context (unreadable PEM, key mismatch, …).
    case tlsConfiguration(String)
    /// The TLS handshake or the TLS session failed; see `MQTTTLSFailure` for the diagnosis.
    case tls(MQTTTLSFailure)
    /// The WebSocket upgrade in front of MQTT over WebSocket failed (HTTP refusal, subprotocol, timeout, …).
    case webSocketUpgrade(MQTTWebSocketUpgradeFailure)
    /// No CONNACK arrived within the configured time after CONNECT was sent.
    case connAckTimeout(TimeAmount)
    /// The broker answered CONNECT with a failure reason code.
    case connectionRefused(ReasonCode, reasonString: String?)
    /// The broker sent DISCONNECT (MQTT 5), with its reason code and reason string.
    case serverDisconnected(ReasonCode, reasonString: String?)
    /// No PINGRESP arrived within the ping timeout; the connection was closed abruptly.
    case keepAliveTimeout(TimeAmount)
    /// The broker did not acknowledge a request (SUBACK, PUBACK, PUBREC, PUBCOMP, …) in time; the
    /// connection was given up, as firmware does when its broker stops answering.
    case acknowledgementTimeout(MQTTPacketType, TimeAmount)
    /// The broker answered a reconnect with session present 0, so the publishes still in flight on the
    /// client's persistent session were discarded with it.
    case sessionNotResumed
    /// The broker sent bytes or packets that break the protocol.
    case protocolViolation(MQTTProtocolViolation)
    /// The packet would exceed the broker's Maximum Packet Size (CONNACK), so it was not sent.
    case packetTooLarge(size: Int, maximum: Int)
    /// The broker's CONNACK limits QoS below what was asked.
    case qosNotSupported(requested: QoS, maximum: QoS)
    /// The broker's CONNACK says retained messages are not available.
    case retainNotSupported
    /// A topic name or filter that MQTT does not allow; refused before sending.
    case invalidTopic(String, reason: String)
    /// All 65,535 packet identifiers are in use.
    case packetIdentifiersExhausted
    /// A packet could not be encoded (a value outside what MQTT can carry).
    case encodingFailed(MQTTEncodeError)
    /// A request was made before CONNACK or after the connection started to end.
    case notConnected
    /// The broker closed the TCP connection without DISCONNECT.
    case closedByPeer
    /// A socket-level error (reset, broken pipe, …).
    case io(String)
    /// The connection closed before this request completed, or its channel was closed without one
    /// of the four endings.
    case connectionClosed

    public var description: String {
        switch self {
        case .tcpConnectFailed(let address, let reason):
            return "TCP connection to \(address) failed: \(reason)"
        case .connectTimeout(let address, let timeout):
            return "TCP connection to \(address) timed out after \(timeout.milliseconds) ms"
        case .tlsConfiguration(let detail):
            return "TLS configuration error: \(detail)"
        case .tls(let failure):
            return "TLS failure: \(failure)"
        case .webSocketUpgrade(let failure):
            return "\(failure)"
        case .connAckTimeout(let timeout):
            return "no CONNACK within \(timeout.milliseconds) ms"
        case .connectionRefused(let code, let reasonString):
            return "CONNACK refused: \(code)" + (reasonString.map { ": \($0)" } ?? "")
        case .serverDisconnected(let code, let reasonString):
            return "server sent DISCONNECT: \(code)" + (reasonString.map { ": \($0)" } ?? "")
        case .keepAliveTimeout(let timeout):
            return "no PINGRESP within \(timeout.milliseconds) ms (keep-alive timeout)"
        case .acknowledgementTimeout(let awaited, let timeout):
            return "no \(awaited) within \(timeout.milliseconds) ms (the broker stopped acknowledging)"
        case .sessionNotResumed:
            return "the broker did not resume the session (session present 0): in-flight publishes discarded"
        case .protocolViolation(let violation):
            return "protocol violation by the server: \(violation)"
        case .packetTooLarge(let size, let maximum):
            return "packet of \(size) bytes exceeds the server's maximum packet size \(maximum)"
        case .qosNotSupported(let requested, let maximum):
            return "QoS \(requested.rawValue) requested but the server's maximum QoS is \(maximum.rawValue)"
        case .retainNotSupported:
            return "the server does not support retained messages"
        case .invalidTopic(let topic, let reason):
            return "invalid topic \"\(topic)\": \(reason)"
        case .packetIdentifiersExhausted:
            return "all 65535 packet identifiers are in use"
        case .encodingFailed(let error):
            return "encoding failed: \(error)"
        case .notConnected:
            return "not connected"
        case .closedByPeer:
            return "the server closed the connection without DISCONNECT"
        case .io(let detail):
            return "I/O error: \(detail)"
        case .connectionClosed:
            return "the connection was closed (before the request completed, or without an MQTT ending)"
        }
    }
}

/// A packet or byte sequence from the server that breaks MQTT, with the reason code the client
/// sends in its DISCONNECT (MQTT 5) and, when decoding failed, the exact decode error.
public struct MQTTProtocolViolation: Sendable, Hashable, CustomStringConvertible {
    /// The reason the client gives in DISCONNECT: malformed packet, protocol error, topic alias invalid, …
    public var reasonCode: ReasonCode
    public var detail: String
    public var decodeError: MQTTDecodeError?

    public init(reasonCode: ReasonCode, detail: String, decodeError: MQTTDecodeError? = nil) {
        self.reasonCode = reasonCode
        self.detail = detail
        self.decodeError = decodeError
    }

    public var description: String {
        "\(reasonCode): \(detail)"
    }
}

extension TimeAmount {
    var milliseconds: Int64 { nanoseconds / 1_000_000 }
}
