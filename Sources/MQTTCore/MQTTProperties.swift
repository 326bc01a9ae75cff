import NIOCore

/// The ordered property list of a packet (or will). Order is kept as received so that re-encoding a
/// decoded packet reproduces it; accessors return the first occurrence of a property.
public struct MQTTProperties: Sendable, Hashable, Sequence, ExpressibleByArrayLiteral {
    public var elements: [MQTTProperty]

    public init(_ elements: [MQTTProperty] = []) { self.elements = elements }

    public init(arrayLiteral elements: MQTTProperty...) { self.elements = elements }

    public var isEmpty: Bool { elements.isEmpty }
    public var count: Int { elements.count }

    public func makeIterator() -> IndexingIterator<[MQTTProperty]> { elements.makeIterator() }

    public mutating func append(_ property: MQTTProperty) { elements.append(property) }

    /// Removes every occurrence of the property with `identifier`.
    public mutating func removeAll(_ identifier: MQTTPropertyIdentifier) {
        elements.removeAll { $0.identifier == identifier }
    }

    private func first<T>(_ extract: (MQTTProperty) -> T?) -> T? {
        for property in elements {
            if let value = extract(property) { return value }
        }
        return nil
    }

    public var payloadFormatIndicator: UInt8? {
        first { if case .payloadFormatIndicator(let v) = $0 { return v } else { return nil } }
    }
    public var messageExpiryInterval: UInt32? {
        first { if case .messageExpiryInterval(let v) = $0 { return v } else { return nil } }
    }
    public var contentType: String? {
        first { if case .contentType(let v) = $0 { return v } else { return nil } }
    }
    public var responseTopic: String? {
        first { if case .responseTopic(let v) = $0 { return v } else { return nil } }
    }
    public var correlationData: ByteBuffer? {
        first { if case .correlationData(let v) = $0 { return v } else { return nil } }
    }
    /// All Subscription Identifiers (a PUBLISH carries one per matching subscription).
    public var subscriptionIdentifiers: [UInt32] {
        elements.compactMap { if case .subscriptionIdentifier(let v) = $0 { return v } else { return nil } }
    }
    public var sessionExpiryInterval: UInt32? {
        first { if case .sessionExpiryInterval(let v) = $0 { return v } else { return nil } }
    }
    public var assignedClientIdentifier: String? {
        first { if case .assignedClientIdentifier(let v) = $0 { return v } else { return nil } }
    }
    public var serverKeepAlive: UInt16? {
        first { if case .serverKeepAlive(let v) = $0 { return v } else { return nil } }
    }
    public var authenticationMethod: String? {
        first { if case .authenticationMethod(let v) = $0 { return v } else { return nil } }
    }
    public var authenticationData: ByteBuffer? {
        first { if case .authenticationData(let v) = $0 { return v } else { return nil } }
    }
    public var willDelayInterval: UInt32? {
        first { if case .willDelayInterval(let v) = $0 { return v } else { return nil } }
    }
    public var responseInformation: String? {
        first { if case .responseInformation(let v) = $0 { return v } else { return nil } }
    }
    public var serverReference: String? {
        first { if case .serverReference(let v) = $0 { return v } else { return nil } }
    }
    public var reasonString: String? {
        first { if case .reasonString(let v) = $0 { return v } else { return nil } }
    }
    public var receiveMaximum: UInt16? {
        first { if case .receiveMaximum(let v) = $0 { return v } else { return nil } }
    }
    public var topicAliasMaximum: UInt16? {
        first { if case .topicAliasMaximum(let v) = $0 { return v } else { return nil } }
    }
    public var topicAlias: UInt16? {
        first { if case .topicAlias(let v) = $0 { return v } else { return nil } }
    }
    public var maximumQoS: QoS? {
        first { if case .maximumQoS(let v) = $0 { return v } else { return nil } }
    }
    public var retainAvailable: Bool? {
        first { if case .retainAvailable(let v) = $0 { return v } else { return nil } }
    }
    /// All User Properties in order; names may repeat.
    public var userProperties: [(name: String, value: String)] {
        elements.compactMap { if case .userProperty(let n, let v) = $0 { return (n, v) } else { return nil } }
    }
    /// The value of the first User Property called `name`, without building the whole list.
    public func userProperty(_ name: String) -> String? {
        first { if case .userProperty(let n, let v) = $0, n == name { return v } else { return nil } }
    }
    public var maximumPacketSize: UInt32? {
        first { if case .maximumPacketSize(let v) = $0 { return v } else { return nil } }
    }
    public var wildcardSubscriptionAvailable: Bool? {
        first { if case .wildcardSubscriptionAvailable(let v) = $0 { return v } else { return nil } }
    }
    public var subscriptionIdentifierAvailable: Bool? {
        first { if case .subscriptionIdentifierAvailable(let v) = $0 { return v } else { return nil } }
    }
    public var sharedSubscriptionAvailable: Bool? {
        first { if case .sharedSubscriptionAvailable(let v) = $0 { return v } else { return nil } }
    }
}
