import NIOCore

/// One level of the retained-message trie.
final class RetainedNode {
    var children: [Substring: RetainedNode] = [:]
    var message: RoutedMessage?
}

/// The retained messages, in a trie by topic level, so a new subscription finds its matches by walking
/// its filter instead of testing every retained topic (§3.3.1.3).
///
/// Topic names may have thousands of levels, so storing and the `#` walk are iterative; only `+`
/// recurses, and a filter's depth is bounded by `SubscriptionIndex.maximumFilterLevels`.
final class RetainedMessages {
    private let root = RetainedNode()
    private(set) var count = 0
    let maximumCount: Int

    init(maximumCount: Int) {
        self.maximumCount = maximumCount
    }

    /// Keeps `message` as its topic's retained message; an empty payload deletes it instead (§3.3.1.3).
    /// A new topic beyond `maximumCount` is not stored.
    func store(_ message: RoutedMessage) {
        guard message.payload.readableBytes > 0 else {
            remove(topic: message.topic)
            return
        }
        guard count < maximumCount || contains(topic: message.topic) else { return }
        var node = root
        for level in TopicLevels(message.topic) {
            if let child = node.children[level] {
                node = child
            } else {
                let child = RetainedNode()
                node.children[level] = child
                node = child
            }
        }
        if node.message == nil { count += 1 }
        var kept = message
        kept.retain = true
        node.message = kept
    }

    private func contains(topic: String) -> Bool {
        var node = root
        for level in TopicLevels(topic) {
            guard let child = node.children[level] else { return false }
            node = child
        }
        return node.message != nil
    }

    func remove(topic: String) {
        var path: [(parent: RetainedNode, level: Substring)] = []
        var node = root
        for level in TopicLevels(topic) {
            guard let child = node.children[level] else { return }
            path.append((node, level))
            node = child
        }
        guard node.message != nil else { return }
        node.message = nil
        count -= 1
        for (parent, level) in path.reversed() {
            guard let child = parent.children[level], child.message == nil, child.children.isEmpty else { break }
            parent.children[level] = nil
        }
    }

    /// Calls `body` with every retained message whose topic `filter` matches; a leading wildcard does
    /// not match topics starting with `$` (§4.7.2).
    func forEachMatch(filter: String, _ body: (RoutedMessage) -> Void) {
        let levels = Array(TopicLevels(filter))
        visit(root, levels: levels, index: 0, body)
    }

    private func visit(_ node: RetainedNode, levels: [Substring], index: Int, _ body: (RoutedMessage) -> Void) {
        guard index < levels.count else {
            if let message = node.message { body(message) }
            return
        }
        let level = levels[index]
        let atRoot = index == 0
        switch level {
        case "#":
            if let message = node.message { body(message) }
            var pending: [RetainedNode] = []
            for (key, child) in node.children where !(atRoot && key.hasPrefix("$")) { pending.append(child) }
            while let next = pending.popLast() {
                if let message = next.message { body(message) }
                pending.append(contentsOf: next.children.values)
            }
        case "+":
            for (key, child) in node.children where !(atRoot && key.hasPrefix("$")) {
                visit(child, levels: levels, index: index + 1, body)
            }
        default:
            if let child = node.children[level] { visit(child, levels: levels, index: index + 1, body) }
        }
    }
}
