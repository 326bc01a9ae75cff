import Yams

extension ScenarioParser {
    /// Where IoT Hub sends direct method requests, `$iothub/methods/POST/{name}/?$rid={rid}` (seed 002).
    static let methodRequestFilter = "$iothub/methods/POST/#"

    /// A `respond:` rule's topic: a topic name fixed per device, which may take `{rid}` — the `$rid` of the
    /// request it answers — and `{method}`, its method name, when the rule answers IoT Hub direct method
    /// requests (`topic: "$iothub/methods/res/200/?$rid={rid}"`). `filter` is nil when the rule's own filter is wrong: then nothing is said about what it receives.
    func replyTopic(_ node: Node, filter: Template?) -> Template? {
        guard let topic = template(node, "topic", scope: .replyTopic) else { return nil }
        if let problem = TopicRules.problemWithTopicName(topic.description) {
            diagnostics.report(node, "`topic`: \(problem)")
            return nil
        }
        return capturesAnswerable(topic, node, filter: filter) ? topic : nil
    }

    /// A `respond:` rule's payload: per-message placeholders, and the request's `{rid}` and `{method}` under
    /// the same condition as in the topic.
    func replyPayload(_ node: Node, filter: Template?) -> Template? {
        guard let payload = template(node, "payload", scope: .replyPayload, allowEmpty: true) else { return nil }
        return capturesAnswerable(payload, node, filter: filter) ? payload : nil
    }

    /// `{rid}` and `{method}` come from direct method requests, so the rule's `filter` must receive some.
    private func capturesAnswerable(_ template: Template, _ node: Node, filter: Template?) -> Bool {
        guard template.capturesRequest, let filter,
              !TopicRules.filtersOverlap(TopicRules.wildcardFilter(for: filter), Self.methodRequestFilter) else { return true }
        let what = template.parts.contains(.requestID)
            ? "`{rid}` is the `$rid` of an IoT Hub direct method request"
            : "`{method}` is the method name of an IoT Hub direct method request"
        diagnostics.report(node, "\(what), but respond.filter `\(filter)` receives none",
                           hint: "use filter: \"\(Self.methodRequestFilter)\" (or one method's $iothub/methods/POST/<name>/#)")
        return false
    }
}
