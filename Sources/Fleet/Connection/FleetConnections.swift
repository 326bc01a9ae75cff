import DevicePKI
import MQTTClient
import NIOCore
import NIOPosix
import Scenario

/// How the fleet's devices reach the broker: address, transport (TCP or WebSocket), TLS (one context per
/// identity, built off the event loops and cached), source addresses to bind, connect timeout. Opens one
/// `MQTTDeviceLink` per connection attempt through `MQTTConnector`.
public struct FleetConnections: DeviceLinkFactory, Sendable {
    public var host: String
    public var port: Int
    public var sources: SourceAddressPlan
    public var connectTimeout: Duration
    /// MQTT straight over TCP/TLS, or in WebSocket frames.
    public var transport: MQTTTransport
    /// nil = plain TCP. Device identities are added per device from its credentials.
    public var tls: TLSSettings?
    /// Seeds each link shaper's jitter.
    public var seed: UInt64
    /// The run's folder of faulty identities for `cert-fault` steps (see `CertificateFaultIdentities`).
    public var certificateFaults: String?
    private let contexts: MQTTTLSContextCache
    private let threadPool: NIOThreadPool

    public init(host: String, port: Int, sources: SourceAddressPlan, connectTimeout: Duration,
                transport: MQTTTransport = .tcp, tls: TLSSettings?, seed: UInt64, threadPool: NIOThreadPool = .singleton) {
        self.host = host
        self.port = port
        self.sources = sources
        self.connectTimeout = connectTimeout
        self.transport = transport
        self.tls = tls
        self.seed = seed
        self.contexts = MQTTTLSContextCache()
        self.threadPool = threadPool
    }

    /// The plan's broker, spreading devices over `sources`; `certificateFaults` is the run's folder the
    /// `cert-fault` steps' identities were issued into.
    public static func plan(_ plan: Plan, sources: SourceAddressPlan, certificateFaults: String? = nil) -> FleetConnections {
        var connections = broker(plan.broker, sources: sources, seed: plan.seed)
        connections.certificateFaults = certificateFaults
        return connections
    }

    /// Where the fleet's own connections go — the observers, and the controller that sends timeline
    /// `publish` steps: the observers' broker when the plan names one (a listener without the devices'
    /// ACL or client certificates), else the devices' broker; with the observers' client certificate if any.
    public static func fleetOwn(_ plan: Plan) -> FleetConnections {
        var connections = broker(plan.observer.broker ?? plan.broker, sources: SourceAddressPlan(addresses: []),
                                 seed: plan.seed)
        if let identity = plan.observer.identity {
            connections.tls?.certificateChainFile = identity.chain
            connections.tls?.privateKeyFile = identity.key
        }
        return connections
    }

    static func broker(_ broker: BrokerSpec, sources: SourceAddressPlan, seed: UInt64) -> FleetConnections {
        var tls: TLSSettings?
        if broker.tls {
            let verification: TLSSettings.Verification = switch broker.verification {
            case .full: .fullVerification
            case .noHostname: .noHostnameVerification
            case .none: .none
            }
            tls = TLSSettings(caFiles: broker.caFile.map { [$0] } ?? [], serverName: broker.serverName,
                              verification: verification, applicationProtocols: broker.alpn)
        }
        let transport: MQTTTransport = broker.webSocketPath.map { .webSocket(MQTTWebSocketSettings(path: $0)) } ?? .tcp
        return FleetConnections(host: broker.host, port: broker.port, sources: sources,
                                connectTimeout: broker.connectTimeout, transport: transport, tls: tls, seed: seed)
    }

    /// Where one connection goes, from `localAddress` when given.
    public func endpoint(localAddress: String? = nil) -> MQTTEndpoint {
        MQTTEndpoint(host: host, port: port, localAddress: localAddress, connectTimeout: TimeAmount(connectTimeout),
                     transport: transport)
    }

    /// A connection that is not a device (no identity, no shaping): the controller's.
    func openPlain(configuration: MQTTConnectionConfiguration, on eventLoop: any EventLoop,
                   delegate: any DeviceLinkDelegate) -> MQTTDeviceLink {
        let link = MQTTDeviceLink(configuration: configuration, eventLoop: eventLoop, delegate: delegate,
                                  shaper: LinkShapingHandler(random: SeededGenerator(seed: seed)))
        let endpoint = endpoint()
        if let settings = tls {
            connect(link, to: endpoint, tls: settings, on: eventLoop)
        } else {
            link.connect(to: endpoint, tls: nil)
        }
        return link
    }

    func open(
        device: DevicePlan, configuration: MQTTConnectionConfiguration, session: DeviceSession?,
        certificateFault: CertFaultKind?, shape: LinkShape, on eventLoop: any EventLoop,
        delegate: any DeviceLinkDelegate
    ) -> any DeviceLink {
        let link = MQTTDeviceLink(
            configuration: configuration, session: session, eventLoop: eventLoop, delegate: delegate,
            shaper: LinkShapingHandler(shape: shape,
                                       random: SeededGenerator(seed: seed, stream: UInt64(device.ordinal) | 1 << 40)))
        let endpoint = endpoint(localAddress: sources.address(forDevice: device.ordinal))
        switch tlsSettings(for: device, fault: certificateFault) {
        case nil:
            link.connect(to: endpoint, tls: nil)
        case .failure(let error)?:
            let bound = NIOLoopBound(link, eventLoop: eventLoop)
            eventLoop.assumeIsolatedUnsafeUnchecked().execute { bound.value.failBeforeConnecting(error) }
        case .success(let settings)?:
            connect(link, to: endpoint, tls: settings, on: eventLoop)
        }
        return link
    }

    /// Builds (or takes from the cache) the TLS context off the event loop, then connects on it.
    private func connect(_ link: MQTTDeviceLink, to endpoint: MQTTEndpoint, tls settings: TLSSettings,
                         on eventLoop: any EventLoop) {
        let bound = NIOLoopBound(link, eventLoop: eventLoop)
        let contexts = self.contexts
        threadPool.runIfActive(eventLoop: eventLoop) {
            try contexts.context(for: settings)
        }.assumeIsolatedUnsafeUnchecked().whenComplete { result in
            switch result {
            case .success(let context): bound.value.connect(to: endpoint, tls: context)
            // The cache already says what failed as an MQTTClientError ("TLS configuration error: …").
            case .failure(let error):
                bound.value.failBeforeConnecting((error as? MQTTClientError) ?? .tlsConfiguration(TLSErrorText.plain(error)))
            }
        }
    }

    /// The broker's TLS settings plus this device's identity, or the faulty one a `cert-fault` step
    /// chose (see `CertificateFaultIdentities`). nil = plain TCP.
    private func tlsSettings(for device: DevicePlan, fault: CertFaultKind?) -> Result<TLSSettings, MQTTClientError>? {
        guard var settings = tls else { return nil }
        guard case .certificate(let files, _) = device.credentials else { return .success(settings) }
        settings.certificateChainFile = files.chain
        settings.privateKeyFile = files.key
        guard let fault else { return .success(settings) }
        guard let certificateFaults else {
            return .failure(.tlsConfiguration("cert-fault \(fault.rawValue): this run has no folder of faulty identities"))
        }
        let faultDirectory = CertificateFaultIdentities.directory(faults: certificateFaults, kind: fault)
        do {
            let faulty = try DeviceIdentityStore(directory: faultDirectory).identity(forClientID: device.clientID)
            settings.certificateChainFile = faulty.chainPath
            settings.privateKeyFile = faulty.keyPath
            return .success(settings)
        } catch {
            return .failure(.tlsConfiguration("cert-fault \(fault.rawValue): \(error)"))
        }
    }
}
