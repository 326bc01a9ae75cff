/// The four ways a connection can end, each seen differently by the broker; the fleet uses them
/// to check that wills follow abrupt and silent endings and never graceful ones.
public enum MQTTEnding: Sendable, Hashable, CaseIterable, CustomStringConvertible {
    /// DISCONNECT 0x00 then TCP close: the broker discards the will.
    case graceful
    /// MQTT 5: DISCONNECT 0x04 (Disconnect with Will Message) then close: the broker publishes the
    /// will. MQTT 3.1.1 has no such code: the TCP connection is closed without DISCONNECT.
    case gracefulWithWill
    /// No DISCONNECT; the socket is closed with SO_LINGER 0, so the broker sees a TCP reset
    /// (and no TLS close_notify): a device losing power or its link.
    case abrupt
    /// The socket stays open but the client stops reading, writing and pinging; only the broker's
    /// keep-alive timeout ends it: a hung device.
    case silent

    public var description: String {
        switch self {
        case .graceful: return "graceful"
        case .gracefulWithWill: return "graceful-with-will"
        case .abrupt: return "abrupt"
        case .silent: return "silent"
        }
    }
}

/// Why a connection ended: as asked (one of the four endings) or because of a failure.
public enum MQTTCloseReason: Sendable, Hashable, CustomStringConvertible {
    /// Closed as asked. For `.silent`, reported once the broker has closed the connection.
    case ended(MQTTEnding)
    case failed(MQTTClientError)

    public var description: String {
        switch self {
        case .ended(let ending): return "ended (\(ending))"
        case .failed(let error): return "failed: \(error)"
        }
    }

    /// The error to fail a still-pending request with.
    var requestError: MQTTClientError {
        switch self {
        case .ended: return .connectionClosed
        case .failed(let error): return error
        }
    }
}
