/// What a `respond:` rule can take from the request it answers, for its reply topic and payload: IoT Hub's
/// direct method requests arrive on `$iothub/methods/POST/{method}/?$rid={rid}` and are answered on
/// `$iothub/methods/res/{status}/?$rid={rid}` (seed 002: "the request ID must match the one in the request
/// message").
public struct RequestCaptures: Sendable, Hashable {
    /// `{rid}`: the `$rid` of the query that ends the request topic.
    public var requestID: Substring?
    /// `{method}`: the level after `$iothub/methods/POST/`.
    public var methodName: Substring?

    public init(requestID: Substring? = nil, methodName: Substring? = nil) {
        self.requestID = requestID
        self.methodName = methodName
    }

    public init(topic: String) {
        self.init(requestID: DeviceResponse.requestID(in: topic), methodName: Self.methodName(in: topic))
    }

    static let methodRequestPrefix = "$iothub/methods/POST/"

    /// The method name of a direct method request topic; nil for any other topic, or an empty name.
    static func methodName(in topic: String) -> Substring? {
        guard topic.hasPrefix(methodRequestPrefix) else { return nil }
        let rest = topic.dropFirst(methodRequestPrefix.count)
        let name = rest.prefix { $0 != "/" }
        return name.isEmpty ? nil : name
    }

    /// Whether every capture `template` names was found in the request.
    func covers(_ template: Template) -> Bool {
        for part in template.parts {
            if part == .requestID, requestID == nil { return false }
            if part == .methodName, methodName == nil { return false }
        }
        return true
    }

    /// `template` with its captures written in and every other placeholder as written.
    func render(_ template: Template) -> String {
        var text = ""
        for part in template.parts {
            switch part {
            case .requestID: text += requestID ?? ""
            case .methodName: text += methodName ?? ""
            default: text += Template.placeholderText(part)
            }
        }
        return text
    }
}

extension Template {
    /// Whether the template takes something from the request a `respond:` rule answers (`{rid}`, `{method}`).
    public var capturesRequest: Bool {
        parts.contains { $0 == .requestID || $0 == .methodName }
    }
}
