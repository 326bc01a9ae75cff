import Yams

/// What limits a group's messages: its library (PubSubClient publishes QoS 0 only), its protocol
/// (properties need MQTT 5) and the broker family.
struct PublishRules {
    let group: String
    let personality: Personality
    let v5: Bool
    let limits: BrokerLimits?
    let profile: String?
}

extension ScenarioParser {
    func telemetrySpec(_ node: Node, rules: PublishRules) -> TelemetrySpec? {
        let keys = ["topic", "every", "qos", "retain", "payload", "content-type", "message-expiry", "user-properties",
                    "properties"]
        guard let reader = MappingReader(node, what: "telemetry", allowed: keys, diagnostics: diagnostics) else { return nil }
        // Every field is read before a wrong one drops the telemetry, so all their errors come in one load.
        var topic = reader.required("topic", hint: "e.g. devices/{clientId}/sequence").flatMap { topicName($0, "topic") }
        let every = reader.required("every", hint: "e.g. every: 2s").flatMap { diagnostics.duration($0, "every", positive: true) }
        if let bag = reader["properties"].flatMap(telemetryPropertyBag) { topic = topic?.appendingPropertyBag(bag) }
        let defaults = rules.personality.defaults
        let qos = reader["qos"].flatMap { publishQoS($0, rules: rules) } ?? min(defaults.telemetryQoS, rules.limits?.maxQoS ?? 2)
        let retain = reader["retain"].flatMap { retainFlag($0, rules: rules) } ?? false
        let payload = reader["payload"].flatMap { template($0, "payload", scope: .perMessage, allowEmpty: true) }
            ?? defaultPayload
        var contentType = rules.v5 ? defaults.contentType : nil
        if let typeNode = reader["content-type"] {
            requireV5(rules.v5, typeNode, "content-type", group: rules.group)
            contentType = diagnostics.string(typeNode, "content-type")
        }
        let expiry = reader["message-expiry"].flatMap { expiryNode -> Duration? in
            requireV5(rules.v5, expiryNode, "message-expiry", group: rules.group)
            return diagnostics.wholeSeconds(expiryNode, "message-expiry", max: Int64(UInt32.max))
        }
        let userProperties = reader["user-properties"].map { propertiesNode -> [UserPropertySpec] in
            requireV5(rules.v5, propertiesNode, "user-properties", group: rules.group)
            return self.userProperties(propertiesNode)
        } ?? []
        guard let topic, let every else { return nil }
        return TelemetrySpec(topic: topic, every: every, qos: qos, retain: retain, payload: payload,
                             contentType: contentType, messageExpiry: expiry, userProperties: userProperties)
    }

    /// `user-properties: { name: value-template, … }`, in file order (MQTT allows repeated names; YAML keys cannot repeat).
    private func userProperties(_ node: Node) -> [UserPropertySpec] {
        guard case .mapping(let mapping) = node else {
            diagnostics.report(node, "`user-properties` must map names to values, found \(node.kindDescription)",
                               hint: #"e.g. user-properties: { sent-at: "{timestamp}", site: plant-7 }"#)
            return []
        }
        return mapping.compactMap { nameNode, valueNode -> UserPropertySpec? in
            guard let name = diagnostics.string(nameNode, "user-properties"),
                  let value = template(valueNode, name, scope: .perMessage, allowEmpty: true)
            else { return nil }
            return UserPropertySpec(name: name, value: value)
        }
    }

    private var defaultPayload: Template {
        Template(parts: [.text(#"{"ClientID":""#), .clientID, .text(#"","Sequence":"#), .sequence, .text("}")])
    }

    func subscriptions(_ node: Node, rules: PublishRules) -> [SubscriptionSpec] {
        guard let items = diagnostics.list(node, "subscribe") else { return [] }
        let defaultQoS = min(rules.personality == .pubsubclient ? 0 : 1, rules.limits?.maxQoS ?? 2)
        return items.compactMap { item -> SubscriptionSpec? in
            let filterNode: Node
            var qos = defaultQoS
            if case .scalar = item {
                filterNode = item
            } else {
                guard let reader = MappingReader(item, what: "a subscription", allowed: ["filter", "qos"],
                                                 diagnostics: diagnostics) else { return nil }
                if let qosNode = reader["qos"] {
                    // PubSubClient subscribes with QoS 0 or 1 only.
                    let maxQoS = min(rules.personality == .pubsubclient ? 1 : 2, rules.limits?.maxQoS ?? 2)
                    // A wrong QoS is reported; the filter still counts, so `respond:` is not told it matches nothing.
                    qos = diagnostics.qos(qosNode, max: maxQoS, why: maxQoSReason(rules)) ?? defaultQoS
                }
                guard let node = reader.required("filter") else { return nil }
                filterNode = node
            }
            guard let filter = template(filterNode, "filter", scope: .perDevice) else { return nil }
            if let problem = TopicRules.problemWithTopicFilter(filter.description) {
                diagnostics.report(filterNode, "subscription: \(problem)")
                return nil
            }
            return SubscriptionSpec(filter: filter, qos: qos)
        }
    }

    /// `respond: [{ filter: …, topic: …, payload: …, qos: 1, after: 50ms }]`; each `filter` must overlap one of
    /// the group's subscriptions, or the device would never receive what it answers. The key was `on`, which
    /// YAML 1.1 parsers (PyYAML, and so the JSON schema checked with them) read as the boolean true: `on` is
    /// refused with the new name, and its value still checked so the rest of the rule's errors come at once.
    func responseSpecs(_ node: Node, rules: PublishRules, subscriptions: [SubscriptionSpec]) -> [ResponseSpec] {
        guard let items = diagnostics.list(node, "respond") else { return [] }
        let subscribed = subscriptions.map { TopicRules.wildcardFilter(for: $0.filter) }
        return items.compactMap { item -> ResponseSpec? in
            let renamedOn = item.mapping?["on"]
            guard let reader = MappingReader(item, what: "a response", allowed: ["filter", "topic", "payload", "qos", "after"],
                                             renamed: ["on": Suggestions.renamedOnKey], diagnostics: diagnostics)
            else { return nil }
            let filterNode = reader["filter"] ?? renamedOn
                ?? reader.required("filter", hint: "the topic filter of the messages to answer")
            let filter = filterNode.flatMap { responseFilter($0, subscribed: subscribed) }
            let topicNode = reader.required("topic", hint: "where the reply goes, e.g. devices/{clientId}/responses")
            let topic = topicNode.flatMap { replyTopic($0, filter: filter) }
            let payload = if let payloadNode = reader["payload"] { replyPayload(payloadNode, filter: filter) } else {
                Template(literal: "ok")
            }
            let qos = reader["qos"].flatMap { publishQoS($0, rules: rules) } ?? 0
            let after = reader["after"].flatMap { diagnostics.duration($0, "after") } ?? .zero
            guard reader["filter"] != nil, let filter, let topic, let payload else { return nil }
            return ResponseSpec(filter: filter, topic: topic, payload: payload, qos: qos, after: after)
        }
    }

    private func responseFilter(_ node: Node, subscribed: [String]) -> Template? {
        guard let filter = template(node, "filter", scope: .perDevice) else { return nil }
        if let problem = TopicRules.problemWithTopicFilter(filter.description) {
            diagnostics.report(node, "respond: \(problem)")
            return nil
        }
        let wildcard = TopicRules.wildcardFilter(for: filter)
        if !subscribed.contains(where: { TopicRules.filtersOverlap($0, wildcard) }) {
            diagnostics.report(node, "respond.filter `\(filter)` matches none of the group's subscriptions, so nothing would arrive to answer",
                               hint: "add it to `subscribe:`")
        }
        return filter
    }

    func willSpec(_ node: Node, rules: PublishRules) -> WillSpec? {
        let keys = ["topic", "payload", "qos", "retain", "delay", "message-expiry", "content-type"]
        guard let reader = MappingReader(node, what: "will", allowed: keys, diagnostics: diagnostics) else { return nil }
        let topic = reader.required("topic", hint: "e.g. devices/{clientId}/status").flatMap { topicName($0, "topic") }
        let payload = reader["payload"].flatMap { template($0, "payload", scope: .perDevice, allowEmpty: true) }
            ?? Template(literal: "offline")
        // The will is part of CONNECT, so PubSubClient may give it any QoS; only the broker family limits it.
        let qos = reader["qos"].flatMap { diagnostics.qos($0, max: rules.limits?.maxQoS ?? 2, why: maxQoSReason(rules)) } ?? 0
        let retain = reader["retain"].flatMap { retainFlag($0, rules: rules) } ?? false
        let delay = reader["delay"].flatMap { delayNode -> Duration? in
            requireV5(rules.v5, delayNode, "delay", group: rules.group)
            return diagnostics.wholeSeconds(delayNode, "delay", max: Int64(UInt32.max))
        }
        let expiry = reader["message-expiry"].flatMap { expiryNode -> Duration? in
            requireV5(rules.v5, expiryNode, "message-expiry", group: rules.group)
            return diagnostics.wholeSeconds(expiryNode, "message-expiry", max: Int64(UInt32.max))
        }
        let contentType = reader["content-type"].flatMap { typeNode -> String? in
            requireV5(rules.v5, typeNode, "content-type", group: rules.group)
            return diagnostics.string(typeNode, "content-type")
        }
        guard let topic else { return nil }
        return WillSpec(topic: topic, payload: payload, qos: qos, retain: retain, delay: delay,
                        messageExpiry: expiry, contentType: contentType)
    }

    func birthSpec(_ node: Node, rules: PublishRules) -> BirthSpec? {
        guard let reader = MappingReader(node, what: "birth", allowed: ["topic", "payload", "qos", "retain"],
                                         diagnostics: diagnostics) else { return nil }
        let topic = reader.required("topic", hint: "e.g. devices/{clientId}/status").flatMap { topicName($0, "topic") }
        let payload = reader["payload"].flatMap { template($0, "payload", scope: .perDevice, allowEmpty: true) }
            ?? Template(literal: "online")
        let qos = reader["qos"].flatMap { publishQoS($0, rules: rules) } ?? 0
        let retain = reader["retain"].flatMap { retainFlag($0, rules: rules) } ?? false
        guard let topic else { return nil }
        return BirthSpec(topic: topic, payload: payload, qos: qos, retain: retain)
    }

    /// QoS of a message the device itself publishes.
    func publishQoS(_ node: Node, rules: PublishRules) -> Int? {
        let maxQoS = min(rules.personality.defaults.maxPublishQoS, rules.limits?.maxQoS ?? 2)
        return diagnostics.qos(node, max: maxQoS, why: maxQoSReason(rules))
    }

    private func maxQoSReason(_ rules: PublishRules) -> String {
        if rules.personality == .pubsubclient { return "what PubSubClient can publish or subscribe with" }
        return "\(rules.profile ?? "the broker")'s maximum QoS"
    }

    private func retainFlag(_ node: Node, rules: PublishRules) -> Bool? {
        guard let retain = diagnostics.boolean(node, "retain") else { return nil }
        if retain, let limits = rules.limits, !limits.retainAvailable {
            diagnostics.report(node, "\(rules.profile ?? "the broker") does not support retained messages",
                               hint: "set retain: false for this broker profile")
        }
        return retain
    }
}
