import Foundation
import Yams

extension ScenarioParser {
    /// Keys of an `iothub` step besides `select` and `group`: exactly one of `c2d`, `desired`, `method`.
    static let iotHubStepKeys = ["c2d", "properties", "desired", "method", "payload", "timeout"]
    private static let iotHubRequestKeys = ["c2d", "desired", "method"]

    /// `{ c2d: text, properties: { name: value } }`, `{ desired: '{"json": 1}' }` or
    /// `{ method: name, payload: '{"json": 1}', timeout: 10s }`. Only the lab broker's IoT Hub profile has a
    /// service side to send them from, so any other broker refuses the step.
    func iotHubRequest(_ reader: MappingReader, broker: BrokerSpec?) -> IoTHubRequestSpec? {
        if let broker, broker.lab != "iothub", !options.iotHubStepsSentByCoordinator {
            let aimedAt = broker.lab.map { "the lab broker's `\($0)` profile" } ?? broker.url
            diagnostics.report(reader.node, "an `iothub` step needs the lab broker's IoT Hub profile, but the broker is \(aimedAt)",
                               hint: "set `broker: lab:iothub` (or run with --broker lab:iothub): the fleet sends these as the hub's "
                                   + "service side, which only the lab broker has")
            return nil
        }
        let requests = reader.presentKeys.filter { Self.iotHubRequestKeys.contains($0.key) }
        guard let (kind, _) = requests.first else {
            diagnostics.report(reader.node, "`iothub` sends nothing",
                               hint: "give exactly one of c2d: <message>, desired: <JSON patch>, method: <name>")
            return nil
        }
        for extra in requests.dropFirst() {
            diagnostics.report(extra.node, "`iothub` has both `\(kind)` and `\(extra.key)`",
                               hint: "one request per step; put `\(extra.key)` in its own step")
        }
        let belongs = ["properties": "c2d", "payload": "method", "timeout": "method"]
        for (key, owner) in belongs where reader.contains(key) && owner != kind {
            diagnostics.report(reader.keyNode(key), "`\(key)` belongs to `\(owner)`, not to `\(kind)`")
        }
        guard let value = reader[kind] else { return nil }
        switch kind {
        case "c2d":
            guard let payload = template(value, "c2d", scope: .perMessage, allowEmpty: true) else { return nil }
            let properties = reader["properties"].map(iotHubProperties) ?? []
            return .cloudToDevice(payload: payload, properties: properties)
        case "desired":
            guard let patch = template(value, "desired", scope: .perMessage),
                  checkJSON(patch, value, "desired", objectOnly: true) else { return nil }
            return .desired(patch: patch)
        default:
            guard let name = diagnostics.string(value, "method") else { return nil }
            guard Self.isMethodName(name) else {
                diagnostics.report(value, "`\(name)` is not a direct method name",
                                   hint: "1 to \(IoTHubStepLimits.methodNameBytes) printable ASCII characters without spaces "
                                       + "or any of $()<>@,;:\\\"/[]?={}+#")
                return nil
            }
            let payload = reader["payload"].flatMap { template($0, "payload", scope: .perMessage, allowEmpty: true) }
                ?? Template(literal: "")
            if let payloadNode = reader["payload"], !checkJSON(payload, payloadNode, "payload", objectOnly: false) {
                return nil
            }
            var timeout: Duration?
            if let timeoutNode = reader["timeout"] {
                guard let value = diagnostics.duration(timeoutNode, "timeout") else { return nil }
                let range = IoTHubStepLimits.methodTimeout
                guard range.contains(value) else {
                    diagnostics.report(timeoutNode, "`timeout` is \(Quantities.format(value)); IoT Hub takes "
                                       + "\(Quantities.format(range.lowerBound)) to \(Quantities.format(range.upperBound))",
                                       hint: "leave it out for IoT Hub's default of 30s")
                    return nil
                }
                timeout = value
            }
            return .method(name: name, payload: payload, timeout: timeout)
        }
    }

    /// `properties: { kind: cmd, origin: "{group}" }`, in file order.
    private func iotHubProperties(_ node: Node) -> [IoTHubPropertySpec] {
        guard case .mapping(let mapping) = node else {
            diagnostics.report(node, "`properties` must map property names to values, found \(node.kindDescription)",
                               hint: "e.g. properties: { kind: command }")
            return []
        }
        return mapping.compactMap { key, value -> IoTHubPropertySpec? in
            guard let name = diagnostics.string(key, "property name"),
                  let text = template(value, name, scope: .perMessage, allowEmpty: true) else { return nil }
            return IoTHubPropertySpec(name: name, value: text)
        }
    }

    /// A JSON body (an object when `objectOnly`; empty allowed otherwise), checked on a sample rendering so a
    /// placeholder outside quotes is caught before the run.
    private func checkJSON(_ template: Template, _ node: Node, _ key: String, objectOnly: Bool) -> Bool {
        var random = SeededGenerator(seed: 0)
        let sample = template.binding(clientID: "device", index: 1, group: "group")
            .render(sequence: 0, timestampMilliseconds: 0, uptimeMilliseconds: 0, random: &random)
        if !objectOnly, sample.isEmpty { return true }
        let parsed = try? JSONSerialization.jsonObject(with: Data(sample.utf8), options: [.fragmentsAllowed])
        guard let parsed, !objectOnly || parsed is [String: Any] else {
            diagnostics.report(node, "`\(key)` is not " + (objectOnly ? "a JSON object" : "JSON"),
                               hint: objectOnly ? #"quote it in single quotes, e.g. '{"interval": 5}'"#
                                   : #"a JSON value or nothing, e.g. '{"delay": 1}'"#)
            return false
        }
        return true
    }

    /// Printable ASCII without space or the characters IoT Hub excludes from names; it becomes a topic level.
    static func isMethodName(_ name: String) -> Bool {
        let bytes = name.utf8
        guard !bytes.isEmpty, bytes.count <= IoTHubStepLimits.methodNameBytes else { return false }
        return bytes.allSatisfy { $0 > 0x20 && $0 < 0x7F && !#"$()<>@,;:\"/[]?={}+#"#.utf8.contains($0) }
    }
}
