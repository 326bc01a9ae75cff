import MQTTCore

/// Receives what happens on one connection. Every callback runs on the connection's event loop,
/// synchronously, so device logic can react (publish, close) without a Task, an actor hop or a
/// thread per connection — the fleet drives tens of thousands of connections this way.
///
/// The handler keeps the delegate strongly until `didClose`, then lets it go.
public protocol MQTTConnectionDelegate: AnyObject {
    /// CONNACK accepted; requests can be made from here on.
    func connection(_ connection: MQTTConnectionHandler, didConnect info: MQTTConnAckInfo)
    /// An inbound application message (topic alias already resolved; QoS 2 delivered once).
    func connection(_ connection: MQTTConnectionHandler, didReceive publish: PublishPacket)
    /// A QoS 1/2 publish, subscribe or unsubscribe was acknowledged, or failed because the
    /// connection ended first.
    func connection(
        _ connection: MQTTConnectionHandler, didComplete request: MQTTRequestID,
        result: Result<MQTTRequestOutcome, MQTTClientError>)
    /// A packet over the configured limit was read past (or cut to the limit) rather than held, as the
    /// firmware being modelled does (`OversizedPacketHandling`).
    func connection(_ connection: MQTTConnectionHandler, didDiscardOversizedPacket report: MQTTOversizedPacketDiscarded)
    /// The connection is gone; the last callback.
    func connection(_ connection: MQTTConnectionHandler, didClose reason: MQTTCloseReason)
}

extension MQTTConnectionDelegate {
    public func connection(_ connection: MQTTConnectionHandler, didReceive publish: PublishPacket) {}
    public func connection(
        _ connection: MQTTConnectionHandler, didDiscardOversizedPacket report: MQTTOversizedPacketDiscarded
    ) {}
    public func connection(
        _ connection: MQTTConnectionHandler, didComplete request: MQTTRequestID,
        result: Result<MQTTRequestOutcome, MQTTClientError>
    ) {}
}
