import Yams

extension ScenarioParser {
    static let brokerKeys = [
        "url", "ca", "server-name", "verify", "insecure-skip-verify", "protocol", "profile", "source-addresses",
        "connect-timeout",
    ]

    func brokerSpec(_ node: Node, what: String) -> BrokerSpec? {
        guard let broker = MappingReader(node, what: what, allowed: Self.brokerKeys, diagnostics: diagnostics) else {
            return nil
        }
        guard let urlNode = broker.required("url", hint: "mqtt://host:port or mqtts://host:port"),
              let url = diagnostics.string(urlNode, "url"), let endpoint = endpoint(url, node: urlNode) else {
            return nil
        }
        var spec = BrokerSpec(url: url, host: endpoint.host, port: endpoint.port, tls: endpoint.tls)
        if let caNode = broker["ca"], let ca = diagnostics.string(caNode, "ca") {
            if !endpoint.tls {
                diagnostics.report(caNode, "`ca` is given but \(url) is not TLS", hint: "use mqtts:// to connect with TLS")
            }
            let resolved = resolvedPath(ca)
            if options.checkCertificateFiles, !fileExists(resolved) {
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
        if !endpoint.tls, let key = ["server-name", "verify", "insecure-skip-verify"].first(where: broker.contains) {
            diagnostics.report(broker.keyNode(key), "`\(key)` only applies to TLS, but \(url) is plain TCP",
                               hint: "use mqtts://")
        }
        spec.protocolVersion = broker["protocol"].flatMap { protocolVersion($0) }
        if let profileNode = broker["profile"],
           let profile = diagnostics.choice(profileNode, "profile", as: BrokerProfile.self) {
            spec.profile = profile.rawValue
        }
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
        return spec
    }

    func protocolVersion(_ node: Node) -> ProtocolVersion? {
        if case .scalar(let scalar) = node, scalar.string == "5.0" { return .v5 }
        return diagnostics.choice(node, "protocol", as: ProtocolVersion.self)
    }

    private func endpoint(_ url: String, node: Node) -> (host: String, port: Int, tls: Bool)? {
        let hint = "write mqtt://host:port (plain) or mqtts://host:port (TLS)"
        guard let schemeEnd = url.range(of: "://") else {
            diagnostics.report(node, "broker URL `\(url)` has no scheme", hint: hint)
            return nil
        }
        let scheme = url[..<schemeEnd.lowerBound].lowercased()
        guard scheme == "mqtt" || scheme == "mqtts" else {
            diagnostics.report(node, "unsupported broker URL scheme `\(scheme)`", hint: hint)
            return nil
        }
        let tls = scheme == "mqtts"
        var authority = String(url[schemeEnd.upperBound...])
        if authority.hasSuffix("/") { authority.removeLast() }
        let host: String
        var portText: String?
        if authority.hasPrefix("["), let close = authority.firstIndex(of: "]") {
            host = String(authority[authority.index(after: authority.startIndex)..<close])
            let rest = authority[authority.index(after: close)...]
            if rest.hasPrefix(":") { portText = String(rest.dropFirst()) } else if !rest.isEmpty { portText = String(rest) }
        } else if let colon = authority.lastIndex(of: ":") {
            host = String(authority[..<colon])
            portText = String(authority[authority.index(after: colon)...])
        } else {
            host = authority
        }
        guard !host.isEmpty, !host.contains("/"), !host.contains("@") else {
            diagnostics.report(node, "broker URL `\(url)` has no usable host", hint: hint)
            return nil
        }
        guard let portText else { return (host, tls ? 8883 : 1883, tls) }
        guard let port = Int(portText), (1...65_535).contains(port) else {
            diagnostics.report(node, "broker URL `\(url)` has an invalid port `\(portText)`", hint: "ports are 1–65535")
            return nil
        }
        return (host, port, tls)
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
