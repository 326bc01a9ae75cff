import Foundation
import MQTTClient
import MQTTCore
import NIOCore
import NIOPosix

/// Runs the probe's steps in order and stops at the first layer that fails, so the report names
/// one broken layer instead of a cascade of consequences.
public struct Prober: Sendable {
    let group: any EventLoopGroup

    public init(group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton) {
        self.group = group
    }

    public func run(_ options: ProbeOptions) async -> ProbeReport {
        var report = ProbeReport(target: options.url.description)
        var remaining = ProbeStep.allCases
        func record(_ step: ProbeStep, _ outcome: ProbeOutcome, duration: Duration?) {
            report.steps.append(ProbeStepResult(step: step, outcome: outcome, duration: duration))
            remaining.removeAll { $0 == step }
        }
        func record(_ step: ProbeStep, _ outcome: ProbeOutcome, since start: ContinuousClock.Instant? = nil) {
            record(step, outcome, duration: start.map { .now - $0 })
        }
        func stop() -> ProbeReport {
            for step in remaining { record(step, .skipped("an earlier step failed")) }
            return report
        }

        // DNS
        var start = ContinuousClock.now
        let addresses: [SocketAddress]
        do {
            addresses = try HostResolution.resolve(host: options.url.host, port: options.url.port)
            let shown = addresses.compactMap(\.ipAddress).joined(separator: ", ")
            record(.dns, .passed("\(options.url.host) → \(shown)"), since: start)
        } catch {
            record(.dns, .failed(Diagnosis(problem: "cannot resolve \(options.url.host): \(error.message)",
                                           hint: "check the host name for typos")), since: start)
            return stop()
        }
        let address = addresses[0]
        let source: SocketAddress?
        do {
            source = try options.sourceAddress.map { try SocketAddress(ipAddress: $0, port: 0) }
        } catch {
            record(.tcp, .failed(Diagnosis(problem: "invalid source address \(options.sourceAddress ?? "")",
                                           hint: "give an IP address of this machine, e.g. 127.0.0.2")))
            return stop()
        }
        let transport = TransportChecks(group: group, timeout: options.timeout, sourceAddress: source)

        // TCP
        start = .now
        if let diagnosis = await transport.tcp(to: address) {
            record(.tcp, .failed(diagnosis), since: start)
            return stop()
        }
        record(.tcp, .passed("connected to \(TransportChecks.show(address))"), since: start)

        // TLS, server side only, then with the client certificate, whose files are checked first.
        var identity: ClientIdentityCheck?
        if options.url.usesTLS {
            var serverOnly = options.tls
            serverOnly.certificateChainFile = nil
            serverOnly.privateKeyFile = nil
            start = .now
            switch await transport.tls(to: address, host: options.url.host, settings: serverOnly, alertWindow: .zero) {
            case .success(let version):
                record(.tls, .passed("\(version), broker certificate \(verificationNote(options.tls.verification))"), since: start)
            case .failure(let diagnosis):
                record(.tls, .failed(diagnosis), since: start)
                return stop()
            }
            if options.tls.certificateChainFile != nil {
                start = .now
                if let chainFile = options.tls.certificateChainFile, let keyFile = options.tls.privateKeyFile {
                    let checked = ClientIdentityCheck(chainFile: chainFile, keyFile: keyFile, caFiles: options.tls.caFiles)
                    if let blocking = checked.blocking {
                        record(.mutualTLS, .failed(blocking), since: start)
                        return stop()
                    }
                    identity = checked
                }
                switch await transport.tls(to: address, host: options.url.host, settings: options.tls,
                                           alertWindow: .milliseconds(500), identity: identity) {
                case .success:
                    let subject = identity?.subject.map { " (\($0))" } ?? ""
                    record(.mutualTLS, .passed("client certificate\(subject) accepted"), since: start)
                case .failure(let diagnosis):
                    record(.mutualTLS, .failed(diagnosis), since: start)
                    return stop()
                }
            } else {
                record(.mutualTLS, .skipped("no client certificate given (--cert, --key)"))
            }
        } else {
            record(.tls, .skipped("\(options.url.scheme.rawValue):// is plain TCP"))
            record(.mutualTLS, .skipped("\(options.url.scheme.rawValue):// is plain TCP"))
        }

        // The HTTP upgrade (ws://, wss://) and CONNECT / CONNACK, with the will when one is to be verified.
        // Both run on the MQTT connection itself: the upgrade is a phase of it, timed and typed by the client,
        // and the broker sees one connection, not an extra one that upgrades and leaves.
        func upgradePassed(in duration: Duration?) {
            if let path = options.url.path {
                record(.httpUpgrade, .passed("GET \(path): 101 Switching Protocols, subprotocol mqtt"), duration: duration)
            } else {
                record(.httpUpgrade, .skipped("\(options.url.scheme.rawValue):// is MQTT without WebSocket"))
            }
        }
        start = .now
        let client: MQTTClient
        do {
            client = try await connect(options, clientIDSuffix: "", will: options.will)
        } catch {
            let elapsed = ContinuousClock.now - start
            var diagnosis = MQTTDiagnosis.connect(error, options: options, identity: identity)
            // mqtt:// against a port that never answered as MQTT: say what the port speaks, if it is TLS or HTTP.
            if options.url.scheme == .mqtt, MQTTDiagnosis.isUnansweredConnect(error),
               let spoken = await transport.portProtocol(at: address, host: options.url.host) {
                diagnosis = spoken.diagnosis(for: options.url)
            }
            // The failure belongs to the first step on this connection that did not complete. A failed
            // upgrade's time is unknown: the error carries no timings, and `elapsed` includes TCP and TLS again.
            if options.url.path != nil, !MQTTDiagnosis.reachedMQTT(error) {
                record(.httpUpgrade, .failed(diagnosis), duration: nil)
            } else {
                upgradePassed(in: nil)
                record(.connect, .failed(diagnosis), duration: elapsed)
            }
            return stop()
        }
        // Each step's own time from the connection's phases: the layers below were steps of their own.
        let timings = client.connectResult.timings
        upgradePassed(in: timings.webSocketUpgradeDuration.map(Self.duration))
        record(.connect, .passed(Self.describe(client.connectResult)), duration: timings.connAckDuration.map(Self.duration))

        if let topic = options.roundTripTopic {
            start = .now
            switch await roundTrip(client, topic: topic, timeout: options.timeout) {
            case .success(let detail): record(.roundTrip, .passed(detail), since: start)
            case .failure(let diagnosis): record(.roundTrip, .failed(diagnosis), since: start)
            }
        } else {
            record(.roundTrip, .skipped("no --round-trip topic"))
        }

        if let will = options.will {
            start = .now
            switch await willRoundTrip(client, will: will, options: options) {
            case .success(let detail): record(.will, .passed(detail), since: start)
            case .failure(let diagnosis): record(.will, .failed(diagnosis), since: start)
            }
        } else {
            record(.will, .skipped("no --will-topic"))
            await client.close(.graceful)
        }
        return report
    }

    private func connect(_ options: ProbeOptions, clientIDSuffix: String, will: Will?) async throws -> MQTTClient {
        try await MQTTClient.connect(
            to: options.endpoint(host: options.url.host),
            tls: options.url.usesTLS ? options.tls : nil,
            configuration: options.configuration(clientIDSuffix: clientIDSuffix, will: will),
            eventLoopGroup: group)
    }

    /// Subscribes to `topic`, publishes a unique payload at QoS 1 and waits for it to come back.
    private func roundTrip(_ client: MQTTClient, topic: String, timeout: TimeAmount) async -> Result<String, Diagnosis> {
        do {
            let granted = try await client.subscribe([Subscription(filter: topic, qos: .atLeastOnce)])
            if let code = granted.first, code.isFailure {
                return .failure(MQTTDiagnosis.subscribeRefused(topic, code: code))
            }
            let token = "fleet-probe-\(UUID().uuidString)"
            let sent = ContinuousClock.now
            let acknowledgement = try await client.publish(
                MQTTMessage(topic: topic, payload: ByteBuffer(string: token), qos: .atLeastOnce))
            if acknowledgement.isFailure {
                return .failure(Diagnosis(problem: "the broker refused the publish to \(topic): \(acknowledgement)",
                                          hint: "the client may not publish to this topic"))
            }
            let arrived = await Self.first(of: client.messages, within: timeout) {
                $0.topic == topic && $0.payload == ByteBuffer(string: token)
            }
            guard arrived != nil else {
                return .failure(Diagnosis(
                    problem: "the message published to \(topic) did not come back within \(Self.seconds(timeout))",
                    hint: "brokers drop publishes a client may not make without telling MQTT 3.1.1 clients; check the ACL"))
            }
            return .success("\(topic): subscribed, published at QoS 1, received after \(ProbeReport.milliseconds(.now - sent))")
        } catch {
            return .failure(Diagnosis(problem: "round trip failed: \(error)", hint: "look at the broker's log"))
        }
    }

    /// A second connection subscribes to the will topic; the probe's connection is then reset (no
    /// DISCONNECT), and the will must arrive within the will delay plus `willTimeout`.
    private func willRoundTrip(_ client: MQTTClient, will: Will, options: ProbeOptions) async -> Result<String, Diagnosis> {
        let observer: MQTTClient
        do {
            observer = try await connect(options, clientIDSuffix: "-will-observer", will: nil)
        } catch {
            await client.close(.graceful)
            return .failure(Diagnosis(problem: "the observer connection failed: \(error)",
                                      hint: "the observer connects like the probe, with the client ID suffixed -will-observer"))
        }
        let result = await watchForWill(client, will: will, observer: observer, options: options)
        await observer.close(.graceful)
        return result
    }

    private func watchForWill(
        _ client: MQTTClient, will: Will, observer: MQTTClient, options: ProbeOptions
    ) async -> Result<String, Diagnosis> {
        do {
            let granted = try await observer.subscribe([Subscription(filter: will.topic, qos: .atLeastOnce)])
            if let code = granted.first, code.isFailure {
                await client.close(.graceful)
                return .failure(Diagnosis(
                    problem: "cannot watch for the will: the observer may not subscribe to \(will.topic) (\(code))",
                    hint: "grant the probe's identity read access to the will topic"))
            }
        } catch {
            await client.close(.graceful)
            return .failure(Diagnosis(problem: "cannot watch for the will: \(error)", hint: "look at the broker's log"))
        }
        let delay = will.properties.compactMap { property -> UInt32? in
            if case .willDelayInterval(let seconds) = property { return seconds }
            return nil
        }.first ?? 0
        let wait = options.willTimeout + .seconds(Int64(delay))
        let closedAt = ContinuousClock.now
        await client.close(.abrupt)
        // Only what arrives after the reset counts: a retained will from an earlier run arrives at subscribe time.
        let arrived = await Self.first(of: observer.messages, within: wait) {
            $0.topic == will.topic && $0.payload == will.payload && !$0.retain
        }
        guard arrived != nil else {
            return .failure(Diagnosis(
                problem: "the will never arrived on \(will.topic) within \(Self.seconds(wait)) of the abrupt close",
                hint: "the broker accepted CONNECT with this will but dropped it; mosquitto silently drops a will whose topic its ACL denies (seed 000: the will topic was not authorized), or this identity may not read that topic"))
        }
        return .success("will on \(will.topic) arrived \(ProbeReport.milliseconds(.now - closedAt)) after the TCP reset")
    }

    /// The first message matching `predicate` within `timeout`, or nil.
    private static func first(
        of messages: AsyncStream<PublishPacket>, within timeout: TimeAmount,
        where predicate: @escaping @Sendable (PublishPacket) -> Bool
    ) async -> PublishPacket? {
        await withTaskGroup(of: PublishPacket?.self) { group in
            group.addTask {
                for await message in messages where predicate(message) { return message }
                return nil
            }
            group.addTask {
                try? await Task.sleep(for: .nanoseconds(timeout.nanoseconds))
                return nil
            }
            let first = await group.next() ?? nil
            group.cancelAll()
            return first
        }
    }

    static func describe(_ result: MQTTConnectResult) -> String {
        let info = result.connAck
        var parts = ["\(info.version == .v5_0 ? "MQTT 5" : "MQTT 3.1.1") CONNACK \(info.reasonCode)"]
        if let assigned = info.assignedClientIdentifier { parts.append("assigned client ID \(assigned)") }
        if let keepAlive = info.serverKeepAlive { parts.append("server keep alive \(keepAlive) s") }
        if info.version == .v5_0 {
            parts.append("max QoS \(info.maximumQoS.rawValue)")
            parts.append("receive max \(info.receiveMaximum)")
            if !info.retainAvailable { parts.append("no retain") }
            if let maximum = info.maximumPacketSize { parts.append("max packet \(maximum) B") }
        }
        return parts.joined(separator: ", ")
    }

    static func duration(_ amount: TimeAmount) -> Duration { .nanoseconds(amount.nanoseconds) }

    static func seconds(_ amount: TimeAmount) -> String {
        "\(Double(amount.nanoseconds) / 1e9) s"
    }

    private func verificationNote(_ verification: TLSSettings.Verification) -> String {
        switch verification {
        case .fullVerification: return "trusted and names this host"
        case .noHostnameVerification: return "trusted (host name NOT checked, as asked)"
        case .none: return "NOT verified (as asked)"
        }
    }
}
