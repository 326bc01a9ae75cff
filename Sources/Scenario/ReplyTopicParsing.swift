import Yams

extension ScenarioParser {
    /// Where IoT Hub sends direct method requests, `$iothub/methods/POST/{name}/?$rid={rid}` (seed 002).
    static let methodRequestFilter = "$iothub/methods/POST/#"

    /// A `respond:` rule's topic: a topic name fixed per device, which may take `{rid}` — the `$rid` of the
    /// request it answers — when the rule answers IoT Hub direct method requests
    /// (`topic: "$iothub/methods/res/200/?$rid={rid}"`).
    func replyTopic(_ node: Node, on: Template, onNode: Node) -> Template? {
        guard let topic = template(node, "topic", scope: .replyTopic) else { return nil }
        if let problem = TopicRules.problemWithTopicName(topic.description) {
            diagnostics.report(node, "`topic`: \(problem)")
            return nil
        }
        if topic.parts.contains(.requestID),
           !TopicRules.filtersOverlap(TopicRules.wildcardFilter(for: on), Self.methodRequestFilter) {
            diagnostics.report(node, "`{rid}` is the `$rid` of an IoT Hub direct method request, but respond.on `\(on)` "
                               + "receives none",
                               hint: "answer on: \"\(Self.methodRequestFilter)\" (or one method's $iothub/methods/POST/<name>/#)")
            return nil
        }
        return topic
    }
}
