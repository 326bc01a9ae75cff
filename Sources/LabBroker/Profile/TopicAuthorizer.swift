import MQTTCore

/// Decides whether a client may publish to a topic or subscribe to a filter, from the profile's
/// permission templates.
///
/// `allows` resolves the templates on every call; the engine should resolve them once per connection
/// with `grants(for:)` and ask the result, which does no allocation per PUBLISH.
public struct TopicAuthorizer: Sendable {
    public let permissions: [TopicPermission]?
    private let templates: [Template]

    public init(permissions: [TopicPermission]?) {
        self.permissions = permissions
        self.templates = (permissions ?? []).map(Template.init)
    }

    /// For `.subscribe`, `topic` is a topic filter and must lie inside a granted filter.
    public func allows(_ action: TopicPermission.Action, _ topic: String, for client: ClientIdentity) -> Bool {
        grants(for: client).allows(action, topic)
    }

    /// The filters this client is granted, templates substituted.
    public func grants(for client: ClientIdentity) -> ClientGrants {
        guard permissions != nil else { return ClientGrants(publish: nil, subscribe: nil) }
        var publish: [String] = []
        var subscribe: [String] = []
        for template in templates {
            guard template.identityMatches(client.authenticationName),
                  let filter = template.resolve(for: client)
            else { continue }
            if template.actions.contains(.publish) { publish.append(filter) }
            if template.actions.contains(.subscribe) { subscribe.append(filter) }
        }
        return ClientGrants(publish: publish, subscribe: subscribe)
    }
}

/// One client's resolved grants: topic filters per action; nil means everything is allowed.
public struct ClientGrants: Sendable, Hashable {
    public let publishFilters: [String]?
    public let subscribeFilters: [String]?

    init(publish: [String]?, subscribe: [String]?) {
        publishFilters = publish
        subscribeFilters = subscribe
    }

    /// `.publish`: `topic` is a topic name matched by a granted filter. `.subscribe`: `topic` is a filter
    /// (a shared subscription is judged by its inner filter) lying entirely inside a granted filter.
    public func allows(_ action: TopicPermission.Action, _ topic: String) -> Bool {
        switch action {
        case .publish:
            guard let filters = publishFilters else { return true }
            return filters.contains { TopicRules.matches(filter: $0, topic: topic) }
        case .subscribe:
            guard let filters = subscribeFilters else { return true }
            return filters.contains { TopicRules.filter(topic, isWithin: $0) }
        }
    }
}

/// A permission with its template split at the placeholders, parsed once per profile.
private struct Template: Sendable {
    enum Piece: Sendable {
        case literal(String)
        case authenticationName
        case clientID
    }

    static let authenticationNamePlaceholder = "${client.authenticationName}"
    static let clientIDPlaceholder = "${client.clientId}"

    let pieces: [Piece]
    let actions: Set<TopicPermission.Action>
    let identity: [Substring]?

    init(_ permission: TopicPermission) {
        actions = permission.actions
        identity = permission.identity.map { $0.split(separator: "*", omittingEmptySubsequences: false) }
        var pieces: [Piece] = []
        var rest = permission.topicTemplate[...]
        while let start = rest.firstRange(of: "${client.") {
            let after = rest[start.lowerBound...]
            let piece: Piece
            let length: Int
            if after.hasPrefix(Self.authenticationNamePlaceholder) {
                piece = .authenticationName
                length = Self.authenticationNamePlaceholder.count
            } else if after.hasPrefix(Self.clientIDPlaceholder) {
                piece = .clientID
                length = Self.clientIDPlaceholder.count
            } else {
                // Not a placeholder we know: literal text (the loader refuses it in profile files).
                pieces.append(.literal(String(rest[..<start.upperBound])))
                rest = rest[start.upperBound...]
                continue
            }
            if start.lowerBound > rest.startIndex { pieces.append(.literal(String(rest[..<start.lowerBound]))) }
            pieces.append(piece)
            rest = after.dropFirst(length)
        }
        if !rest.isEmpty { pieces.append(.literal(String(rest))) }
        self.pieces = pieces
    }

    /// The filter for this client; nil when a substituted name contains `+`, `#` or `/`, which would
    /// otherwise widen the grant beyond the client's own level.
    func resolve(for client: ClientIdentity) -> String? {
        var filter = ""
        for piece in pieces {
            switch piece {
            case .literal(let text): filter += text
            case .authenticationName:
                guard Self.isSafeLevel(client.authenticationName) else { return nil }
                filter += client.authenticationName
            case .clientID:
                guard Self.isSafeLevel(client.clientID) else { return nil }
                filter += client.clientID
            }
        }
        return filter
    }

    private static func isSafeLevel(_ value: String) -> Bool {
        !value.utf8.contains { $0 == UInt8(ascii: "+") || $0 == UInt8(ascii: "#") || $0 == UInt8(ascii: "/") }
    }

    /// Glob on the authentication name: `*` is any run of characters, everything else literal.
    func identityMatches(_ name: String) -> Bool {
        guard let parts = identity else { return true }
        guard parts.count > 1 else { return name[...] == parts[0] }
        var rest = name[...]
        guard rest.hasPrefix(parts[0]) else { return false }
        rest = rest.dropFirst(parts[0].count)
        for middle in parts.dropFirst().dropLast() where !middle.isEmpty {
            guard let found = rest.firstRange(of: middle) else { return false }
            rest = rest[found.upperBound...]
        }
        let last = parts[parts.count - 1]
        return rest.count >= last.count && rest.hasSuffix(last)
    }
}
