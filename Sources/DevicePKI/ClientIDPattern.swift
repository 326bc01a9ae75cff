/// A client ID template such as `XiaoTandHandCO2-{index:05}`.
///
/// Syntax: literal text with placeholders `{index}` (the decimal index) and `{index:0N}` (zero-padded
/// to N digits; `{index:N}` pads the same way). `{{` and `}}` stand for literal braces.
public struct ClientIDPattern: Sendable, Hashable {
    enum Part: Sendable, Hashable {
        case literal(String)
        case index(width: Int)
    }

    public let text: String
    let parts: [Part]

    /// Whether the pattern varies with the index; a pattern without `{index}` names a single device.
    public var containsIndex: Bool {
        parts.contains { if case .index = $0 { return true } else { return false } }
    }

    public init(_ text: String) throws {
        self.text = text
        var parts: [Part] = []
        var literal = ""
        var rest = Substring(text)
        func fail(_ reason: String) -> PKIError { .invalidPattern(pattern: text, reason: reason) }
        while let character = rest.first {
            if rest.hasPrefix("{{") || rest.hasPrefix("}}") {
                literal.append(character)
                rest = rest.dropFirst(2)
            } else if character == "{" {
                guard let close = rest.firstIndex(of: "}") else { throw fail("'{' is never closed") }
                let placeholder = rest[rest.index(after: rest.startIndex)..<close]
                parts.append(.literal(literal))
                literal = ""
                parts.append(.index(width: try Self.width(of: placeholder, fail: fail)))
                rest = rest[rest.index(after: close)...]
            } else if character == "}" {
                throw fail("'}' without '{' (write '}}' for a literal brace)")
            } else {
                literal.append(character)
                rest = rest.dropFirst()
            }
        }
        parts.append(.literal(literal))
        self.parts = parts.filter { $0 != .literal("") }
    }

    /// The client ID for one index.
    public func clientID(forIndex index: Int) -> String {
        var result = ""
        for part in parts {
            switch part {
            case .literal(let text):
                result += text
            case .index(let width):
                let digits = String(index)
                if digits.count < width { result += String(repeating: "0", count: width - digits.count) }
                result += digits
            }
        }
        return result
    }

    private static func width(of placeholder: Substring, fail: (String) -> PKIError) throws -> Int {
        if placeholder == "index" { return 0 }
        guard placeholder.hasPrefix("index:") else {
            throw fail("unknown placeholder '{\(placeholder)}'; use {index} or {index:05}")
        }
        let format = placeholder.dropFirst("index:".count)
        guard let width = Int(format), width >= 0, width <= 20, format.allSatisfy(\.isNumber) else {
            throw fail("'{\(placeholder)}' needs a width such as {index:05}")
        }
        return width
    }
}
