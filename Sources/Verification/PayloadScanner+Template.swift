import Scenario

extension PayloadScanner {
    /// A scanner for payloads rendered from `template`: the keys are the JSON keys
    /// written right before `{sequence}` and `{timestamp}` (e.g. `"Sequence":{sequence}`).
    /// Nil when the template has no `"key":{sequence}`, i.e. nothing to count.
    public init?(template: Template) {
        guard let sequenceKey = Self.jsonKey(before: .sequence, in: template.parts) else { return nil }
        self.init(sequenceKey: sequenceKey, timestampKey: Self.jsonKey(before: .timestamp, in: template.parts))
    }

    private static func jsonKey(before placeholder: Template.Part, in parts: [Template.Part]) -> String? {
        guard let position = parts.firstIndex(of: placeholder), position > 0,
              case .text(let text) = parts[position - 1]
        else { return nil }
        var rest = Substring(text)
        while let last = rest.last, last == " " { rest = rest.dropLast() }
        guard rest.last == ":" else { return nil }
        rest = rest.dropLast()
        while let last = rest.last, last == " " { rest = rest.dropLast() }
        guard rest.last == "\"" else { return nil }
        rest = rest.dropLast()
        guard let open = rest.lastIndex(of: "\"") else { return nil }
        let key = rest[rest.index(after: open)...]
        return key.isEmpty ? nil : String(key)
    }
}
