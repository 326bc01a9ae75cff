import AzureCredentials
import Yams

extension ScenarioParser {
    /// `telemetry.properties: { "$.ct": application/json, "$.ce": utf-8, site: plant-7 }`: IoT Hub message
    /// properties, which an MQTT device sends URL-encoded as the last level of its telemetry topic
    /// (`devices/{id}/messages/events/{property_bag}`, seed 002). The values are fixed, as the topic is.
    func telemetryPropertyBag(_ node: Node) -> String? {
        guard case .mapping(let mapping) = node else {
            diagnostics.report(node, "`properties` must map message property names to values, found \(node.kindDescription)",
                               hint: #"e.g. properties: { "$.ct": application/json, "$.ce": utf-8, site: plant-7 }"#)
            return nil
        }
        var pairs: [(name: String, value: String)] = []
        for (key, value) in mapping {
            guard let name = diagnostics.string(key, "property name"),
                  let text = template(value, name, scope: .perDevice, allowEmpty: true) else { continue }
            guard let literal = text.text else {
                diagnostics.report(value, "property `\(name)` is sent in the topic, which is fixed: `\(text)` has a placeholder",
                                   hint: "write the value itself; per-message values belong in the payload")
                continue
            }
            pairs.append((name, literal))
        }
        return pairs.isEmpty ? nil : Self.encodedPropertyBag(pairs)
    }

    /// `name=value&…`, each name and value percent-encoded as the Azure IoT device SDKs do (Python's
    /// `urllib.parse.quote` with nothing safe: every byte outside `A-Z a-z 0-9 - . _ ~`, so `$.ct` is `%24.ct`).
    static func encodedPropertyBag(_ pairs: [(name: String, value: String)]) -> String {
        var bytes: [UInt8] = []
        for (position, pair) in pairs.enumerated() {
            if position > 0 { bytes.append(PercentCoding.ampersand) }
            PercentCoding.encode(pair.name, into: &bytes)
            bytes.append(PercentCoding.equals)
            PercentCoding.encode(pair.value, into: &bytes)
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}

extension Template {
    /// The topic with a property bag as its last level (after a `/` unless the topic already ends with one).
    func appendingPropertyBag(_ bag: String) -> Template {
        let separator = description.hasSuffix("/") ? "" : "/"
        return Template(parts: parts + [.text(separator + bag)])
    }
}
