import Yams

extension ScenarioParser {
    static let actionKeys = [
        "ramp", "disconnect", "duplicate-client-id", "throttle", "burst", "publish", "cert-fault", "sas-fault", "iothub", "wait",
        "stop",
    ]
    static let selectionKeys = ["select", "group"]

    /// `broker` decides whether `iothub` steps are possible (the lab broker's IoT Hub profile only).
    func steps(_ node: Node, context: GroupContext, broker: BrokerSpec?) -> [TimelineStep] {
        guard let items = diagnostics.list(node, "timeline") else { return [] }
        if items.isEmpty { diagnostics.report(node, "`timeline` is empty", hint: "start with - { at: 0s, ramp: { over: 5s } }") }
        var steps: [TimelineStep] = []
        var cursor = Duration.zero
        var stopped = false
        for (position, item) in items.enumerated() {
            guard let reader = MappingReader(item, what: "timeline step \(position + 1)",
                                             allowed: ["at", "after"] + Self.actionKeys, diagnostics: diagnostics)
            else { continue }
            let at = stepTime(reader, cursor: cursor)
            let actions = reader.presentKeys.filter { Self.actionKeys.contains($0.key) }
            guard let (actionKey, actionKeyNode) = actions.first else {
                diagnostics.report(item, "timeline step \(position + 1) has no action",
                                   hint: "add one of: " + Self.actionKeys.joined(separator: ", "))
                continue
            }
            for extra in actions.dropFirst() {
                diagnostics.report(extra.node, "timeline step \(position + 1) has a second action `\(extra.key)`",
                                   hint: "one action per step; put `\(extra.key)` in its own step")
            }
            if stopped {
                diagnostics.report(actionKeyNode, "step after `stop`", hint: "`stop` ends the run; it must be the last step")
            }
            // The action is checked even when the step's time is wrong, and the clock moves to a failed step's
            // time, so that every step's errors come in one load rather than one step's after another's.
            let action = reader[actionKey].flatMap { self.action(actionKey, $0, context: context, broker: broker) }
            if actionKey == "stop" { stopped = true }
            guard let at else { continue }
            cursor = at
            if case .wait(let pause) = action { cursor = at + pause }
            guard let action else { continue }
            steps.append(TimelineStep(at: at, action: action, index: position, location: diagnostics.location(of: item)))
        }
        return steps
    }

    /// `at:` (absolute, not before the previous step) or `after:` (relative to the previous step, or to the end of
    /// a `wait`); neither ⇒ right after the previous step.
    private func stepTime(_ reader: MappingReader, cursor: Duration) -> Duration? {
        if let atNode = reader["at"] {
            if let afterNode = reader.keyNode("after") {
                diagnostics.report(afterNode, "a step takes `at` or `after`, not both")
                return nil
            }
            guard let at = diagnostics.duration(atNode, "at") else { return nil }
            if at < cursor {
                diagnostics.report(atNode, "step at \(Quantities.format(at)) comes before the previous step's \(Quantities.format(cursor))",
                                   hint: "keep steps in time order, or use `after:` for a relative time")
                return nil
            }
            return at
        }
        if let afterNode = reader["after"] {
            return diagnostics.duration(afterNode, "after").map { cursor + $0 }
        }
        return cursor
    }

    private func action(_ key: String, _ node: Node, context: GroupContext, broker: BrokerSpec?) -> TimelineAction? {
        switch key {
        // Each action reads every one of its fields before giving up on the step, so a wrong selection does not
        // hide a wrong mode until the next load.
        case "ramp":
            guard let reader = actionReader(node, key, extra: ["over"]) else { return nil }
            let target = target(reader, context: context)
            let over = reader["over"].flatMap { diagnostics.duration($0, "over") } ?? .zero
            return target.map { .ramp(RampSpec(target: $0, over: over)) }
        case "disconnect":
            guard let reader = actionReader(node, key, extra: ["mode", "reconnect"]) else { return nil }
            let target = target(reader, context: context)
            let modeNode = reader.required("mode", hint: "abrupt, silent, graceful or graceful-with-will")
            let mode = modeNode.flatMap { diagnostics.choice($0, "disconnect mode", as: DisconnectMode.self) }
            if mode == .gracefulWithWill, let target, let modeNode {
                requireV5Targets(target, context: context, node: modeNode, what: "disconnect mode `graceful-with-will`")
            }
            let reconnect = reader["reconnect"].map(reconnectSpec) ?? .byPolicy
            guard let target, let mode, let reconnect else { return nil }
            return .disconnect(DisconnectSpec(target: target, mode: mode, reconnect: reconnect))
        case "duplicate-client-id":
            guard let reader = actionReader(node, key, extra: ["impostor-retries", "every", "for"]) else { return nil }
            let target = target(reader, context: context)
            let retriesNode = reader["impostor-retries"]
            let forever = retriesNode == nil || retriesNode?.scalar?.string == "forever"
            let retries = forever ? nil : retriesNode.flatMap {
                diagnostics.integer($0, "impostor-retries", in: 0...Int.max, hint: "a count, or `forever` for a ping-pong takeover storm")
            }
            let every = reader["every"].flatMap { diagnostics.duration($0, "every", positive: true) } ?? .seconds(1)
            let duration = reader["for"].flatMap { diagnostics.duration($0, "for", positive: true) }
            guard let target, forever || retries != nil else { return nil }
            return .duplicateClientID(DuplicateSpec(target: target, impostorRetries: retries, every: every, for: duration))
        case "throttle":
            return throttle(node, context: context)
        case "burst":
            guard let reader = actionReader(node, key, extra: ["count", "over"]) else { return nil }
            let target = target(reader, context: context)
            let count = reader.required("count", hint: "messages per device, e.g. count: 10")
                .flatMap { diagnostics.integer($0, "count", in: 1...1_000_000) }
            for group in target.map({ groupsOf($0, context: context) }) ?? [] where group.telemetry == nil && !context.mayHaveFailed(group.name, "telemetry") {
                diagnostics.report(node, "burst targets group `\(group.name)`, which has no `telemetry` to send",
                                   hint: "give the group a telemetry topic or aim the burst at another group")
            }
            let over = reader["over"].flatMap { diagnostics.duration($0, "over") } ?? .zero
            guard let target, let count else { return nil }
            return .burst(BurstSpec(target: target, count: count, over: over))
        case "publish":
            return publish(node, context: context)
        case "cert-fault":
            guard let reader = actionReader(node, key, extra: ["kind"]) else { return nil }
            let target = target(reader, context: context)
            let kindNode = reader.required("kind", hint: CertFaultKind.allCases.map(\.rawValue).joined(separator: ", "))
            let kind: CertFaultKind? = kindNode.flatMap { kindNode in
                if case .scalar(let scalar) = kindNode, scalar.string == "chainless" { return .noIntermediate }
                return diagnostics.choice(kindNode, "certificate fault", as: CertFaultKind.self)
            }
            for group in target.map({ groupsOf($0, context: context) }) ?? [] {
                guard case .certificates = group.credentials else {
                    if context.mayHaveFailed(group.name, "credentials") { continue }
                    diagnostics.report(node, "cert-fault targets group `\(group.name)`, which does not use client certificates",
                                       hint: "set credentials: { certificates: <folder> } on that group")
                    continue
                }
            }
            guard let target, let kind else { return nil }
            return .certFault(CertFaultSpec(target: target, kind: kind))
        case "sas-fault":
            guard let reader = actionReader(node, key, extra: ["kind", "for"]) else { return nil }
            let target = target(reader, context: context)
            let kind = reader.required("kind", hint: SASFaultKind.allCases.map(\.rawValue).joined(separator: ", "))
                .flatMap { diagnostics.choice($0, "SAS fault", as: SASFaultKind.self) }
            let duration = reader["for"].flatMap { diagnostics.duration($0, "for", positive: true) }
            for group in target.map({ groupsOf($0, context: context) }) ?? [] {
                guard case .sas = group.credentials else {
                    if context.mayHaveFailed(group.name, "credentials") { continue }
                    diagnostics.report(node, "sas-fault targets group `\(group.name)`, which does not use SAS tokens",
                                       hint: "set credentials: { sas: { … } } on that group, or aim the step at a SAS group with `group:`")
                    continue
                }
            }
            guard let target, let kind else { return nil }
            return .sasFault(SASFaultSpec(target: target, kind: kind, duration: duration))
        case "iothub":
            guard let reader = actionReader(node, key, extra: Self.iotHubStepKeys) else { return nil }
            let target = target(reader, context: context)
            let request = iotHubRequest(reader, broker: broker)
            guard let target, let request else { return nil }
            return .iotHub(IoTHubSpec(target: target, request: request))
        case "wait":
            return diagnostics.duration(node, "wait", positive: true).map { .wait($0) }
        default:
            return diagnostics.choice(node, "stop mode", as: StopMode.self).map { .stop($0) }
        }
    }

    private func actionReader(_ node: Node, _ key: String, extra: [String]) -> MappingReader? {
        if node.isNull {
            return MappingReader(.mapping(Node.Mapping([], .implicit, .any, node.mark)), what: "`\(key)`",
                                 allowed: Self.selectionKeys + extra, diagnostics: diagnostics)
        }
        return MappingReader(node, what: "`\(key)`", allowed: Self.selectionKeys + extra, diagnostics: diagnostics)
    }

    private func reconnectSpec(_ node: Node) -> ReconnectSpec? {
        if case .scalar(let scalar) = node {
            switch scalar.string {
            case "policy": return .byPolicy
            case "never": return .never
            default:
                if Quantities.duration(scalar.string) != nil {
                    return diagnostics.duration(node, "reconnect").map { .after($0) }
                }
            }
        }
        diagnostics.report(node, "`reconnect` \(node.kindDescription) is not a reconnect rule",
                           hint: "write a delay such as 30s, `policy` (the group's retry policy) or `never`")
        return nil
    }

    private func throttle(_ node: Node, context: GroupContext) -> TimelineAction? {
        guard let reader = actionReader(node, "throttle", extra: ["bandwidth", "latency", "jitter", "stall", "for"])
        else { return nil }
        let target = target(reader, context: context)
        let duration = reader.required("for", hint: "how long the link stays shaped, e.g. for: 10s")
            .flatMap { diagnostics.duration($0, "for", positive: true) }
        let bandwidth = reader["bandwidth"].flatMap { diagnostics.bitRate($0, "bandwidth") }
        let latency = reader["latency"].flatMap { diagnostics.duration($0, "latency") } ?? .zero
        let jitter = reader["jitter"].flatMap { diagnostics.duration($0, "jitter") } ?? .zero
        let stall = reader["stall"].flatMap { diagnostics.boolean($0, "stall") } ?? false
        let shapes = ["bandwidth", "latency", "jitter", "stall"].contains(where: reader.contains)
        if !shapes {
            diagnostics.report(node, "`throttle` changes nothing", hint: "set bandwidth, latency, jitter or stall: true")
            return nil
        }
        guard let target, let duration else { return nil }
        return .throttle(ThrottleSpec(target: target, bandwidthBitsPerSecond: bandwidth, latency: latency, jitter: jitter,
                                      stall: stall, for: duration))
    }

    private func publish(_ node: Node, context: GroupContext) -> TimelineAction? {
        guard let reader = actionReader(node, "publish", extra: ["topic", "payload", "qos", "retain"]) else { return nil }
        let target = target(reader, context: context)
        let topic = reader.required("topic", hint: "e.g. devices/{clientId}/configuration").flatMap { topicName($0, "topic") }
        let payload = reader["payload"].flatMap { template($0, "payload", scope: .perMessage, allowEmpty: true) }
            ?? Template(literal: "")
        let qos = reader["qos"].flatMap { diagnostics.qos($0) } ?? 0
        let retain = reader["retain"].flatMap { diagnostics.boolean($0, "retain") } ?? false
        guard let target, let topic else { return nil }
        return .publish(PublishSpec(target: target, topic: topic, payload: payload, qos: qos, retain: retain))
    }

    /// Reads `select` and `group`, checking the group exists and the selection fits in it.
    private func target(_ reader: MappingReader, context: GroupContext) -> Target? {
        var restriction: String?
        if let groupNode = reader["group"] {
            guard let name = diagnostics.string(groupNode, "group") else { return nil }
            guard context.names.contains(name) else {
                if !context.mayBeUnresolved(name) {
                    diagnostics.report(groupNode, "unknown group `\(name)`",
                                       hint: Suggestions.hint(for: name, in: context.names, noun: "groups"))
                }
                return nil
            }
            restriction = name
        }
        guard let selectNode = reader["select"] else {
            return restriction.map { Target(selection: .group($0)) } ?? Target(selection: .all)
        }
        // Whose devices a group that failed to load would add is unknown: the selection's form is still
        // checked, but not against a population that is not the file's.
        guard restriction != nil || context.unresolved.isEmpty else {
            _ = selection(selectNode, population: nil, scope: "the fleet")
            return nil
        }
        let population = restriction.map { context.clientIDs[$0] ?? [] } ?? context.groups.flatMap { context.clientIDs[$0.name] ?? [] }
        let scope = restriction.map { "group `\($0)`" } ?? "the fleet"
        guard let selection = selection(selectNode, population: population, scope: scope) else { return nil }
        return Target(selection: selection, group: restriction)
    }

    /// `population` nil: unknown (a group failed to load), so only the selection's form is checked.
    private func selection(_ node: Node, population: [String]?, scope: String) -> Selection? {
        let hint = "write all, a count (3), a percentage (5%) or a list of client IDs"
        switch node {
        case .sequence(let items):
            let known = population.map(Set.init)
            var ids: [String] = []
            for item in items {
                guard let id = diagnostics.string(item, "select") else { continue }
                guard let known, let population else { continue }
                if known.contains(id) {
                    ids.append(id)
                } else {
                    diagnostics.report(item, "client ID `\(id)` is not in \(scope)",
                                       hint: Suggestions.nearest(to: id, in: population).map { "did you mean `\($0)`?" })
                }
            }
            if items.isEmpty { diagnostics.report(node, "`select` lists no devices", hint: hint) }
            return ids.isEmpty ? nil : .ids(ids)
        case .scalar(let scalar):
            let text = scalar.string.trimmingWhitespace()
            if text == "all" { return .all }
            if text.hasSuffix("%") { return diagnostics.percent(node, "select").map { .percent($0) } }
            guard let count = Int(text) else {
                diagnostics.report(node, "`select` \(node.kindDescription) is not a selection", hint: hint)
                return nil
            }
            guard count >= 1 else {
                diagnostics.report(node, "`select` \(count) selects no devices", hint: "select at least 1")
                return nil
            }
            guard let population else { return nil }
            guard count <= population.count else {
                diagnostics.report(node, "`select` \(count) is more than the \(population.count) devices in \(scope)",
                                   hint: "select at most \(population.count), or a percentage")
                return nil
            }
            return .count(count)
        default:
            diagnostics.report(node, "`select` must be all, a count, a percentage or a list, found \(node.kindDescription)",
                               hint: hint)
            return nil
        }
    }

    private func groupsOf(_ target: Target, context: GroupContext) -> [DeviceGroupPlan] {
        if let name = target.group { return context.groups.filter { $0.name == name } }
        switch target.selection {
        case .group(let name): return context.groups.filter { $0.name == name }
        case .ids(let ids):
            let wanted = Set(ids)
            return context.groups.filter { group in (context.clientIDs[group.name] ?? []).contains(where: wanted.contains) }
        case .all, .count, .percent: return context.groups
        }
    }

    private func requireV5Targets(_ target: Target, context: GroupContext, node: Node, what: String) {
        for group in groupsOf(target, context: context) where group.protocolVersion != .v5
            && !context.mayHaveFailed(group.name, "protocol") && !context.mayHaveFailed(group.name, "personality") {
            diagnostics.report(node, "\(what) needs MQTT 5 but group `\(group.name)` speaks MQTT 3.1.1",
                               hint: "aim it at MQTT 5 devices (`group:`), or set `protocol: 5` on that group")
        }
    }
}
