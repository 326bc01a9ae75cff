import MQTTCore
import Yams

extension ScenarioParser {
    static let brokerKeys = [
        "url", "ca", "server-name", "verify", "insecure-skip-verify", "protocol", "profile", "source-addresses",
        "connect-timeout", "tls", "check-limits", "websocket", "alpn",
    ]

    /// Keys that describe an external broker's TLS, meaningless for the lab broker (the run makes its CA).
    static let externalOnlyBrokerKeys = ["ca", "server-name", "verify", "insecure-skip-verify", "profile"]

    /// The scenario's broker: `--broker` when given (its URL replaces the file's, whose other settings are
    /// kept where they still apply), else the file's `broker`, else the lab broker.
    ///
    /// `--broker lab[:PROFILE]` on a file whose broker speaks TLS keeps TLS: the file's devices present
    /// certificates or expect a TLS handshake, and the scenario means the same failures on the lab broker.
    func scenarioBroker(_ node: Node?) -> BrokerSpec? {
        guard let override = options.brokerOverride else {
            return node.map { brokerSpec($0, what: "broker") } ?? BrokerSpec.lab()
        }
        var spec: BrokerSpec
        if let profile = LabTarget.profile(in: override) {
            spec = .lab(profile: profile)
        } else {
            switch Self.parseEndpoint(override) {
            case .failure(let failure):
                diagnostics.report(at: SourceLocation(file: "--broker", line: 1, column: 1),
                                   failure.problem, hint: failure.hint)
                return nil
            case .success(let endpoint):
                spec = BrokerSpec(url: override, parsed: endpoint)
            }
        }
        // The file's broker is read for its device-side settings only; its URL and, unless both are TLS,
        // its TLS settings belong to the broker that was replaced.
        if let node, let file = brokerSpec(node, what: "broker", checkFiles: false) {
            if spec.lab != nil, file.tls { spec.tls = true }
            if spec.tls, file.tls { spec.alpn = file.alpn }
            // A file that breaks its broker's limits on purpose breaks the replacing broker's too.
            if node.mapping?["check-limits"]?.string == "false" { spec.profile = nil }
            spec.protocolVersion = file.protocolVersion
            spec.sourceAddresses = file.sourceAddresses
            spec.connectTimeout = file.connectTimeout
            if spec.tls, file.tls, spec.lab == nil, file.lab == nil {
                spec.caFile = file.caFile
                spec.serverName = file.serverName
                spec.verification = file.verification
            }
        }
        if let ca = options.brokerCA {
            guard spec.tls, spec.lab == nil else {
                diagnostics.report(at: SourceLocation(file: "--broker-ca", line: 1, column: 1),
                                   "--broker-ca applies to an mqtts:// --broker only")
                return nil
            }
            spec.caFile = ca
        }
        return spec
    }

    func brokerSpec(_ node: Node, what: String, checkFiles: Bool = true) -> BrokerSpec? {
        if case .scalar = node, let url = diagnostics.string(node, what) {
            if let profile = LabTarget.profile(in: url) { return .lab(profile: profile) }
            guard let endpoint = endpoint(url, node: node) else { return nil }
            return BrokerSpec(url: url, parsed: endpoint)
        }
        guard let broker = MappingReader(node, what: what, allowed: Self.brokerKeys, diagnostics: diagnostics) else {
            return nil
        }
        guard let urlNode = broker.required("url", hint: "mqtt://host:port, mqtts://host:port, or lab[:PROFILE]"),
              let url = diagnostics.string(urlNode, "url") else {
            return nil
        }
        if let profile = LabTarget.profile(in: url) {
            var spec = BrokerSpec.lab(profile: profile)
            for key in Self.externalOnlyBrokerKeys where broker.contains(key) {
                diagnostics.report(broker.keyNode(key), "`\(key)` does not apply to the lab broker",
                                   hint: "the lab broker makes its own CA; its profile sets the broker's rules")
            }
            if let tlsNode = broker["tls"], let tls = diagnostics.boolean(tlsNode, "tls") {
                if !tls, LabTarget.knownProfiles[profile]?.limits.requiresTLS == true {
                    diagnostics.report(tlsNode, "lab profile `\(profile)` accepts TLS only",
                                       hint: "remove `tls: false`; the lab broker makes its own CA")
                }
                spec.tls = tls
            }
            if let webSocketNode = broker["websocket"] {
                spec.webSocketPath = labWebSocketPath(webSocketNode, profile: profile)
            }
            readDeviceSideSettings(broker, into: &spec)
            readLimitChecking(broker, into: &spec)
            return spec
        }
        if broker.contains("tls") {
            diagnostics.report(broker.keyNode("tls"), "`tls` applies to the lab broker only; the scheme of \(url) decides",
                               hint: "write mqtts:// for TLS or mqtt:// for plain TCP")
        }
        if broker.contains("websocket") {
            diagnostics.report(broker.keyNode("websocket"), "`websocket` applies to the lab broker only; the scheme of \(url) decides",
                               hint: "write ws://host:port/path or wss://host:port/path for MQTT over WebSocket")
        }
        guard let endpoint = endpoint(url, node: urlNode) else {
            readSettingsOfAnUnknownBroker(broker)
            return nil
        }
        var spec = BrokerSpec(url: url, parsed: endpoint)
        if let caNode = broker["ca"], let ca = diagnostics.string(caNode, "ca") {
            if !spec.tls {
                diagnostics.report(caNode, "`ca` is given but \(url) is not TLS", hint: "use mqtts:// or wss:// to connect with TLS")
            }
            let resolved = resolvedPath(ca)
            if checkFiles, options.checkCertificateFiles, !fileExists(resolved) {
                diagnostics.report(caNode, "CA file `\(ca)` does not exist",
                                   hint: "paths are relative to \(options.baseDirectory ?? "the current working directory")")
            }
            spec.caFile = resolved
        }
        spec.serverName = broker["server-name"].flatMap { diagnostics.string($0, "server-name") }
        if let verifyNode = broker["verify"], let verify = diagnostics.choice(verifyNode, "verify", as: TLSVerification.self) {
            if verify == .none {
                diagnostics.report(verifyNode, "`verify: none` is not accepted",
                                   hint: "turn verification off by name: insecure-skip-verify: true")
            }
            spec.verification = verify
        }
        if let insecureNode = broker["insecure-skip-verify"], let insecure = diagnostics.boolean(insecureNode, "insecure-skip-verify"),
           insecure {
            spec.verification = .none
        }
        if !spec.tls, let key = ["server-name", "verify", "insecure-skip-verify"].first(where: broker.contains) {
            diagnostics.report(broker.keyNode(key), "`\(key)` only applies to TLS, but \(url) is plain TCP",
                               hint: "use mqtts:// or wss://")
        }
        if let profileNode = broker["profile"],
           let profile = diagnostics.choice(profileNode, "profile", as: BrokerProfile.self) {
            spec.profile = profile.rawValue
        }
        readDeviceSideSettings(broker, into: &spec)
        readLimitChecking(broker, into: &spec)
        return spec
    }

    /// The settings of a broker whose URL is wrong, checked now so their errors come with the URL's: whether
    /// the broker is TLS is not known, so what depends on it (`ca`, `server-name` and `alpn` out of place) waits
    /// for a URL that parses.
    private func readSettingsOfAnUnknownBroker(_ broker: MappingReader) {
        var scratch = BrokerSpec.lab()
        scratch.tls = true
        if let verifyNode = broker["verify"] { _ = diagnostics.choice(verifyNode, "verify", as: TLSVerification.self) }
        if let insecureNode = broker["insecure-skip-verify"] { _ = diagnostics.boolean(insecureNode, "insecure-skip-verify") }
        scratch.profile = broker["profile"].flatMap { diagnostics.choice($0, "profile", as: BrokerProfile.self) }?.rawValue
        readDeviceSideSettings(broker, into: &scratch)
        readLimitChecking(broker, into: &scratch)
    }

    /// `check-limits: false`: the file breaks its broker family's documented limits on purpose (a QoS 2 or
    /// retained PUBLISH, a keep-alive above the maximum) to show what the broker does, so the loader does not
    /// refuse them. The family is forgotten: nothing else reads it for the plan.
    private func readLimitChecking(_ broker: MappingReader, into spec: inout BrokerSpec) {
        guard let node = broker["check-limits"], let checks = diagnostics.boolean(node, "check-limits") else { return }
        if !checks {
            if spec.knownProfile == nil {
                diagnostics.report(node, "`check-limits: false` but no broker family with documented limits is named",
                                   hint: "it applies to lab:eventgrid, lab:iothub or a `profile:`")
            }
            spec.profile = nil
        }
    }

    /// `websocket: true` (the path the profile's broker uses) or `websocket: /path` on a lab broker.
    private func labWebSocketPath(_ node: Node, profile: String) -> String? {
        switch node.scalar?.string {
        case let path? where path.hasPrefix("/"): return path
        case "true": return LabTarget.webSocketPath(profile: profile)
        case "false": return nil
        default:
            diagnostics.report(node, "`websocket` must be true, false or a path starting with /",
                               hint: "websocket: true serves \(LabTarget.webSocketPath(profile: profile)), as the broker the profile imitates")
            return nil
        }
    }

    /// Settings of the fleet's side of the connection, which apply to any broker.
    private func readDeviceSideSettings(_ broker: MappingReader, into spec: inout BrokerSpec) {
        if let alpnNode = broker["alpn"] {
            let names = alpnNode.scalar != nil
                ? diagnostics.string(alpnNode, "alpn").map { [$0] } ?? []
                : (diagnostics.list(alpnNode, "alpn") ?? []).compactMap { diagnostics.string($0, "alpn") }
            if !spec.tls {
                diagnostics.report(broker.keyNode("alpn"), "`alpn` is offered in the TLS handshake, but this broker is not TLS",
                                   hint: "use mqtts:// or wss://, or remove `alpn`")
            } else if names.contains(where: { $0.utf8.count > 255 }) {
                diagnostics.report(alpnNode, "an ALPN protocol name is at most 255 bytes", hint: "e.g. alpn: [mqtt]")
            }
            spec.alpn = names
        }
        spec.protocolVersion = broker["protocol"].flatMap { protocolVersion($0) }
        if let addressesNode = broker["source-addresses"], let addresses = diagnostics.list(addressesNode, "source-addresses") {
            spec.sourceAddresses = addresses.compactMap { addressNode in
                guard let address = diagnostics.string(addressNode, "source-addresses") else { return nil }
                guard Self.isIPAddress(address) else {
                    diagnostics.report(addressNode, "source address `\(address)` is not an IP address",
                                       hint: "e.g. 127.0.0.2 or ::1")
                    return nil
                }
                return address
            }
        }
        if let timeoutNode = broker["connect-timeout"],
           let timeout = diagnostics.duration(timeoutNode, "connect-timeout", positive: true) {
            spec.connectTimeout = timeout
        }
    }

    func protocolVersion(_ node: Node) -> ProtocolVersion? {
        if case .scalar(let scalar) = node, scalar.string == "5.0" { return .v5 }
        return diagnostics.choice(node, "protocol", as: ProtocolVersion.self)
    }

    private func endpoint(_ url: String, node: Node) -> BrokerURL? {
        switch Self.parseEndpoint(url) {
        case .success(let endpoint): return endpoint
        case .failure(let failure):
            diagnostics.report(node, failure.problem, hint: failure.hint)
            return nil
        }
    }

    struct EndpointProblem: Error {
        var problem: String
        var hint: String?
    }

    /// A broker URL (`BrokerURL`), with the problem and the forms understood when it is not one.
    static func parseEndpoint(_ url: String) -> Result<BrokerURL, EndpointProblem> {
        do {
            return .success(try BrokerURL(parsing: url))
        } catch {
            return .failure(EndpointProblem(problem: "broker URL `\(url)`: \(error.problem)",
                                            hint: "write \(BrokerURLError.forms), or lab[:PROFILE] for the lab broker"))
        }
    }

    static func isIPAddress(_ text: String) -> Bool {
        let octets = text.split(separator: ".", omittingEmptySubsequences: false)
        if octets.count == 4 {
            return octets.allSatisfy { octet in
                guard let value = Int(octet), octet.allSatisfy(\.isASCIIDigit) else { return false }
                return (0...255).contains(value)
            }
        }
        return text.contains(":") && text.allSatisfy { $0.isHexDigit || $0 == ":" || $0 == "." }
    }
}
