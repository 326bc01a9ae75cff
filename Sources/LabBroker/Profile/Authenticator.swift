import AzureCredentials
import Foundation
import MQTTCore
import NIOCore

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
        switch rule {
        case .anonymous:
            return .accepted(ClientIdentity(clientID: connect.clientIdentifier,
                                            authenticationName: connect.username ?? connect.clientIdentifier))
        case .certificateCommonName(let usernameMustMatch):
            return byCertificate(connect, commonName: certificateCommonName, usernameMustMatch: usernameMustMatch)
        case .iotHub:
            return asIoTHubDevice(connect, commonName: certificateCommonName, now: now)
        }
    }

    /// Event Grid: the certificate's subject is the authentication name (seed 004: "Event Grid requires
    /// X.509 authentication"); a username, when sent, must be that same name (seed 003).
    private func byCertificate(_ connect: ConnectPacket, commonName: String?, usernameMustMatch: Bool) -> Outcome {
        guard let commonName, !commonName.isEmpty else {
            return .refused(.notAuthorized, "no client certificate (a certificate subject CN is required)")
        }
        if usernameMustMatch, let username = connect.username, !username.isEmpty, username != commonName {
            return .refused(.badUserNameOrPassword,
                            "username \"\(username)\" is not the certificate's authentication name \"\(commonName)\"")
        }
        return .accepted(ClientIdentity(clientID: connect.clientIdentifier, authenticationName: commonName))
    }

    /// IoT Hub (seed 002): username `{hub}/{deviceId}/?api-version=…`, client ID = device ID, then a SAS
    /// token signed with the device's key (or the key of the shared access policy it names), or else a client
    /// certificate whose CN is the device ID.
    private func asIoTHubDevice(_ connect: ConnectPacket, commonName: String?, now: Date) -> Outcome {
        let hub = iotHub ?? IoTHubRules()
        let deviceID = connect.clientIdentifier
        if let problem = Self.usernameProblem(connect.username, hostName: hub.hostName, deviceID: deviceID) {
            return .refused(.badUserNameOrPassword, problem)
        }
        let identity = ClientIdentity(clientID: deviceID, authenticationName: deviceID)
        guard let password = connect.password else {
            guard let commonName else {
                return .refused(.badUserNameOrPassword, "neither a SAS token password nor a client certificate")
            }
            guard commonName == deviceID else {
                return .refused(.notAuthorized, "certificate CN \"\(commonName)\" is not the device ID \"\(deviceID)\"")
            }
            return .accepted(identity)
        }
        guard let text = password.getString(at: password.readerIndex, length: password.readableBytes) else {
            return .refused(.badUserNameOrPassword, "the password is not UTF-8 text")
        }
        let token: SASToken
        do {
            token = try SASToken(parsing: text)
        } catch {
            return .refused(.badUserNameOrPassword, "malformed SAS token: \(error)")
        }
        guard Self.isDeviceResource(token.resourceURI, hostName: hub.hostName, deviceID: deviceID) else {
            return .refused(.badUserNameOrPassword,
                            "token is for \"\(token.resourceURI)\", not \"\(hub.hostName)/devices/\(deviceID)\"")
        }
        let base64Key: String
        if let policy = token.policyName {
            guard let key = hub.sharedAccessPolicies[policy] else {
                return .refused(.badUserNameOrPassword, "unknown shared access policy \"\(policy)\"")
            }
            base64Key = key
        } else {
            guard let key = hub.deviceKeys[deviceID] else {
                return .refused(.badUserNameOrPassword, "unknown device \"\(deviceID)\"")
            }
            base64Key = key
        }
        guard let key = Data(base64Encoded: base64Key), token.isSigned(with: key) else {
            return .refused(.badUserNameOrPassword, "wrong signature")
        }
        guard Double(token.expiry) >= now.timeIntervalSince1970 else {
            return .refused(.badUserNameOrPassword, "token expired")
        }
        return .accepted(identity)
    }

    /// nil when `username` is `{hostName}/{deviceID}/?api-version=…` (more `&name=value` parameters
    /// allowed). The `?` may be missing: seed 002 itself writes `{hub}/{device_id}/api-version=2016-11-14`.
    static func usernameProblem(_ username: String?, hostName: String, deviceID: String) -> String? {
        let expected = "\(hostName)/\(deviceID)/?api-version=…"
        guard let username else { return "no username (expected \(expected))" }
        let parts = username.split(separator: "/", maxSplits: 2, omittingEmptySubsequences: false)
        guard parts.count == 3, parts[0].lowercased() == hostName.lowercased() else {
            return "username \"\(username)\" does not start with \"\(hostName)/\""
        }
        guard parts[1] == deviceID else {
            return "username names device \"\(parts[1])\" but the client ID is \"\(deviceID)\""
        }
        var query = parts[2]
        if query.first == "?" { query = query.dropFirst() }
        let apiVersion = query.split(separator: "&").first { $0.hasPrefix("api-version=") }
        guard let apiVersion, apiVersion.count > "api-version=".count else {
            return "username \"\(username)\" has no api-version (expected \(expected))"
        }
        return nil
    }

    /// `{hostName}/devices/{deviceID}`, the host and the `devices` segment compared without case.
    static func isDeviceResource(_ resource: String, hostName: String, deviceID: String) -> Bool {
        let parts = resource.split(separator: "/", maxSplits: 2, omittingEmptySubsequences: false)
        return parts.count == 3 && parts[0].lowercased() == hostName.lowercased()
            && parts[1].lowercased() == "devices" && parts[2] == deviceID
    }
}
