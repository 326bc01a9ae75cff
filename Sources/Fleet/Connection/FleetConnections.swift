import MQTTClient
import NIOCore
import NIOPosix
import Scenario

/// How the fleet's devices reach the broker: address, source addresses to bind, connect timeout.
/// Opens one `MQTTDeviceLink` per connection attempt.
public struct FleetConnections: DeviceLinkFactory, Sendable {
    public var host: String
    public var port: Int
    public var sources: SourceAddressPlan
    public var connectTimeout: Duration
    /// Seeds each link shaper's jitter.
    public var seed: UInt64

    public init(host: String, port: Int, sources: SourceAddressPlan, connectTimeout: Duration, seed: UInt64) {
        self.host = host
        self.port = port
        self.sources = sources
        self.connectTimeout = connectTimeout
        self.seed = seed
    }

    /// Plain TCP to the plan's broker, spreading devices over the planned source addresses.
    public static func plan(_ plan: Plan, sources: SourceAddressPlan) throws(FleetLimitError) -> FleetConnections {
        guard !plan.broker.tls else {
            throw FleetLimitError(problem: "\(plan.broker.url): TLS brokers are not supported by fleet run yet",
                                  hint: "use an mqtt:// listener")
        }
        return FleetConnections(host: plan.broker.host, port: plan.broker.port, sources: sources,
                                connectTimeout: plan.broker.connectTimeout, seed: plan.seed)
    }

    func open(
        device: DevicePlan, configuration: MQTTConnectionConfiguration, certificateFault: CertFaultKind?,
        shape: LinkShape, on eventLoop: any EventLoop, delegate: any DeviceLinkDelegate
    ) -> any DeviceLink {
        let shaper = LinkShapingHandler(shape: shape, random: SeededGenerator(seed: seed, stream: UInt64(device.ordinal) | 1 << 40))
        let link = MQTTDeviceLink(configuration: configuration, shaper: shaper, eventLoop: eventLoop, delegate: delegate)
        let maximumPacketSize = configuration.inboundPacketSizeLimit
        let shaperBox = NIOLoopBound(shaper, eventLoop: eventLoop)
        let linkBox = NIOLoopBound(link, eventLoop: eventLoop)
        var bootstrap = ClientBootstrap(group: eventLoop)
            .connectTimeout(TimeAmount(connectTimeout))
            .channelInitializer { channel in
                do {
                    try channel.pipeline.syncOperations.addHandler(shaperBox.value)
                    try channel.pipeline.syncOperations.addHandler(
                        ByteToMessageHandler(MQTTFrameDecoder(maximumPacketSize: maximumPacketSize)))
                    try channel.pipeline.syncOperations.addHandler(linkBox.value.handler)
                    return channel.eventLoop.makeSucceededVoidFuture()
                } catch {
                    return channel.eventLoop.makeFailedFuture(error)
                }
            }
        if let source = sources.address(forDevice: device.ordinal),
            let address = try? SocketAddress(ipAddress: source, port: 0)
        {
            bootstrap = bootstrap.bind(to: address)
        }
        link.connect(bootstrap: bootstrap, host: host, port: port)
        return link
    }
}
