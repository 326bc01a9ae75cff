import MQTTCore

/// A subscription as granted: what the SUBACK gave and the options that steer each delivery.
struct SubscriptionOptions: Hashable {
    /// min(requested, profile maximum).
    var qos: QoS
    var noLocal: Bool
    var retainAsPublished: Bool
    var retainHandling: Subscription.RetainHandling
    /// The SUBSCRIBE's Subscription Identifier (MQTT 5 §3.8.2.1.2), carried by every matching PUBLISH.
    var identifier: UInt32?
}

/// One session on one filter.
struct Subscriber {
    let session: BrokerSession
    var options: SubscriptionOptions
}

/// The members of one `$share/{ShareName}/{filter}` group; each message goes to one of them.
final class SharedGroup {
    private(set) var members: [Subscriber] = []
    private var cursor = 0

    var isEmpty: Bool { members.isEmpty }

    /// Adds or replaces `subscriber`; true when it replaced an existing membership.
    func upsert(_ subscriber: Subscriber) -> Bool {
        if let index = members.firstIndex(where: { $0.session === subscriber.session }) {
            members[index] = subscriber
            return true
        }
        members.append(subscriber)
        return false
    }

    func remove(_ session: BrokerSession) -> Bool {
        guard let index = members.firstIndex(where: { $0.session === session }) else { return false }
        members.remove(at: index)
        if cursor > index { cursor -= 1 }
        return true
    }

    /// The next member in round-robin order, preferring one that is connected (MQTT 5 §4.8.2 leaves the
    /// choice to the server; a connected member gets the message now instead of queueing it).
    func nextMember() -> Subscriber? {
        guard !members.isEmpty else { return nil }
        for step in 0..<members.count {
            let index = (cursor + step) % members.count
            if members[index].session.connection != nil {
                cursor = (index + 1) % members.count
                return members[index]
            }
        }
        let index = cursor % members.count
        cursor = (index + 1) % members.count
        return members[index]
    }
}

/// One level of the subscription trie.
final class TopicNode {
    var children: [Substring: TopicNode] = [:]
    /// The `+` child.
    var singleLevel: TopicNode?
    /// The `#` child: a leaf whose subscribers match this level and everything below it.
    var multiLevel: TopicNode?
    var subscribers: [ObjectIdentifier: Subscriber] = [:]
    var sharedGroups: [String: SharedGroup] = [:]

    var isUnused: Bool {
        children.isEmpty && singleLevel == nil && multiLevel == nil && subscribers.isEmpty && sharedGroups.isEmpty
    }
}

/// Every subscription, in a trie by topic level with `+` and `#` nodes, so routing a message visits
/// only the branches its topic can match instead of scanning every subscription.
final class SubscriptionIndex {
    /// Deepest filter accepted. It bounds the trie's depth, hence the recursion of a match, whatever
    /// a hostile topic name looks like.
    static let maximumFilterLevels = 128

    private let root = TopicNode()
    /// Subscriptions held (shared memberships included).
    private(set) var count = 0

    /// Adds or replaces `subscriber`'s subscription on `filter` (the inner filter of a shared one).
    /// Returns true when it replaced an existing subscription.
    @discardableResult
    func insert(filter: String, shareName: String?, _ subscriber: Subscriber) -> Bool {
        var node = root
        for level in TopicLevels(filter) {
            node = child(of: node, level: level)
        }
        let replaced: Bool
        if let shareName {
            let group = node.sharedGroups[shareName] ?? {
                let group = SharedGroup()
                node.sharedGroups[shareName] = group
                return group
            }()
            replaced = group.upsert(subscriber)
        } else {
            replaced = node.subscribers.updateValue(subscriber, forKey: ObjectIdentifier(subscriber.session)) != nil
        }
        if !replaced { count += 1 }
        return replaced
    }

    /// Removes `session`'s subscription on `filter`; false when it had none. Emptied nodes are pruned.
    @discardableResult
    func remove(filter: String, shareName: String?, session: BrokerSession) -> Bool {
        var path: [(parent: TopicNode, level: Substring)] = []
        var node = root
        for level in TopicLevels(filter) {
            guard let next = existingChild(of: node, level: level) else { return false }
            path.append((node, level))
            node = next
        }
        let removed: Bool
        if let shareName {
            guard let group = node.sharedGroups[shareName] else { return false }
            removed = group.remove(session)
            if group.isEmpty { node.sharedGroups[shareName] = nil }
        } else {
            removed = node.subscribers.removeValue(forKey: ObjectIdentifier(session)) != nil
        }
        guard removed else { return false }
        count -= 1
        for (parent, level) in path.reversed() {
            guard let child = existingChild(of: parent, level: level), child.isUnused else { break }
            detach(level, from: parent)
        }
        return true
    }

    /// Calls `body` with every node whose subscriptions match `topic`. A topic starting with `$` is not
    /// matched by a filter starting with a wildcard (§4.7.2).
    func forEachMatch(topic: String, _ body: (TopicNode) -> Void) {
        let excludeWildcardsAtRoot = topic.utf8.first == UInt8(ascii: "$")
        visit(root, topic: topic, from: topic.startIndex, atEnd: false, isRoot: true,
              excludeWildcardsAtRoot: excludeWildcardsAtRoot, body)
    }

    private func visit(
        _ node: TopicNode, topic: String, from start: String.Index, atEnd: Bool, isRoot: Bool,
        excludeWildcardsAtRoot: Bool, _ body: (TopicNode) -> Void
    ) {
        let wildcardsAllowed = !(isRoot && excludeWildcardsAtRoot)
        // "#" also matches the parent level: "a/#" matches "a" (§4.7.1.2).
        if wildcardsAllowed, let multi = node.multiLevel { body(multi) }
        if atEnd {
            body(node)
            return
        }
        let utf8 = topic.utf8
        let slash = utf8[start...].firstIndex(of: UInt8(ascii: "/"))
        let end = slash ?? utf8.endIndex
        let level = topic[start..<end]
        let next = slash.map { utf8.index(after: $0) } ?? end
        let last = slash == nil
        if let child = node.children[level] {
            visit(child, topic: topic, from: next, atEnd: last, isRoot: false, excludeWildcardsAtRoot: false, body)
        }
        if wildcardsAllowed, let single = node.singleLevel {
            visit(single, topic: topic, from: next, atEnd: last, isRoot: false, excludeWildcardsAtRoot: false, body)
        }
    }

    private func child(of node: TopicNode, level: Substring) -> TopicNode {
        if let existing = existingChild(of: node, level: level) { return existing }
        let created = TopicNode()
        switch level {
        case "+": node.singleLevel = created
        case "#": node.multiLevel = created
        default: node.children[level] = created
        }
        return created
    }

    private func existingChild(of node: TopicNode, level: Substring) -> TopicNode? {
        switch level {
        case "+": return node.singleLevel
        case "#": return node.multiLevel
        default: return node.children[level]
        }
    }

    private func detach(_ level: Substring, from node: TopicNode) {
        switch level {
        case "+": node.singleLevel = nil
        case "#": node.multiLevel = nil
        default: node.children[level] = nil
        }
    }
}
