/// The only topic names and filters IoT Hub's device endpoint knows (seed 002: "it only supports the
/// documented topic names and topic filters"), parsed byte by byte without allocating, and the topics the
/// hub publishes on.
public enum IoTHubTopics {
    /// What a device's PUBLISH is, by its topic. The substrings point into the topic.
    public enum DeviceMessage: Sendable, Hashable {
        /// `devices/{id}/messages/events[/][{property bag}]`; the bag is still encoded, maybe empty.
        case telemetry(propertyBag: Substring)
        /// `$iothub/twin/GET/?$rid={rid}`
        case twinGet(requestID: Substring)
        /// `$iothub/twin/PATCH/properties/reported/?$rid={rid}`
        case reportedPatch(requestID: Substring)
        /// `$iothub/methods/res/{status}/?$rid={rid}`
        case methodResponse(status: Int, requestID: Substring)
    }

    /// Longest `$rid` accepted from a device (lab bound: the rid is echoed in the response topic).
    public static let maximumRequestIDBytes = 128
    /// Device IDs are at most 128 characters (IoT Hub identity registry).
    public static let maximumDeviceIDBytes = 128

    private static let devicesPrefix = "devices/"
    private static let eventsSuffix = "/messages/events"
    private static let deviceboundSuffix = "/messages/devicebound/#"
    private static let twinGetPrefix = "$iothub/twin/GET/?"
    private static let reportedPatchPrefix = "$iothub/twin/PATCH/properties/reported/?"
    private static let methodResponsePrefix = "$iothub/methods/res/"
    private static let serviceFilters: [String] = [
        "$iothub/twin/res/#", "$iothub/twin/PATCH/properties/desired/#", "$iothub/methods/POST/#",
    ]
    private static let requestIDName = "$rid"
    private static let slash = UInt8(ascii: "/")
    private static let questionMark = UInt8(ascii: "?")

    /// `topic` as one of the documented device-to-hub topics of `deviceID`; nil for anything else,
    /// including another device's topics and a malformed property bag or `$rid`.
    public static func classify(_ topic: String, deviceID: String) -> DeviceMessage? {
        var rest = topic[...].utf8
        if consume(devicesPrefix, from: &rest) {
            guard isValidDeviceID(deviceID), consume(deviceID, from: &rest), consume(eventsSuffix, from: &rest)
            else { return nil }
            if rest.isEmpty { return .telemetry(propertyBag: Substring(rest)) }
            guard rest.first == slash else { return nil }
            let bag = rest.dropFirst()
            guard !bag.contains(slash), IoTHubPropertyBag.isWellFormed(bag) else { return nil }
            return .telemetry(propertyBag: Substring(bag))
        }
        if consume(twinGetPrefix, from: &rest) {
            return requestID(inQuery: rest).map { .twinGet(requestID: $0) }
        }
        if consume(reportedPatchPrefix, from: &rest) {
            return requestID(inQuery: rest).map { .reportedPatch(requestID: $0) }
        }
        if consume(methodResponsePrefix, from: &rest) {
            guard let statusEnd = rest.firstIndex(of: slash), let status = parseStatus(rest[..<statusEnd]) else {
                return nil
            }
            rest = rest[rest.index(after: statusEnd)...]
            guard rest.first == questionMark, let rid = requestID(inQuery: rest.dropFirst()) else { return nil }
            return .methodResponse(status: status, requestID: rid)
        }
        return nil
    }

    /// Whether `filter` is one of the four documented filters for `deviceID`, character for character:
    /// IoT Hub allows no other wildcard use. A device ID containing `+` or `#` cannot subscribe to its
    /// cloud-to-device filter, since in a filter those would widen it to other devices' topics.
    public static func isAllowedSubscription(_ filter: String, deviceID: String) -> Bool {
        var rest = filter[...].utf8
        if consume(devicesPrefix, from: &rest) {
            guard isValidDeviceID(deviceID), !deviceID.utf8.contains(where: { $0 == UInt8(ascii: "+") || $0 == UInt8(ascii: "#") })
            else { return false }
            return consume(deviceID, from: &rest) && consume(deviceboundSuffix, from: &rest) && rest.isEmpty
        }
        return serviceFilters.contains { filter.utf8.elementsEqual($0.utf8) }
    }

    /// IoT Hub's device ID rule: 1–128 ASCII letters, digits and `- : . + % _ # * ? ! ( ) , = @ ; $ '`.
    public static func isValidDeviceID(_ deviceID: String) -> Bool {
        let bytes = deviceID.utf8
        guard !bytes.isEmpty, bytes.count <= maximumDeviceIDBytes else { return false }
        return bytes.allSatisfy { byte in
            switch byte {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
                UInt8(ascii: "0")...UInt8(ascii: "9"):
                return true
            default:
                return "-:.+%_#*?!(),=@;$'".utf8.contains(byte)
            }
        }
    }

    /// A direct method name as it goes into a topic level: printable ASCII without space, `/`, `+`, `#`,
    /// `?` and the characters IoT Hub excludes from property names (`$ ( ) < > @ , ; : \ " [ ] = { }`).
    public static func isValidMethodName(_ name: String) -> Bool {
        let bytes = name.utf8
        guard !bytes.isEmpty, bytes.count <= maximumRequestIDBytes else { return false }
        return bytes.allSatisfy { byte in
            byte > 0x20 && byte < 0x7F && !"$()<>@,;:\\\"/[]?={}+#".utf8.contains(byte)
        }
    }

    // MARK: Topics the hub publishes

    /// `$iothub/twin/res/{status}/?$rid={rid}` with `&$version={v}` after a reported patch.
    public static func twinResponse(status: Int, requestID: Substring, version: Int? = nil) -> String {
        var topic = "$iothub/twin/res/\(status)/?$rid=\(requestID)"
        if let version { topic += "&$version=\(version)" }
        return topic
    }

    /// `$iothub/twin/PATCH/properties/desired/?$version={v}`
    public static func desiredPatch(version: Int) -> String {
        "$iothub/twin/PATCH/properties/desired/?$version=\(version)"
    }

    /// `$iothub/methods/POST/{name}/?$rid={rid}`
    public static func methodRequest(name: String, requestID: String) -> String {
        "$iothub/methods/POST/\(name)/?$rid=\(requestID)"
    }

    /// `devices/{id}/messages/devicebound/{property bag}` (the bag empty when there are no properties).
    public static func cloudToDevice(deviceID: String, properties: IoTHubPropertyBag) -> String {
        "devices/\(deviceID)/messages/devicebound/\(properties.encoded)"
    }

    // MARK: Parsing

    private static func consume(_ literal: String, from rest: inout Substring.UTF8View) -> Bool {
        guard rest.starts(with: literal.utf8) else { return false }
        rest = rest.dropFirst(literal.utf8.count)
        return true
    }

    /// The raw `$rid` of a service topic's query: present once, non-empty, at most
    /// `maximumRequestIDBytes`, in a well-formed query.
    private static func requestID(inQuery query: Substring.UTF8View) -> Substring? {
        guard let rid = IoTHubPropertyBag.rawValue(of: requestIDName, inQuery: Substring(query)),
            !rid.isEmpty, rid.utf8.count <= maximumRequestIDBytes
        else { return nil }
        return rid
    }

    /// 1–9 decimal digits (IoT Hub: "status must be an integer").
    private static func parseStatus(_ digits: Substring.UTF8View) -> Int? {
        guard !digits.isEmpty, digits.count <= 9 else { return nil }
        var value = 0
        for byte in digits {
            guard byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") else { return nil }
            value = value * 10 + Int(byte - UInt8(ascii: "0"))
        }
        return value
    }
}
