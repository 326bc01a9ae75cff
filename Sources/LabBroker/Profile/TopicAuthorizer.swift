/// Decides whether a client may publish to a topic or subscribe to a filter, from the profile's
/// permission templates.
public struct TopicAuthorizer: Sendable {
    public let permissions: [TopicPermission]?

    public init(permissions: [TopicPermission]?) {
        self.permissions = permissions
    }

    /// For `.subscribe`, `topic` is a topic filter and must lie inside a granted filter.
    public func allows(_ action: TopicPermission.Action, _ topic: String, for client: ClientIdentity) -> Bool {
        true
    }
}
