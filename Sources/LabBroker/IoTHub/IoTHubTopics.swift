import AzureCredentials

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
    /// Longest direct method name the operator may call (lab bound; it becomes a topic level).
    public static let maximumMethodNameBytes = 128

    private static let devicesPrefix: StaticString = "devices/"
    private static let eventsSuffix: StaticString = "/messages/events"
    private static let deviceboundSuffix: StaticString = "/messages/devicebound/#"
    private static let twinGetPrefix: StaticString = "$iothub/twin/GET/?"
    private static let reportedPatchPrefix: StaticString = "$iothub/twin/PATCH/properties/reported/?"
    private static let methodResponsePrefix: StaticString = "$iothub/methods/res/"
    private static let serviceFilters: [StaticString] = [
        "$iothub/twin/res/#", "$iothub/twin/PATCH/properties/desired/#", "$iothub/methods/POST/#",
    ]
    private static let requestIDName: StaticString = "$rid"
    private static let slash = UInt8(ascii: "/")
    private static let questionMark = UInt8(ascii: "?")

    /// `topic` as one of the documented device-to-hub topics of `deviceID`; nil for anything else,
    /// including another device's topics and a malformed property bag or `$rid`.
    public static func classify(_ topic: String, deviceID: String) -> DeviceMessage? {
        guard let parsed = parse(topic, deviceID: deviceID) else { return nil }
        let utf8 = topic.utf8
        func slice(_ range: Range<Int>) -> Substring {
            let lower = utf8.index(utf8.startIndex, offsetBy: range.lowerBound)
            return topic[lower..<utf8.index(lower, offsetBy: range.count)]
        }
        switch parsed {
        case .telemetry(let bag): return .telemetry(propertyBag: slice(bag))
        case .twinGet(let rid): return .twinGet(requestID: slice(rid))
        case .reportedPatch(let rid): return .reportedPatch(requestID: slice(rid))
        case .methodResponse(let status, let rid): return .methodResponse(status: status, requestID: slice(rid))
        }
    }

    /// Whether `topic` is a documented device-to-hub topic of `deviceID`: `classify` without building
    /// substrings, for the engine's check of every PUBLISH.
    public static func isDeviceTopic(_ topic: String, deviceID: String) -> Bool {
        parse(topic, deviceID: deviceID) != nil
    }

    /// Whether `filter` is one of the four documented filters for `deviceID`, byte for byte: IoT Hub
    /// allows no other wildcard use. A device ID containing `+` or `#` cannot subscribe to its
    /// cloud-to-device filter, since in a filter those would widen it to other devices' topics.
    public static func isAllowedSubscription(_ filter: String, deviceID: String) -> Bool {
        withBytes(filter) { bytes in
            var cursor = ByteCursor(bytes)
            if cursor.consume(devicesPrefix) {
                return withBytes(deviceID) { id in
                    isValidDeviceID(id) && !id.contains(UInt8(ascii: "+")) && !id.contains(UInt8(ascii: "#"))
                        && cursor.consume(id) && cursor.consume(deviceboundSuffix) && cursor.isAtEnd
                }
            }
            return serviceFilters.contains { literal in
                literal.withUTF8Buffer { $0.elementsEqual(bytes) }
            }
        }
    }

    /// IoT Hub's device ID rule: 1–128 ASCII letters, digits and `- : . + % _ # * ? ! ( ) , = @ ; $ '`.
    public static func isValidDeviceID(_ deviceID: String) -> Bool {
        withBytes(deviceID) { isValidDeviceID($0) }
    }

    /// A direct method name as it goes into a topic level: printable ASCII without space, `/`, `+`, `#`,
    /// `?` and the characters IoT Hub excludes from property names (`$ ( ) < > @ , ; : \ " [ ] = { }`).
    public static func isValidMethodName(_ name: String) -> Bool {
        let bytes = name.utf8
        guard !bytes.isEmpty, bytes.count <= maximumMethodNameBytes else { return false }
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

    /// A classified topic as byte ranges of it.
    private enum ParsedTopic {
        case telemetry(bag: Range<Int>)
        case twinGet(rid: Range<Int>)
        case reportedPatch(rid: Range<Int>)
        case methodResponse(status: Int, rid: Range<Int>)
    }

    private static func parse(_ topic: String, deviceID: String) -> ParsedTopic? {
        withBytes(topic) { bytes in
            var cursor = ByteCursor(bytes)
            if cursor.consume(devicesPrefix) {
                let matchesDevice = withBytes(deviceID) { id in isValidDeviceID(id) && cursor.consume(id) }
                guard matchesDevice, cursor.consume(eventsSuffix) else { return nil }
                if cursor.isAtEnd { return .telemetry(bag: cursor.rest) }
                guard cursor.consume(byte: slash) else { return nil }
                let bag = cursor.rest
                guard PercentCoding.isWellFormedBag(UnsafeBufferPointer(rebasing: bytes[bag])) else { return nil }
                return .telemetry(bag: bag)
            }
            if cursor.consume(twinGetPrefix) {
                return requestID(in: bytes, query: cursor.rest).map { .twinGet(rid: $0) }
            }
            if cursor.consume(reportedPatchPrefix) {
                return requestID(in: bytes, query: cursor.rest).map { .reportedPatch(rid: $0) }
            }
            if cursor.consume(methodResponsePrefix) {
                guard let status = cursor.consumeStatus(), cursor.consume(byte: slash), cursor.consume(byte: questionMark),
                    let rid = requestID(in: bytes, query: cursor.rest)
                else { return nil }
                return .methodResponse(status: status, rid: rid)
            }
            return nil
        }
    }

    /// The raw `$rid` of a service topic's query: present once, non-empty, at most
    /// `maximumRequestIDBytes`, in a well-formed query.
    private static func requestID(in bytes: UnsafeBufferPointer<UInt8>, query: Range<Int>) -> Range<Int>? {
        let queryBytes = UnsafeBufferPointer(rebasing: bytes[query])
        guard !queryBytes.isEmpty, PercentCoding.isWellFormedBag(queryBytes),
            let rid = requestIDName.withUTF8Buffer({ PercentCoding.valueRange(named: $0, in: queryBytes) }),
            !rid.isEmpty, rid.count <= maximumRequestIDBytes
        else { return nil }
        return (rid.lowerBound + query.lowerBound)..<(rid.upperBound + query.lowerBound)
    }

    private static func isValidDeviceID(_ id: UnsafeBufferPointer<UInt8>) -> Bool {
        guard !id.isEmpty, id.count <= maximumDeviceIDBytes else { return false }
        for byte in id {
            switch byte {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
                UInt8(ascii: "0")...UInt8(ascii: "9"),
                UInt8(ascii: "-"), UInt8(ascii: ":"), UInt8(ascii: "."), UInt8(ascii: "+"), UInt8(ascii: "%"),
                UInt8(ascii: "_"), UInt8(ascii: "#"), UInt8(ascii: "*"), UInt8(ascii: "?"), UInt8(ascii: "!"),
                UInt8(ascii: "("), UInt8(ascii: ")"), UInt8(ascii: ","), UInt8(ascii: "="), UInt8(ascii: "@"),
                UInt8(ascii: ";"), UInt8(ascii: "$"), UInt8(ascii: "'"):
                continue
            default:
                return false
            }
        }
        return true
    }

    /// The string's UTF-8 without copying it (a native string is already contiguous).
    private static func withBytes<Result>(_ string: String, _ body: (UnsafeBufferPointer<UInt8>) -> Result) -> Result {
        if let result = string.utf8.withContiguousStorageIfAvailable(body) { return result }
        var contiguous = string
        return contiguous.withUTF8(body)
    }
}

/// Reads a topic front to back.
private struct ByteCursor {
    let bytes: UnsafeBufferPointer<UInt8>
    private(set) var position = 0

    init(_ bytes: UnsafeBufferPointer<UInt8>) {
        self.bytes = bytes
    }

    var isAtEnd: Bool { position == bytes.count }
    var rest: Range<Int> { position..<bytes.count }

    mutating func consume(_ literal: StaticString) -> Bool {
        literal.withUTF8Buffer { consume($0) }
    }

    mutating func consume(_ expected: UnsafeBufferPointer<UInt8>) -> Bool {
        guard bytes.count - position >= expected.count else { return false }
        for offset in 0..<expected.count where bytes[position + offset] != expected[offset] {
            return false
        }
        position += expected.count
        return true
    }

    mutating func consume(byte: UInt8) -> Bool {
        guard position < bytes.count, bytes[position] == byte else { return false }
        position += 1
        return true
    }

    /// 1–9 decimal digits (IoT Hub: "status must be an integer").
    mutating func consumeStatus() -> Int? {
        var value = 0
        var digits = 0
        while position < bytes.count, bytes[position] >= UInt8(ascii: "0"), bytes[position] <= UInt8(ascii: "9") {
            guard digits < 9 else { return nil }
            value = value * 10 + Int(bytes[position] - UInt8(ascii: "0"))
            digits += 1
            position += 1
        }
        return digits > 0 ? value : nil
    }
}
