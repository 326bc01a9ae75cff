import MQTTClient
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import NIOSSL
import SwiftASN1
import X509

/// The probe's transport layers, each tried on its own connection so that a failure is pinned to
/// one layer: TCP alone, then TLS without a client certificate, then TLS with it.
struct TransportChecks: Sendable {
    let group: any EventLoopGroup
    let timeout: TimeAmount
    let sourceAddress: SocketAddress?

    func bootstrap() -> ClientBootstrap {
        var bootstrap = ClientBootstrap(group: group)
            .connectTimeout(timeout)
            .channelOption(.socketOption(.tcp_nodelay), value: 1)
        if let sourceAddress { bootstrap = bootstrap.bind(to: sourceAddress) }
        return bootstrap
    }

    /// Opens and closes a TCP connection.
    func tcp(to address: SocketAddress) async -> Diagnosis? {
        do {
            let channel = try await bootstrap().connect(to: address).get()
            try? await channel.close()
            return nil
        } catch {
            return Self.diagnoseTCP(error, address: address, timeout: timeout)
        }
    }

    /// A TLS handshake with `settings`; when `settings` carry a client identity, it also waits up to
    /// `alertWindow` after the handshake, because under TLS 1.3 a broker rejects a client certificate
    /// with an alert that arrives only after the client considers the handshake done.
    /// Returns the negotiated TLS version on success; `identity` explains a refusal of the client certificate.
    func tls(to address: SocketAddress, host: String, settings: TLSSettings, alertWindow: TimeAmount,
             identity: ClientIdentityCheck? = nil) async -> Result<String, Diagnosis> {
        let context: MQTTTLSContext
        do {
            context = try settings.makeContext()
        } catch {
            return .failure(Diagnosis(problem: "\(error)", hint: "check the paths and that each file is PEM"))
        }
        let roots = Self.trustRoots(settings)
        let serverName = settings.serverName ?? (IPAddressParsing.isIPAddress(host) ? nil : host)
        let checkedName = settings.serverName ?? host
        let verifiesItself = settings.verification == .fullVerification && !roots.isEmpty
        let chainDiagnosis = NIOLockedValueBox<Diagnosis?>(nil)
        let watcher = HandshakeWatcher()
        do {
            let channel = try await bootstrap().channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    let handler: NIOSSLClientHandler
                    if verifiesItself {
                        handler = try NIOSSLClientHandler(context: context.sslContext, serverHostname: serverName) { presented, promise in
                            let chain = presented.compactMap { try? Certificate(derEncoded: $0.toDERBytes()) }
                            promise.completeWithTask {
                                if let diagnosis = await ServerChainCheck.diagnose(chain: chain, trustRoots: roots, host: checkedName) {
                                    chainDiagnosis.withLockedValue { $0 = diagnosis }
                                    return .failed
                                }
                                return .certificateVerified
                            }
                        }
                    } else {
                        handler = try NIOSSLClientHandler(context: context.sslContext, serverHostname: serverName)
                    }
                    try channel.pipeline.syncOperations.addHandler(handler)
                    try channel.pipeline.syncOperations.addHandler(watcher)
                }
            }.connect(to: address).get()
            defer { channel.close(promise: nil) }
            let version = try await watcher.handshake(on: channel.eventLoop, timeout: timeout).get().map(Self.name) ?? "TLS"
            if settings.certificateChainFile != nil {
                try await watcher.quietPeriod(on: channel.eventLoop, length: alertWindow).get()
            }
            return .success(version)
        } catch {
            if let diagnosis = chainDiagnosis.withLockedValue({ $0 }) { return .failure(diagnosis) }
            return .failure(Self.diagnoseTLS(error, settings: settings, timeout: timeout, identity: identity))
        }
    }

    static func name(_ version: TLSVersion) -> String {
        switch version {
        case .tlsv1: return "TLS 1.0"
        case .tlsv11: return "TLS 1.1"
        case .tlsv12: return "TLS 1.2"
        case .tlsv13: return "TLS 1.3"
        }
    }

    static func trustRoots(_ settings: TLSSettings) -> [Certificate] {
        settings.caFiles.flatMap { file -> [Certificate] in
            guard let pem = try? String(contentsOfFile: file, encoding: .utf8),
                  let documents = try? PEMDocument.parseMultiple(pemString: pem) else { return [] }
            return documents.compactMap { try? Certificate(pemDocument: $0) }
        }
    }

    /// `127.0.0.1:1883` rather than NIO's `[IPv4]127.0.0.1/127.0.0.1:1883`.
    static func show(_ address: SocketAddress) -> String {
        guard let ip = address.ipAddress, let port = address.port else { return "\(address)" }
        return ip.contains(":") ? "[\(ip)]:\(port)" : "\(ip):\(port)"
    }

    static func diagnoseTCP(_ error: any Error, address: SocketAddress, timeout: TimeAmount) -> Diagnosis {
        if let io = error as? IOError {
            switch io.errnoCode {
            case ECONNREFUSED:
                return Diagnosis(problem: "connection refused: nothing listens on \(Self.show(address))",
                                 hint: "is the broker running, and is this its port? (mosquitto: the 'listener' line)")
            case ENETUNREACH, EHOSTUNREACH:
                return Diagnosis(problem: "no route to \(Self.show(address))", hint: "check the address and the network")
            case EADDRNOTAVAIL:
                return Diagnosis(problem: "the source address is not usable here (\(io.plainDescription))",
                                 hint: "bind to an address of this machine, e.g. one in 127.0.0.0/8")
            default:
                break
            }
        }
        if case ChannelError.connectTimeout = error {
            return Diagnosis(problem: "no answer from \(Self.show(address)) within \(timeout.nanoseconds / 1_000_000) ms",
                             hint: "a firewall may drop the packets, or the host is down")
        }
        return Diagnosis(problem: "TCP connect to \(Self.show(address)) failed: \((error as? IOError)?.plainDescription ?? "\(error)")", hint: "check the address and port")
    }

    static func diagnoseTLS(_ error: any Error, settings: TLSSettings, timeout: TimeAmount,
                            identity: ClientIdentityCheck?) -> Diagnosis {
        if error is HandshakeWatcher.TimedOut {
            return Diagnosis(problem: "no TLS handshake within \(timeout.nanoseconds / 1_000_000) ms",
                             hint: "is this a TLS port? mqtts:// against a plain listener waits forever")
        }
        if error is HandshakeWatcher.ClosedAfterHandshake, let chain = identity?.chainProblem {
            return Diagnosis(problem: "\(chain.problem); the broker closed the connection", hint: chain.hint)
        }
        guard let failure = MQTTTLSFailure(error, caFiles: settings.caFiles) else {
            return Diagnosis(problem: "TLS failed: \(TLSErrorText.plain(error))", hint: "is this a TLS listener? try mqtt:// for plain TCP")
        }
        return TLSDiagnosis.explain(failure, presentedClientCertificate: settings.certificateChainFile != nil, identity: identity)
    }
}

