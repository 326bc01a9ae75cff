import Yams

extension ScenarioParser {
    /// Where IoT Hub answers twin requests (seed 002: "a device subscribes to $iothub/twin/res/#").
    static let twinResponseFilter = "$iothub/twin/res/#"

    /// `twin: { get: on-connect | never, report: { payload: '{"firmware":"1.2"}', every: 30s }, qos: 0 }`; the
    /// group must subscribe to the responses, or no request could be answered.
    func twinSpec(_ node: Node, rules: PublishRules, subscriptions: [SubscriptionSpec]) -> TwinSpec? {
        guard let reader = MappingReader(node, what: "twin", allowed: ["get", "report", "qos"], diagnostics: diagnostics)
        else { return nil }
        var spec = TwinSpec()
        if let getNode = reader["get"], let get = diagnostics.choice(getNode, "get", as: TwinGet.self) {
            spec.getOnConnect = get == .onConnect
        }
        if let reportNode = reader["report"] {
            guard let report = twinReport(reportNode) else { return nil }
            spec.report = report
        }
        if let qosNode = reader["qos"] {
            guard let qos = publishQoS(qosNode, rules: rules) else { return nil }
            spec.qos = qos
        }
        if !spec.getOnConnect, spec.report == nil {
            diagnostics.report(node, "`twin` sends nothing", hint: "use get: on-connect, or add report: { payload: … }")
            return nil
        }
        let subscribed = subscriptions.contains {
            TopicRules.filtersOverlap(TopicRules.wildcardFilter(for: $0.filter), Self.twinResponseFilter)
        }
        if !subscribed {
            diagnostics.report(node, "the hub answers twin requests on \(Self.twinResponseFilter), which the group does not subscribe to",
                               hint: "add \"\(Self.twinResponseFilter)\" to `subscribe:`")
        }
        return spec
    }

    private func twinReport(_ node: Node) -> TwinReportSpec? {
        guard let reader = MappingReader(node, what: "twin.report", allowed: ["payload", "every"], diagnostics: diagnostics),
              let payloadNode = reader.required("payload", hint: #"the reported properties, e.g. '{"firmware":"1.2"}'"#),
              let payload = template(payloadNode, "payload", scope: .perMessage)
        else { return nil }
        let every = reader["every"].flatMap { diagnostics.duration($0, "every", positive: true) }
        if reader.contains("every"), every == nil { return nil }
        return TwinReportSpec(payload: payload, every: every)
    }
}

/// The spellings of `twin.get`.
enum TwinGet: String, CaseIterable {
    case onConnect = "on-connect"
    case never
}
