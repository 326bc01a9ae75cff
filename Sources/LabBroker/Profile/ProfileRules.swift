import Foundation
import MQTTCore
import Yams

/// The rules a profile file may set, by their YAML key. Each reads its value node into the profile and
/// reports what is wrong; PROFILES.md documents every key.
struct ProfileRule: Sendable {
    let key: String
    let read: @Sendable (Node, ProfileValues, inout BrokerProfile) -> Void

    static let all: [ProfileRule] = [
        ProfileRule(key: "protocol-versions") { node, values, profile in
            guard let items = values.list(node, "`protocol-versions`") else { return }
            var versions: Set<MQTTProtocolVersion> = []
            for item in items {
                if let version = values.choice(item, "a protocol version", ["3.1.1": MQTTProtocolVersion.v3_1_1, "5.0": .v5_0, "5": .v5_0]) {
                    versions.insert(version)
                }
            }
            if items.isEmpty { values.diagnostics.report(node, "`protocol-versions` must name at least one version", hint: "[3.1.1, 5.0]") }
            profile.protocolVersions = versions
        },
        ProfileRule(key: "requires-tls") { node, values, profile in
            values.boolean(node, "`requires-tls`").map { profile.requiresTLS = $0 }
        },
        ProfileRule(key: "authentication") { node, values, profile in
            values.authentication(node).map { profile.authentication = $0 }
        },
        ProfileRule(key: "maximum-qos") { node, values, profile in
            values.choice(node, "`maximum-qos`", ["0": QoS.atMostOnce, "1": .atLeastOnce, "2": .exactlyOnce]).map { profile.maximumQoS = $0 }
        },
        ProfileRule(key: "qos-above-maximum") { node, values, profile in
            values.violationResponse(node, "`qos-above-maximum`").map { profile.qosAboveMaximum = $0 }
        },
        ProfileRule(key: "retain") { node, values, profile in
            values.retain(node).map { profile.retain = $0 }
        },
        ProfileRule(key: "maximum-keep-alive") { node, values, profile in
            if values.isNone(node) { profile.maximumKeepAlive = nil; return }
            values.wholeSeconds(node, "`maximum-keep-alive`", as: UInt16.self).map { profile.maximumKeepAlive = $0 }
        },
        ProfileRule(key: "topic-alias-maximum") { node, values, profile in
            values.integer(node, "`topic-alias-maximum`", as: UInt16.self).map { profile.topicAliasMaximum = $0 }
        },
        ProfileRule(key: "maximum-packet-size") { node, values, profile in
            if values.isNone(node) { profile.maximumPacketSize = nil; return }
            values.size(node, "`maximum-packet-size`", as: UInt32.self).map { profile.maximumPacketSize = $0 }
        },
        ProfileRule(key: "receive-maximum") { node, values, profile in
            values.integer(node, "`receive-maximum`", as: UInt16.self, minimum: 1).map { profile.receiveMaximum = $0 }
        },
        ProfileRule(key: "maximum-session-expiry") { node, values, profile in
            if values.isNone(node) { profile.maximumSessionExpiry = nil; return }
            values.wholeSeconds(node, "`maximum-session-expiry`", as: UInt32.self).map { profile.maximumSessionExpiry = $0 }
        },
        ProfileRule(key: "takeover") { node, values, profile in
            values.choice(node, "`takeover`", ["replace-old": TakeoverRule.replaceOld, "refuse-new": .refuseNew])
                .map { profile.takeover = $0 }
        },
        ProfileRule(key: "max-sessions-per-authentication-name") { node, values, profile in
            if values.isNone(node) { profile.maximumSessionsPerAuthenticationName = nil; return }
            values.integer(node, "`max-sessions-per-authentication-name`", as: Int.self, minimum: 1)
                .map { profile.maximumSessionsPerAuthenticationName = $0 }
        },
        ProfileRule(key: "unauthorized-will") { node, values, profile in
            values.choice(node, "`unauthorized-will`", ["refuse-connect": UnauthorizedWillRule.refuseConnect, "drop-will": .dropWill])
                .map { profile.unauthorizedWill = $0 }
        },
        ProfileRule(key: "unauthorized-subscribe") { node, values, profile in
            values.choice(node, "`unauthorized-subscribe`",
                          ["refuse": UnauthorizedSubscribeRule.refuse, "grant-silently": .grantSilently])
                .map { profile.unauthorizedSubscribe = $0 }
        },
        ProfileRule(key: "shared-subscriptions") { node, values, profile in
            values.boolean(node, "`shared-subscriptions`").map { profile.sharedSubscriptions = $0 }
        },
        ProfileRule(key: "offline-queue") { node, values, profile in
            values.offlineQueue(node).map { profile.offlineQueue = $0 }
        },
        ProfileRule(key: "authorization") { node, values, profile in
            if values.isAllowAll(node) { profile.authorization = nil; return }
            values.permissions(node).map { profile.authorization = $0 }
        },
        ProfileRule(key: "connects-per-client") { node, values, profile in
            values.rate(node, "`connects-per-client`").map { profile.throttling.connectsPerClient = $0 }
        },
        ProfileRule(key: "connects-total") { node, values, profile in
            values.rate(node, "`connects-total`").map { profile.throttling.connectsTotal = $0 }
        },
        ProfileRule(key: "messages-per-client") { node, values, profile in
            values.rate(node, "`messages-per-client`").map { profile.throttling.messagesPerClient = $0 }
        },
        ProfileRule(key: "lockout") { node, values, profile in
            if values.isNone(node) { profile.throttling.lockout = nil; return }
            values.lockout(node).map { profile.throttling.lockout = $0 }
        },
        ProfileRule(key: "iot-hub") { node, values, profile in
            if values.isNone(node) { profile.iotHub = nil; return }
            values.iotHub(node).map { profile.iotHub = $0 }
        },
    ]

    static let keys = all.map(\.key)
}

extension ProfileValues {
    func authentication(_ node: Node) -> AuthenticationRule? {
        if case .mapping = node {
            guard let entries = mapping(node, "`authentication`", allowed: ["certificate-common-name"]),
                  let inner = entries["certificate-common-name"],
                  let options = mapping(inner, "`certificate-common-name`", allowed: ["username-must-match"])
            else { return nil }
            let mustMatch = options["username-must-match"].flatMap { boolean($0, "`username-must-match`") } ?? false
            return .certificateCommonName(usernameMustMatch: mustMatch)
        }
        return choice(node, "`authentication`", [
            "anonymous": AuthenticationRule.anonymous, "iot-hub": .iotHub,
            "certificate-common-name": .certificateCommonName(usernameMustMatch: false),
        ])
    }

    func violationResponse(_ node: Node, _ what: String) -> ViolationResponse? {
        choice(node, what, ["disconnect": ViolationResponse.disconnect, "refuse-message": .refuseMessage])
    }

    func retain(_ node: Node) -> RetainRule? {
        if case .mapping = node {
            guard let entries = mapping(node, "`retain`", allowed: ["refused"]), let response = entries["refused"] else {
                diagnostics.report(node, "`retain` as a mapping must be `{ refused: disconnect | refuse-message }`")
                return nil
            }
            return violationResponse(response, "`refused`").map { .refused($0) }
        }
        return choice(node, "`retain`", ["supported": RetainRule.supported, "not-persisted": .notPersisted,
                                         "refused": .refused(.disconnect)])
    }

    func offlineQueue(_ node: Node) -> QueueLimit? {
        guard let entries = mapping(node, "`offline-queue`", allowed: ["messages", "bytes", "on-overflow"]) else { return nil }
        var limit = QueueLimit()
        if let messages = entries["messages"] { integer(messages, "`messages`", as: Int.self).map { limit.messages = $0 } }
        if let bytes = entries["bytes"] { size(bytes, "`bytes`", as: Int.self).map { limit.bytes = $0 } }
        if let overflow = entries["on-overflow"] {
            choice(overflow, "`on-overflow`", ["drop-newest": QueueLimit.Overflow.dropNewest, "end-session": .endSession])
                .map { limit.onOverflow = $0 }
        }
        return limit
    }

    func isAllowAll(_ node: Node) -> Bool {
        if case .scalar(let scalar) = node, scalar.style == .plain, scalar.string == "allow-all" { return true }
        return false
    }

    func permissions(_ node: Node) -> [TopicPermission]? {
        guard case .sequence = node else {
            diagnostics.report(node, "`authorization` must be `allow-all` or a list of grants, found \(node.describedKind)",
                               hint: "- { topic: \"devices/${client.authenticationName}/#\", actions: [publish, subscribe] }")
            return nil
        }
        guard let items = list(node, "`authorization`") else { return nil }
        return items.compactMap(permission)
    }

    private func permission(_ node: Node) -> TopicPermission? {
        guard let entries = mapping(node, "a grant", allowed: ["topic", "actions", "identity"]),
              let topicNode = required(entries, "topic", in: node, "a grant"),
              let actionsNode = required(entries, "actions", in: node, "a grant"),
              let topic = string(topicNode, "`topic`"), let actionItems = list(actionsNode, "`actions`")
        else { return nil }
        guard Self.isValidTemplate(topic) else {
            diagnostics.report(topicNode, "`\(topic)` is not a topic filter template",
                               hint: "a valid filter in which only ${client.authenticationName} and ${client.clientId} are replaced")
            return nil
        }
        let actions = actionItems.compactMap {
            choice($0, "an action", ["publish": TopicPermission.Action.publish, "subscribe": .subscribe])
        }
        guard actions.count == actionItems.count else { return nil }
        if actions.isEmpty { diagnostics.report(actionsNode, "`actions` is empty", hint: "[publish], [subscribe] or both") }
        let identity = entries["identity"].flatMap { string($0, "`identity`") }
        return TopicPermission(topicTemplate: topic, actions: Set(actions), identity: identity)
    }

    /// The template with its placeholders filled is a valid filter, and it has no other `${…}`.
    static func isValidTemplate(_ template: String) -> Bool {
        let filled = template.replacingOccurrences(of: "${client.authenticationName}", with: "x")
            .replacingOccurrences(of: "${client.clientId}", with: "x")
        guard !filled.contains("${") else { return false }
        do {
            try TopicRules.validateTopicFilter(filled)
            return true
        } catch {
            return false
        }
    }

    func rate(_ node: Node, _ what: String) -> Int?? {
        if isNone(node) { return .some(nil) }
        return integer(node, "\(what) (per second)", as: Int.self).map { .some($0) }
    }

    func lockout(_ node: Node) -> ThrottleRules.Lockout? {
        guard let entries = mapping(node, "`lockout`", allowed: ["failures", "window", "duration"]),
              let failuresNode = required(entries, "failures", in: node, "`lockout`"),
              let windowNode = required(entries, "window", in: node, "`lockout`"),
              let durationNode = required(entries, "duration", in: node, "`lockout`"),
              let failures = integer(failuresNode, "`failures`", as: Int.self, minimum: 1),
              let window = seconds(windowNode, "`window`"), let duration = seconds(durationNode, "`duration`")
        else { return nil }
        return ThrottleRules.Lockout(failures: failures, windowSeconds: window, durationSeconds: duration)
    }

    func iotHub(_ node: Node) -> IoTHubRules? {
        guard let entries = mapping(node, "`iot-hub`", allowed: ["host-name", "device-keys", "shared-access-policies"])
        else { return nil }
        var rules = IoTHubRules()
        if let host = entries["host-name"] { string(host, "`host-name`").map { rules.hostName = $0 } }
        if let keysNode = entries["device-keys"] {
            guard let keys = base64Keys(keysNode, "`device-keys`", naming: "device IDs",
                                        hint: "copy the device's primary key as Azure shows it") else { return nil }
            rules.deviceKeys = keys
        }
        if let policiesNode = entries["shared-access-policies"] {
            guard let keys = base64Keys(policiesNode, "`shared-access-policies`", naming: "policy names",
                                        hint: "copy the policy's primary key as Azure shows it") else { return nil }
            rules.sharedAccessPolicies = keys
        }
        return rules
    }

    /// A mapping of names to base64 keys; entries that are not base64 are reported and left out.
    private func base64Keys(_ node: Node, _ what: String, naming: String, hint: String) -> [String: String]? {
        guard case .mapping(let keys) = node else {
            diagnostics.report(node, "\(what) must map \(naming) to base64 keys, found \(node.describedKind)")
            return nil
        }
        var result: [String: String] = [:]
        for (name, key) in keys {
            guard let id = string(name, "a name in \(what)"), let base64 = string(key, "the key of `\(id)`") else { continue }
            guard Data(base64Encoded: base64) != nil else {
                diagnostics.report(key, "the key of `\(id)` is not base64", hint: hint)
                continue
            }
            result[id] = base64
        }
        return result
    }
}
