/// Turns template text into a `Template`, rejecting unknown placeholders with a suggestion.
enum TemplateParser {
    /// Which placeholders a template may use.
    enum Scope {
        /// Client-ID patterns: `{index}`, `{index:0N}`, `{group}`.
        case clientID
        /// Topics, will and birth payloads, credentials: fixed per device.
        case perDevice
        /// Telemetry and one-off payloads: per device and per message.
        case perMessage
        /// A `respond:` rule's topic: per device, and what it captures of the request it answers: `{rid}`, its
        /// `$rid`, and `{method}`, its direct method name.
        case replyTopic
        /// A `respond:` rule's payload: per message, and the request's `{rid}` and `{method}`.
        case replyPayload

        var names: [String] {
            switch self {
            case .clientID: ["index", "group"]
            case .perDevice: ["clientId", "index", "group"]
            case .perMessage: ["clientId", "index", "group", "sequence", "timestamp", "uptimeMs", "random", "fill"]
            case .replyTopic: ["clientId", "index", "group", "rid", "method"]
            case .replyPayload: Scope.perMessage.names + ["rid", "method"]
            }
        }
    }

    struct Failure: Error {
        var problem: String
        var hint: String?
        /// 0-based offset in the text (in Unicode scalars) where the bad placeholder starts.
        var offset: Int
    }

    static let allNames = Scope.replyPayload.names

    static func parse(_ text: String, scope: Scope) -> Result<Template, Failure> {
        let scalars = Array(text.unicodeScalars)
        var parts: [Template.Part] = []
        var literal = ""
        var position = 0
        while position < scalars.count {
            let scalar = scalars[position]
            guard scalar == "{", let close = placeholderEnd(scalars, from: position) else {
                literal.unicodeScalars.append(scalar)
                position += 1
                continue
            }
            let body = String(String.UnicodeScalarView(scalars[(position + 1)..<close]))
            switch placeholder(body, scope: scope) {
            case .success(let part):
                parts.append(.text(literal))
                literal = ""
                parts.append(part)
            case .failure(var failure):
                failure.offset = position
                return .failure(failure)
            }
            position = close + 1
        }
        parts.append(.text(literal))
        return .success(Template(parts: parts))
    }

    /// The index of the `}` closing a placeholder that starts at `start`, if the text there looks like one:
    /// `{identifier}` or `{identifier:argument}` with no spaces, quotes or nested braces.
    private static func placeholderEnd(_ scalars: [Unicode.Scalar], from start: Int) -> Int? {
        var position = start + 1
        guard position < scalars.count, scalars[position].properties.isAlphabetic, scalars[position].isASCII else {
            return nil
        }
        while position < scalars.count {
            let scalar = scalars[position]
            if scalar == "}" { return position }
            let allowed = scalar.isASCII
                && (scalar.properties.isAlphabetic || ("0"..."9").contains(scalar) || scalar == ":" || scalar == "-")
            if !allowed { return nil }
            position += 1
        }
        return nil
    }

    /// `2048`, `600KiB`, `1MiB`, `500KB`, `1MB` or `100B` as bytes; nil when it is none of these.
    private static func fillSize(_ text: String) -> Int? {
        let units: [(String, Int)] = [("KiB", 1 << 10), ("MiB", 1 << 20), ("KB", 1000), ("MB", 1_000_000), ("B", 1)]
        let unit = units.first { text.hasSuffix($0.0) }
        let digits = text.dropLast(unit?.0.count ?? 0)
        guard !digits.isEmpty, digits.allSatisfy(\.isASCIIDigit), digits.count <= 9, let count = Int(digits) else { return nil }
        return count * (unit?.1 ?? 1)
    }

    private static func placeholder(_ body: String, scope: Scope) -> Result<Template.Part, Failure> {
        let pieces = body.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false)
        let name = String(pieces[0])
        let argument = pieces.count > 1 ? String(pieces[1]) : nil
        guard scope.names.contains(name) else {
            if allNames.contains(name) {
                return .failure(Failure(
                    problem: "placeholder `{\(name)}` cannot be used here",
                    hint: "allowed here: " + scope.names.map { "{\($0)}" }.joined(separator: ", "), offset: 0))
            }
            let near = Suggestions.nearest(to: name, in: scope.names)
            return .failure(Failure(
                problem: "unknown placeholder `{\(body)}`",
                hint: near.map { "did you mean `{\($0)}`?" }
                    ?? "allowed here: " + scope.names.map { "{\($0)}" }.joined(separator: ", "),
                offset: 0))
        }
        switch (name, argument) {
        case ("index", nil):
            return .success(.index(width: 0))
        case ("index", let width?):
            guard width.hasPrefix("0"), let digits = Int(width.dropFirst()), (1...12).contains(digits) else {
                return .failure(Failure(problem: "bad index format `{\(body)}`",
                                        hint: "write {index} or a zero-padded width such as {index:04}", offset: 0))
            }
            return .success(.index(width: digits))
        case ("random", let range?):
            let bounds = range.split(separator: "-", omittingEmptySubsequences: false)
            guard bounds.count == 2, let low = Int(bounds[0]), let high = Int(bounds[1]), low <= high else {
                return .failure(Failure(problem: "bad random range `{\(body)}`",
                                        hint: "write {random:MIN-MAX} with MIN ≤ MAX, e.g. {random:10-30}", offset: 0))
            }
            return .success(.random(low...high))
        case ("random", nil):
            return .failure(Failure(problem: "`{random}` needs a range",
                                    hint: "write {random:MIN-MAX}, e.g. {random:10-30}", offset: 0))
        case ("fill", let size?):
            guard let bytes = fillSize(size), (1...Template.maximumFill).contains(bytes) else {
                return .failure(Failure(problem: "bad fill size `{\(body)}`",
                                        hint: "write bytes (1 to 16 MiB): {fill:2048}, {fill:600KiB}, {fill:1MB}", offset: 0))
            }
            return .success(.fill(bytes))
        case ("fill", nil):
            return .failure(Failure(problem: "`{fill}` needs a size", hint: "write {fill:SIZE}, e.g. {fill:600KiB}", offset: 0))
        case (_, let extra?):
            return .failure(Failure(problem: "placeholder `{\(name)}` takes no argument (found `:\(extra)`)",
                                    hint: "write {\(name)}", offset: 0))
        case (_, nil):
            let simple: [String: Template.Part] = [
                "clientId": .clientID, "group": .group, "sequence": .sequence, "timestamp": .timestamp,
                "uptimeMs": .uptimeMs, "rid": .requestID, "method": .methodName,
            ]
            guard let part = simple[name] else {
                return .failure(Failure(problem: "unknown placeholder `{\(body)}`", hint: nil, offset: 0))
            }
            return .success(part)
        }
    }
}
