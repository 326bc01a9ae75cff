/// The MQTT 3.1.1 CONNACK return code. Values 6–255 are reserved by the specification but kept, so a
/// broker that sends one is reported exactly.
public enum ConnectReturnCode: Sendable, Hashable, CustomStringConvertible {
    case accepted
    case unacceptableProtocolVersion
    case identifierRejected
    case serverUnavailable
    case badUserNameOrPassword
    case notAuthorized
    case unknown(UInt8)

    public init(rawValue: UInt8) {
        switch rawValue {
        case 0: self = .accepted
        case 1: self = .unacceptableProtocolVersion
        case 2: self = .identifierRejected
        case 3: self = .serverUnavailable
        case 4: self = .badUserNameOrPassword
        case 5: self = .notAuthorized
        default: self = .unknown(rawValue)
        }
    }

    /// The 3.1.1 return code that carries the meaning of an MQTT 5 reason code. Reason codes without a
    /// 3.1.1 equivalent keep their byte (as `unknown`), which is what a 3.1.1 CONNACK then carries.
    public init(_ reasonCode: ReasonCode) {
        switch reasonCode {
        case .success: self = .accepted
        case .unsupportedProtocolVersion: self = .unacceptableProtocolVersion
        case .clientIdentifierNotValid: self = .identifierRejected
        case .serverUnavailable: self = .serverUnavailable
        case .badUserNameOrPassword: self = .badUserNameOrPassword
        case .notAuthorized: self = .notAuthorized
        default: self = .unknown(reasonCode.rawValue)
        }
    }

    public var rawValue: UInt8 {
        switch self {
        case .accepted: return 0
        case .unacceptableProtocolVersion: return 1
        case .identifierRejected: return 2
        case .serverUnavailable: return 3
        case .badUserNameOrPassword: return 4
        case .notAuthorized: return 5
        case .unknown(let value): return value
        }
    }

    /// The MQTT 5 reason code with the same meaning, so callers handle one vocabulary for both versions.
    /// A reserved 3.1.1 value maps to the reason code with the same byte.
    public var reasonCode: ReasonCode {
        switch self {
        case .accepted: return .success
        case .unacceptableProtocolVersion: return .unsupportedProtocolVersion
        case .identifierRejected: return .clientIdentifierNotValid
        case .serverUnavailable: return .serverUnavailable
        case .badUserNameOrPassword: return .badUserNameOrPassword
        case .notAuthorized: return .notAuthorized
        case .unknown(let value): return ReasonCode(rawValue: value)
        }
    }

    public var description: String {
        switch self {
        case .accepted: return "Connection Accepted (0)"
        case .unacceptableProtocolVersion: return "Connection Refused, unacceptable protocol version (1)"
        case .identifierRejected: return "Connection Refused, identifier rejected (2)"
        case .serverUnavailable: return "Connection Refused, Server unavailable (3)"
        case .badUserNameOrPassword: return "Connection Refused, bad user name or password (4)"
        case .notAuthorized: return "Connection Refused, not authorized (5)"
        case .unknown(let value): return "unknown(\(value))"
        }
    }
}
