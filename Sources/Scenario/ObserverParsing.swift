import Yams

extension ScenarioParser {
    static let observerKeys = ["connections", "qos", "shared", "filters", "broker", "credentials", "protocol"]

    func observerSpec(_ node: Node?, groups: [DeviceGroupPlan], broker: BrokerSpec?) -> ObserverSpec {
        var observer = ObserverSpec(filters: Self.defaultObserverFilters(groups))
        guard let node,
              let reader = MappingReader(node, what: "observer", allowed: Self.observerKeys, diagnostics: diagnostics)
        else { return observer }
        observer.connections = reader["connections"].flatMap { diagnostics.integer($0, "connections", in: 1...1_000) } ?? 1
        observer.qos = reader["qos"].flatMap { diagnostics.qos($0) } ?? observer.qos
        if let sharedNode = reader["shared"], let shared = diagnostics.boolean(sharedNode, "shared") {
            if shared, let limits = broker?.knownProfile?.limits, !limits.sharedSubscriptions {
                diagnostics.report(sharedNode, "\(broker?.profile ?? "the broker") does not support shared subscriptions")
            }
            observer.sharedSubscription = shared
        }
        if let filtersNode = reader["filters"], let items = diagnostics.list(filtersNode, "filters") {
            observer.filters = items.compactMap { item in
                guard let filter = diagnostics.string(item, "filters") else { return nil }
                if let problem = TopicRules.problemWithTopicFilter(filter) {
                    diagnostics.report(item, "observer: \(problem)")
                    return nil
                }
                return filter
            }
        }
        observer.broker = reader["broker"].flatMap { brokerSpec($0, what: "observer.broker") }
        if let credentialsNode = reader["credentials"] {
            observer.credentials = observerCredentials(credentialsNode) ?? .none
        }
        observer.protocolVersion = reader["protocol"].flatMap { protocolVersion($0) } ?? observer.protocolVersion
        return observer
    }

    /// Telemetry, will and birth topics of every group, per-device levels replaced by `+`, without repeats.
    static func defaultObserverFilters(_ groups: [DeviceGroupPlan]) -> [String] {
        var filters: [String] = []
        for group in groups {
            let topics = [group.telemetry?.topic, group.will?.topic, group.birth?.topic].compactMap { $0 }
            for topic in topics {
                let filter = TopicRules.wildcardFilter(for: topic)
                if !filters.contains(filter) { filters.append(filter) }
            }
        }
        return filters
    }

    private func observerCredentials(_ node: Node) -> Credentials? {
        guard let reader = MappingReader(node, what: "observer.credentials", allowed: ["username", "password"],
                                         diagnostics: diagnostics),
              let usernameNode = reader.required("username"),
              let username = diagnostics.string(usernameNode, "username") else { return nil }
        let password = reader["password"].flatMap { diagnostics.string($0, "password", allowEmpty: true) } ?? ""
        return .usernamePassword(username: Template(literal: username), password: Template(literal: password))
    }
}
