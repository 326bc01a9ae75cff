import MQTTClient
import MQTTCore

/// Explains MQTT-level failures: CONNACK refusals by reason code, refused subscriptions and
/// publishes, and connections the broker drops — each with the field failure it usually means.
enum MQTTDiagnosis {
    static func connect(_ error: any Error, options: ProbeOptions, identity: ClientIdentityCheck? = nil) -> Diagnosis {
        guard let error = error as? MQTTClientError else {
            return Diagnosis(problem: "CONNECT failed: \(error)", hint: "look at the broker's log")
        }
        switch error {
        case .connectionRefused(let code, let reasonString):
            let said = "the broker refused CONNECT: \(code)" + (reasonString.map { " (\"\($0)\")" } ?? "")
            return Diagnosis(problem: said, hint: hint(forRefusal: code, options: options))
        case .tls(let failure):
            return TLSDiagnosis.explain(failure, presentedClientCertificate: options.tls.certificateChainFile != nil,
                                        identity: identity)
        case .webSocketUpgrade(let failure):
            return WebSocketDiagnosis.explain(failure, options: options)
        case .closedByPeer, .io:
            return Diagnosis(
                problem: "the broker closed the connection without a CONNACK (\(error))",
                hint: options.will != nil
                    ? "some brokers drop a CONNECT whose will topic the client may not use (seed 000); try without --will-topic, and look at the broker's log"
                    : "look at the broker's log: protocol version, client ID rules, or authentication")
        case .connAckTimeout:
            return Diagnosis(problem: "\(error)", hint: "the broker accepted TCP but did not answer CONNECT; is this an MQTT port?")
        default:
            return Diagnosis(problem: "\(error)", hint: "look at the broker's log")
        }
    }

    /// The connection ended or stalled without any MQTT answer: what a port speaking something else does.
    static func isUnansweredConnect(_ error: any Error) -> Bool {
        switch error as? MQTTClientError {
        case .closedByPeer, .io, .connAckTimeout, .protocolViolation: return true
        default: return false
        }
    }

    /// Whether the connection got as far as MQTT: not when TCP, TLS (a TLS 1.3 broker refuses a client
    /// certificate after the handshake) or the WebSocket upgrade failed beneath it.
    static func reachedMQTT(_ error: any Error) -> Bool {
        switch error as? MQTTClientError {
        case .tcpConnectFailed, .connectTimeout, .tlsConfiguration, .tls, .webSocketUpgrade: return false
        default: return true
        }
    }

    static func hint(forRefusal code: ReasonCode, options: ProbeOptions) -> String {
        switch code {
        case .notAuthorized:
            return options.will != nil
                ? "the client may not connect as configured; a will topic it may not publish to is refused this way by brokers such as Azure Event Grid (seed 000)"
                : "the broker's authorization refused this client ID or identity"
        case .badUserNameOrPassword:
            return "check --username/--password (with certificate authentication, the broker may expect the username to match the certificate)"
        case .clientIdentifierNotValid:
            return "the broker rejects this client ID (length or characters; some brokers require it to match the certificate CN)"
        case .unsupportedProtocolVersion:
            return "try the other protocol version (--mqtt 3.1.1 or --mqtt 5)"
        case .serverUnavailable, .serverBusy, .quotaExceeded, .connectionRateExceeded, .banned:
            return "the broker is limiting this client; after repeated failures some brokers block a client ID for hours (seed 000: it worked again the next morning)"
        default:
            return "see the broker's documentation for this reason code"
        }
    }

    static func subscribeRefused(_ topic: String, code: ReasonCode) -> Diagnosis {
        Diagnosis(
            problem: "the broker refused the subscription to \(topic): \(code)",
            hint: "the client may not subscribe to this topic (seed 000: the sample subscribed to a topic the device was not authorized for)")
    }
}
