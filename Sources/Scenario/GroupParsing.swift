import Yams

/// What later parts of the file (timeline, observer) need to know about the groups.
struct GroupContext {
    let groups: [DeviceGroupPlan]
    /// Client IDs per group, in index order.
    let clientIDs: [String: [String]]
    /// Groups left out because their name or count did not load (nil: no readable name); steps aimed at
    /// them are not told they are unknown, and selections over the fleet are not counted without them.
    let unresolved: [String?]
    /// The keys written in each group that loaded with errors of its own.
    let flawed: [String: Set<String>]

    init(groups: [DeviceGroupPlan], unresolved: [String?] = [], flawed: [String: Set<String>] = [:]) {
        self.groups = groups
        self.unresolved = unresolved
        self.flawed = flawed
        var ids: [String: [String]] = [:]
        for group in groups { ids[group.name] = (0..<group.count).map { group.clientID(index: $0 + 1) } }
        clientIDs = ids
    }

    var names: [String] { groups.map(\.name) }
    var deviceCount: Int { groups.reduce(0) { $0 + $1.count } }

    func mayBeUnresolved(_ name: String) -> Bool { unresolved.contains { $0 == nil || $0 == name } }

    /// Whether the group's `key` is written but may have failed to load: then what a step asks of that part
    /// (telemetry to burst, certificates to fault) is not checked, as it would read as missing.
    func mayHaveFailed(_ group: String, _ key: String) -> Bool { flawed[group]?.contains(key) == true }
}

extension ScenarioParser {
    static let groupKeys = [
        "name", "count", "client-id", "personality", "protocol", "keepalive", "clean-start", "session-expiry",
        "credentials", "telemetry", "subscribe", "respond", "will", "birth", "retry", "boot-delay", "max-packet-size",
        "timeouts", "topic-aliases", "twin",
    ] + identityKeys
    static let defaultTelemetryPayload = #"{"ClientID":"{clientId}","Sequence":{sequence}}"#

    func deviceGroups(_ node: Node, broker: BrokerSpec?) -> GroupContext {
        guard let items = diagnostics.list(node, "groups") else { return GroupContext(groups: [], unresolved: [nil]) }
        if items.isEmpty { diagnostics.report(node, "`groups` is empty", hint: "declare at least one device group") }
        var groups: [DeviceGroupPlan] = []
        var unresolved: [String?] = []
        var flawed: [String: Set<String>] = [:]
        var ownerOfClientID: [String: String] = [:]
        for item in items {
            let errorsBefore = diagnostics.errors.count
            defer {
                if diagnostics.errors.count > errorsBefore, let mapping = item.mapping, let name = mapping["name"]?.string {
                    flawed[name] = Set(mapping.keys.compactMap(\.string))
                }
            }
            guard let group = deviceGroup(item, broker: broker) else {
                unresolved.append(item.mapping?["name"]?.string)
                continue
            }
            if groups.contains(where: { $0.name == group.name }) {
                diagnostics.report(at: group.location, "group name `\(group.name)` is used twice",
                                   hint: "give every group its own name")
                continue
            }
            for index in 1...group.count {
                let id = group.clientID(index: index)
                if let owner = ownerOfClientID[id] {
                    let whose = owner == group.name ? "twice by group `\(owner)`" : "by groups `\(owner)` and `\(group.name)`"
                    diagnostics.report(at: group.location, "client ID `\(id)` is produced \(whose)",
                                       hint: "make `client-id` patterns distinct, e.g. with {group} or {index}")
                    break
                }
                ownerOfClientID[id] = group.name
            }
            groups.append(group)
        }
        return GroupContext(groups: groups, unresolved: unresolved, flawed: flawed)
    }

    private func deviceGroup(_ node: Node, broker: BrokerSpec?) -> DeviceGroupPlan? {
        let provisionalName = (node.mapping?["name"]?.string).map { "group `\($0)`" } ?? "a group"
        guard let group = MappingReader(node, what: provisionalName, allowed: Self.groupKeys, diagnostics: diagnostics)
        else { return nil }
        // A group whose name or count is wrong is still read to the end, so all its errors come in one load;
        // then it is left out (see `GroupContext.unresolved`).
        let parsedName = group.required("name").flatMap { diagnostics.string($0, "name") }
        let parsedCount = group.required("count").flatMap {
            diagnostics.integer($0, "count", in: 1...10_000_000, hint: "a group has at least one device")
        }
        let name = parsedName ?? "(unnamed)"
        let count = parsedCount ?? 1
        let location = diagnostics.location(of: node)
        let personality = group["personality"].flatMap { diagnostics.choice($0, "personality", as: Personality.self) }
            ?? .custom
        let defaults = personality.defaults
        let clientIDPattern = group["client-id"].flatMap { clientIDTemplate($0, count: count) }
            ?? Template(parts: [.group, .text("-"), .index(width: 4)])
        let version = groupProtocol(group, personality: personality, broker: broker)
        let v5 = version == .v5
        var keepAlive = defaults.keepAlive
        if let keepAliveNode = group["keepalive"], let value = diagnostics.wholeSeconds(keepAliveNode, "keepalive", max: 65_535) {
            keepAlive = value
        }
        if let limit = broker?.knownProfile?.limits.maxKeepAlive, keepAlive > limit {
            diagnostics.report(group["keepalive"] ?? node,
                               "keep-alive \(Quantities.format(keepAlive)) is above \(broker?.profile ?? "")'s maximum of \(Quantities.format(limit))",
                               hint: "set keepalive to at most \(Quantities.format(limit))")
        }
        let cleanStart = group["clean-start"].flatMap { diagnostics.boolean($0, "clean-start") } ?? defaults.cleanStart
        let sessionExpiry = group["session-expiry"].flatMap { expiryNode -> Duration? in
            requireV5(v5, expiryNode, "session-expiry", group: name)
            return diagnostics.wholeSeconds(expiryNode, "session-expiry", max: Int64(UInt32.max))
        }
        let credentials = group["credentials"].flatMap { credentialsSpec($0, broker: broker) } ?? Credentials.none
        let rules = PublishRules(group: name, personality: personality, v5: v5, limits: broker?.knownProfile?.limits,
                                 profile: broker?.profile)
        let telemetry = group["telemetry"].flatMap { telemetrySpec($0, rules: rules) }
        let subscribe = group["subscribe"].map { subscriptions($0, rules: rules) } ?? []
        let respond = group["respond"].map { responseSpecs($0, rules: rules, subscriptions: subscribe) } ?? []
        let will = group["will"].flatMap { willSpec($0, rules: rules) }
        let birth = group["birth"].flatMap { birthSpec($0, rules: rules) }
        let retry = group["retry"].flatMap { retryPolicy($0) } ?? defaults.retry
        let bootDelay = group["boot-delay"].flatMap { diagnostics.duration($0, "boot-delay") } ?? .zero
        let maxPacketSize = group["max-packet-size"].flatMap {
            diagnostics.integer($0, "max-packet-size", in: 16...268_435_455)
        } ?? defaults.maxPacketSize
        let timeouts = deviceTimeouts(group["timeouts"], defaults: defaults.timeouts(keepAlive: keepAlive))
        let topicAliases = group["topic-aliases"].flatMap { node -> Bool? in
            requireV5(v5, node, "topic-aliases", group: name)
            return diagnostics.boolean(node, "topic-aliases")
        } ?? false
        var plan = DeviceGroupPlan(
            name: name, count: count, clientIDPattern: clientIDPattern, personality: personality,
            protocolVersion: version, keepAlive: keepAlive, cleanStart: cleanStart, sessionExpiry: sessionExpiry,
            credentials: credentials, telemetry: telemetry, subscribe: subscribe, will: will, birth: birth,
            retry: retry, bootDelay: bootDelay, maxPacketSize: maxPacketSize, location: location, respond: respond,
            timeouts: timeouts)
        plan.topicAliases = topicAliases
        applyIdentity(&plan, group: group, broker: broker)
        plan.twin = group["twin"].flatMap { twinSpec($0, rules: rules, subscriptions: subscribe) }
        refuseMessagesOverBuffer(plan, group: group)
        checkSASKeys(plan, node: group["credentials"])
        if case .certificates(let directory, _) = credentials, options.checkCertificateFiles,
           fileExists(directory, directory: true) {
            let missing = IdentityFileCheck.missingFiles(
                directory: directory, clientIDs: (1...count).map { plan.identityID(index: ($0 - 1) * plan.sessions + 1) })
            if let first = missing.first {
                diagnostics.report(group["credentials"], "group `\(name)`: \(missing.count) certificate file(s) missing, first `\(first)`",
                                   hint: "`fleet certs scenario \(path)` issues every identity the file names and lacks")
            }
        }
        return parsedName == nil || parsedCount == nil ? nil : plan
    }

    /// A message the device's own buffer can never hold is certain to fail at every send: say so now, naming
    /// the message and its smallest size. (A broker's limit is not checked here: seeing what the broker does
    /// with an oversized packet is a scenario of its own.)
    private func refuseMessagesOverBuffer(_ plan: DeviceGroupPlan, group: MappingReader) {
        let v5 = plan.protocolVersion == .v5
        let device = plan.clientID(index: 1)
        func check(_ key: String, _ node: Node?, topic: Template, payload: Template, qos: Int) {
            let bound = PublishSizeBound.minimum(
                topic: topic.binding(clientID: device, index: 1, group: plan.name),
                payload: payload.binding(clientID: device, index: 1, group: plan.name), qos: qos, v5: v5)
            guard bound > plan.maxPacketSize else { return }
            diagnostics.report(node ?? group.node,
                               "group `\(plan.name)`: its \(key) PUBLISH is at least \(bound) bytes, over the \(plan.maxPacketSize)-byte packet buffer of \(plan.personality.rawValue), which refuses it at every send",
                               hint: "shorten the topic or payload, or raise the buffer with `max-packet-size:` (the library's build setting)")
        }
        if let telemetry = plan.telemetry {
            check("telemetry", group["telemetry"], topic: telemetry.topic, payload: telemetry.payload, qos: telemetry.qos)
        }
        if let birth = plan.birth {
            check("birth", group["birth"], topic: birth.topic, payload: birth.payload, qos: birth.qos)
        }
        for rule in plan.respond {
            check("respond", group["respond"], topic: rule.topic, payload: rule.payload, qos: rule.qos)
        }
    }

    private func clientIDTemplate(_ node: Node, count: Int) -> Template? {
        guard let pattern = template(node, "client-id", scope: .clientID) else { return nil }
        let hasIndex = pattern.parts.contains { if case .index = $0 { true } else { false } }
        if count > 1, !hasIndex {
            diagnostics.report(node, "`client-id` has no {index}, so all \(count) devices would share one client ID",
                               hint: "add {index} or {index:04}; to reproduce a duplicate client ID use the duplicate-client-id step")
            return nil
        }
        return pattern
    }

    private func groupProtocol(_ group: MappingReader, personality: Personality, broker: BrokerSpec?) -> ProtocolVersion {
        let defaults = personality.defaults
        var version = defaults.protocolVersion
        if let brokerDefault = broker?.protocolVersion, defaults.supportedProtocolVersions.contains(brokerDefault) {
            version = brokerDefault
        }
        if let protocolNode = group["protocol"], let asked = protocolVersion(protocolNode) {
            if defaults.supportedProtocolVersions.contains(asked) {
                version = asked
            } else {
                let others = Personality.allCases.filter { $0.defaults.supportedProtocolVersions.contains(asked) }
                diagnostics.report(protocolNode, "personality `\(personality.rawValue)` cannot speak MQTT \(asked.rawValue)",
                                   hint: "\(personality.rawValue) speaks MQTT "
                                       + defaults.supportedProtocolVersions.map(\.rawValue).sorted().joined(separator: ", ")
                                       + " only; for MQTT \(asked.rawValue) use personality "
                                       + others.map(\.rawValue).joined(separator: ", "))
            }
        }
        if let limits = broker?.knownProfile?.limits, !limits.protocolVersions.contains(version) {
            diagnostics.report(group["protocol"] ?? group.node,
                               "\(broker?.profile ?? "the broker") does not accept MQTT \(version.rawValue)",
                               hint: "use protocol " + limits.protocolVersions.map(\.rawValue).sorted().joined(separator: " or "))
        }
        return version
    }

    func requireV5(_ v5: Bool, _ node: Node, _ key: String, group: String) {
        guard !v5 else { return }
        diagnostics.report(node, "`\(key)` needs MQTT 5 but group `\(group)` speaks MQTT 3.1.1",
                           hint: "set `protocol: 5` (with a personality that speaks it) or remove `\(key)`")
    }

    private func credentialsSpec(_ node: Node, broker: BrokerSpec?) -> Credentials? {
        if case .scalar(let scalar) = node, scalar.string == "none" { return Credentials.none }
        guard let reader = MappingReader(node, what: "credentials", allowed: ["certificates", "username", "password", "sas"],
                                         diagnostics: diagnostics) else { return nil }
        if let sasNode = reader["sas"] {
            for other in ["certificates", "username", "password"] where reader.contains(other) {
                diagnostics.report(reader.keyNode(other), "credentials take `sas` or `\(other)`, not both",
                                   hint: "a SAS device sends IoT Hub's username and a fresh token itself; set `username` inside `sas` to change it")
            }
            return sasCredentials(sasNode, broker: broker).map { .sas($0) }
        }
        if let directoryNode = reader["certificates"] {
            if let passwordNode = reader["password"] {
                diagnostics.report(passwordNode, "credentials take either `certificates` or a `password`, not both",
                                   hint: "a certificate replaces the password; keep `username` if the broker wants one")
            }
            let username = reader["username"].flatMap { template($0, "username", scope: .perDevice) }
            guard let directory = diagnostics.string(directoryNode, "certificates") else { return nil }
            if let broker, !broker.tls {
                diagnostics.report(directoryNode, "client certificates need TLS but \(broker.url) is plain TCP",
                                   hint: "use an mqtts:// URL")
            }
            let resolved = resolvedPath(directory)
            if options.checkCertificateFiles, !fileExists(resolved, directory: true) {
                diagnostics.report(directoryNode, "certificate folder `\(directory)` does not exist",
                                   hint: "`fleet certs scenario \(path)` makes it with the identities the file names; paths are relative to "
                                       + (options.baseDirectory ?? "the current working directory"))
            }
            return .certificates(directory: resolved, username: username)
        }
        guard let usernameNode = reader.required("username", hint: "or `certificates: <folder>` for client certificates"),
              let username = template(usernameNode, "username", scope: .perDevice) else { return nil }
        let password = reader["password"].flatMap { template($0, "password", scope: .perDevice, allowEmpty: true) }
            ?? Template(literal: "")
        return .usernamePassword(username: username, password: password)
    }

    private func retryPolicy(_ node: Node) -> RetryPolicy? {
        if case .scalar(let scalar) = node {
            switch scalar.string {
            case "immediate": return RetryPolicy(backoff: .immediate)
            case "never": return RetryPolicy(backoff: .never)
            default:
                guard Quantities.duration(scalar.string) != nil else {
                    diagnostics.report(node, "`retry` \(node.kindDescription) is not a retry policy",
                                       hint: "write immediate, never, a fixed pause such as 5s, or a mapping with `backoff`")
                    return nil
                }
                return diagnostics.duration(node, "retry", positive: true).map { RetryPolicy(backoff: .fixed($0)) }
            }
        }
        let keys = ["backoff", "delay", "initial", "multiplier", "max", "jitter", "max-attempts"]
        guard let reader = MappingReader(node, what: "retry", allowed: keys, diagnostics: diagnostics),
              let backoffNode = reader.required("backoff", hint: "immediate, fixed, exponential or never"),
              let kind = diagnostics.choice(backoffNode, "backoff", as: BackoffKind.self) else { return nil }
        let maxAttempts = reader["max-attempts"].flatMap { diagnostics.integer($0, "max-attempts", in: 1...Int.max) }
        let irrelevant: [String] = switch kind {
        case .immediate, .never: ["delay", "initial", "multiplier", "max", "jitter"]
        case .fixed: ["initial", "multiplier", "max", "jitter"]
        case .exponential: ["delay"]
        }
        for key in irrelevant where reader.contains(key) {
            diagnostics.report(reader.keyNode(key), "`\(key)` does not apply to `backoff: \(kind.rawValue)`")
        }
        switch kind {
        case .immediate: return RetryPolicy(backoff: .immediate, maxAttempts: maxAttempts)
        case .never: return RetryPolicy(backoff: .never, maxAttempts: maxAttempts)
        case .fixed:
            guard let delayNode = reader.required("delay", hint: "e.g. delay: 5s"),
                  let delay = diagnostics.duration(delayNode, "delay", positive: true) else { return nil }
            return RetryPolicy(backoff: .fixed(delay), maxAttempts: maxAttempts)
        case .exponential:
            let initial = reader["initial"].flatMap { diagnostics.duration($0, "initial", positive: true) } ?? .seconds(1)
            let multiplier = reader["multiplier"].flatMap { diagnostics.number($0, "multiplier", in: 1...100) } ?? 2
            let cap = reader["max"].flatMap { diagnostics.duration($0, "max", positive: true) } ?? .seconds(60)
            let jitter = reader["jitter"].flatMap { diagnostics.number($0, "jitter", in: 0...1) } ?? 0
            if cap < initial {
                diagnostics.report(reader["max"], "`max` \(Quantities.format(cap)) is shorter than `initial` \(Quantities.format(initial))")
            }
            return RetryPolicy(backoff: .exponential(initial: initial, multiplier: multiplier, max: cap, jitter: jitter),
                               maxAttempts: maxAttempts)
        }
    }
}

extension ScenarioParser {
    /// `timeouts: { connack: 10s, suback: 10s, puback: 20s, pingresp: 5s }`: any subset, each replacing the
    /// personality's wait; `puback` covers PUBACK, PUBREC and PUBCOMP alike.
    private func deviceTimeouts(_ node: Node?, defaults: DeviceTimeouts) -> DeviceTimeouts {
        guard let node else { return defaults }
        let keys: [(key: String, value: WritableKeyPath<DeviceTimeouts, Duration>)] = [
            ("connack", \.connAck), ("suback", \.subAck), ("puback", \.publishAck), ("pingresp", \.pingResp),
        ]
        guard let reader = MappingReader(node, what: "timeouts", allowed: keys.map(\.key), diagnostics: diagnostics)
        else { return defaults }
        var timeouts = defaults
        for (key, path) in keys {
            if let valueNode = reader[key], let value = timeout(valueNode, key) { timeouts[keyPath: path] = value }
        }
        return timeouts
    }

    private func timeout(_ node: Node, _ key: String) -> Duration? {
        let name = "timeouts.\(key)"
        if case .scalar(let scalar) = node, scalar.string.trimmingWhitespace().hasPrefix("-") {
            diagnostics.report(node, "`\(name)` `\(scalar.string)` is negative; a device always waits some time",
                               hint: "use a positive duration such as 10s")
            return nil
        }
        guard let value = diagnostics.duration(node, name, positive: true) else { return nil }
        guard value <= DeviceTimeouts.maximum else {
            diagnostics.report(node, "`\(name)` \(Quantities.format(value)) is longer than \(Quantities.format(DeviceTimeouts.maximum))",
                               hint: "a device waits at most \(Quantities.format(DeviceTimeouts.maximum)) for an acknowledgement")
            return nil
        }
        return value
    }
}

/// The spellings of `retry.backoff`.
enum BackoffKind: String, CaseIterable {
    case immediate, fixed, exponential, never
}
