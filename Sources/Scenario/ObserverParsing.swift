import Yams

extension ScenarioParser {
    static let observerKeys = ["connections", "qos", "shared", "filters", "broker", "credentials", "protocol"]

    func observerSpec(_ node: Node?, groups: [DeviceGroupPlan], broker: BrokerSpec?) -> ObserverSpec {
        // The observers speak what the broker section says the broker speaks (an MQTT 3.1.1-only broker
        // would never answer an MQTT 5 CONNECT), unless the observer section says otherwise.
        var observer = ObserverSpec(filters: Self.defaultObserverFilters(groups), protocolVersion: broker?.protocolVersion ?? .v5)
        guard let node,
              let reader = MappingReader(node, what: "observer", allowed: Self.observerKeys, diagnostics: diagnostics)
        else { return observer }
        observer.connections = reader["connections"].flatMap { diagnostics.integer($0, "connections", in: 1...1_000) } ?? 1
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
        // `--broker` replaces the observers' broker too: the file's observer listener belongs to the broker it
        // replaced. The file's value is still checked.
        let fileBroker = reader["broker"].flatMap { brokerSpec($0, what: "observer.broker", checkFiles: options.brokerOverride == nil) }
        observer.broker = options.brokerOverride == nil ? fileBroker : nil
        // The observers subscribe at their QoS, so the broker family's maximum (Event Grid: 0 and 1) binds them as
        // it binds the devices. An observer listener of its own is most often the same broker's, so without a
        // family of its own it takes the devices' broker's.
        let family = observer.broker?.knownProfile ?? broker?.knownProfile
        observer.qos = reader["qos"].flatMap {
            diagnostics.qos($0, max: family?.limits.maxQoS ?? 2, why: "\(family?.rawValue ?? "the broker")'s maximum QoS")
        } ?? observer.qos
        if let credentialsNode = reader["credentials"] {
            (observer.credentials, observer.identity) = observerCredentials(credentialsNode, tls: (observer.broker ?? broker)?.tls ?? false)
        }
        observer.protocolVersion = reader["protocol"].flatMap { protocolVersion($0) }
            ?? observer.broker?.protocolVersion ?? observer.protocolVersion
        return observer
    }

    /// Telemetry, will, birth and reply topics of every group, per-device levels replaced by `+`, without repeats.
    static func defaultObserverFilters(_ groups: [DeviceGroupPlan]) -> [String] {
        var filters: [String] = []
        for group in groups {
            let topics = [group.telemetry?.topic, group.will?.topic, group.birth?.topic].compactMap { $0 }
                + group.respond.map(\.topic)
            for topic in topics {
                let filter = TopicRules.wildcardFilter(for: topic)
                if !filters.contains(filter) { filters.append(filter) }
            }
        }
        return filters
    }

    /// `{ username, password }` and/or `{ certificate, key }` (a chain file with the leaf first, and its key).
    private func observerCredentials(_ node: Node, tls: Bool) -> (Credentials, DeviceIdentityFiles?) {
        guard let reader = MappingReader(node, what: "observer.credentials",
                                         allowed: ["username", "password", "certificate", "key"], diagnostics: diagnostics)
        else { return (.none, nil) }
        var credentials = Credentials.none
        if let usernameNode = reader["username"], let username = diagnostics.string(usernameNode, "username") {
            let password = reader["password"].flatMap { diagnostics.string($0, "password", allowEmpty: true) } ?? ""
            credentials = .usernamePassword(username: Template(literal: username), password: Template(literal: password))
        } else if let passwordNode = reader["password"] {
            diagnostics.report(passwordNode, "`password` without `username`", hint: "give both, or neither")
        }
        let files = ["certificate", "key"].map { key in
            reader[key].flatMap { fileNode -> String? in
                guard let path = diagnostics.string(fileNode, key) else { return nil }
                let resolved = resolvedPath(path)
                if options.checkCertificateFiles, !fileExists(resolved) {
                    diagnostics.report(fileNode, "observer \(key) file `\(path)` does not exist",
                                       hint: "paths are relative to \(options.baseDirectory ?? "the current working directory")")
                }
                return resolved
            }
        }
        guard reader.contains("certificate") || reader.contains("key") else { return (credentials, nil) }
        guard let chain = files[0], let key = files[1] else {
            if reader.contains("certificate") != reader.contains("key") {
                diagnostics.report(node, "observer.credentials needs both `certificate` and `key`",
                                   hint: "e.g. { certificate: Certs/devices/observer/chain.pem, key: Certs/devices/observer/key.pem }")
            }
            return (credentials, nil)
        }
        if !tls {
            diagnostics.report(node, "observer.credentials has a client certificate but the observers' broker is not TLS",
                               hint: "use an mqtts:// broker for the observers, or leave the certificate out")
        }
        return (credentials, DeviceIdentityFiles(chain: chain, key: key))
    }
}
