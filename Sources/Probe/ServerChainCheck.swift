import Foundation
import SwiftASN1
import X509

/// Explains why a broker's certificate chain is not trusted, in the terms a device author needs:
/// expired, not yet valid, issued for another name, or not issued under the CA they configured.
///
/// TLS libraries answer "certificate verify failed"; seed 000's author lost days to that. The probe
/// validates the chain the broker presented itself so that it can name the reason.
public enum ServerChainCheck {
    /// Validates `chain` (leaf first, as the broker sent it) against `trustRoots` for `host` at `now`.
    /// Returns nil when the chain is trusted, or the diagnosis. `now` decides the leaf's validity
    /// (so tests can move the clock); the rest of the chain is checked against the current time.
    public static func diagnose(
        chain: [Certificate],
        trustRoots: [Certificate],
        host: String,
        now: Date = Date()
    ) async -> Diagnosis? {
        guard let leaf = chain.first else {
            return Diagnosis(problem: "the broker presented no certificate", hint: "check the broker's certfile setting")
        }
        if leaf.notValidAfter < now {
            return Diagnosis(
                problem: "the broker's certificate expired on \(stamp(leaf.notValidAfter)) (subject \(leaf.subject))",
                hint: "renew the broker's server certificate, or check this machine's clock"
            )
        }
        if leaf.notValidBefore > now {
            return Diagnosis(
                problem: "the broker's certificate is not valid until \(stamp(leaf.notValidBefore))",
                hint: "this machine's clock may be behind: devices without NTP hit this (seed 000 syncs time first)"
            )
        }
        let isIP = IPAddressParsing.isIPAddress(host)
        var identity = Verifier(rootCertificates: CertificateStore(trustRoots)) {
            ServerIdentityPolicy(serverHostname: isIP ? nil : host, serverIP: isIP ? host : nil)
        }
        if case .couldNotValidate = await identity.validate(leaf: leaf, intermediates: CertificateStore(chain.dropFirst())) {
            // ServerIdentityPolicy only fails on the name when the chain itself built; check the name directly.
            if !names(of: leaf).isEmpty && !names(of: leaf).contains(host.lowercased()) {
                return Diagnosis(
                    problem: "the broker's certificate is for \(names(of: leaf).joined(separator: ", ")), not \(host)",
                    hint: "connect by a name the certificate lists, or pass --server-name with one of them"
                )
            }
        }
        var trust = Verifier(rootCertificates: CertificateStore(trustRoots)) {
            RFC5280Policy()
            ServerIdentityPolicy(serverHostname: isIP ? nil : host, serverIP: isIP ? host : nil)
        }
        switch await trust.validate(leaf: leaf, intermediates: CertificateStore(chain.dropFirst())) {
        case .validCertificate:
            return nil
        case .couldNotValidate(let failures):
            let issuer = chain.last.map { "\($0.issuer)" } ?? "unknown"
            let roots = trustRoots.map { "\($0.subject)" }.joined(separator: "; ")
            let detail = failures.first.map { " (\($0.policyFailureReason))" } ?? ""
            return Diagnosis(
                problem: "the broker's certificate chain does not lead to a trusted CA: it was issued under \(issuer)\(detail)",
                hint: roots.isEmpty
                    ? "no CA was given: pass --ca with the root that issued the broker's certificate"
                    : "the CA given (\(roots)) did not issue it: pass --ca with the right root, including any intermediate the broker omits"
            )
        }
    }

    /// DNS names and IP addresses from the subject alternative names (lowercased), else the CN.
    static func names(of certificate: Certificate) -> [String] {
        var names: [String] = []
        if let san = try? certificate.extensions.subjectAlternativeNames {
            for name in san {
                switch name {
                case .dnsName(let dns): names.append(dns.lowercased())
                case .ipAddress(let bytes): names.append(IPAddressParsing.format(Array(bytes.bytes)))
                default: break
                }
            }
        }
        if names.isEmpty {
            for rdn in certificate.subject {
                for attribute in rdn where attribute.type == .RDNAttributeType.commonName {
                    names.append("\(attribute.value)".lowercased())
                }
            }
        }
        return names
    }

    static func stamp(_ date: Date) -> String {
        date.formatted(.iso8601)
    }
}

/// Tells IP literals from host names and formats the addresses found in certificates.
enum IPAddressParsing {
    static func isIPAddress(_ text: String) -> Bool {
        var v4 = in_addr()
        var v6 = in6_addr()
        return inet_pton(AF_INET, text, &v4) == 1 || inet_pton(AF_INET6, text, &v6) == 1
    }

    /// The text form of a 4- or 16-byte address, as `inet_ntop` writes it (so `::1`, not `0:0:…:1`).
    static func format(_ bytes: [UInt8]) -> String {
        let family = bytes.count == 4 ? AF_INET : AF_INET6
        var text = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN))
        let written = bytes.withUnsafeBytes { raw in inet_ntop(family, raw.baseAddress, &text, socklen_t(text.count)) }
        guard written != nil else { return bytes.map(String.init).joined(separator: ".") }
        return String(decoding: text.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
