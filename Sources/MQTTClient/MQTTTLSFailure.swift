import NIOSSL

/// A TLS failure with a diagnosis a person can act on, plus the BoringSSL/NIOSSL error text it
/// was derived from. BoringSSL reports every chain failure (unknown CA, expired, not yet valid)
/// as CERTIFICATE_VERIFY_FAILED without the X.509 reason, so `serverCertificateNotTrusted` names
/// those possibilities and the CA files that were used.
public struct MQTTTLSFailure: Sendable, Hashable, CustomStringConvertible {
    public enum Kind: Sendable, Hashable {
        /// Our verification of the server's chain failed: issued by a CA we do not trust, expired or
        /// not yet valid.
        case serverCertificateNotTrusted
        /// The server certificate does not name the host we connected to.
        case hostnameMismatch
        /// The server sent a fatal alert: it rejected our certificate (or its absence) or the handshake.
        case alertReceived
        /// The server closed the connection during the handshake.
        case closedDuringHandshake
        /// Anything else BoringSSL reported.
        case other
    }

    public var kind: Kind
    /// The underlying NIOSSL/BoringSSL error text.
    public var detail: String

    public init(kind: Kind, detail: String) {
        self.kind = kind
        self.detail = detail
    }

    public var description: String {
        switch kind {
        case .serverCertificateNotTrusted:
            return "server certificate not trusted (unknown/untrusted CA, expired or not yet valid): \(detail)"
        case .hostnameMismatch:
            return "server certificate does not match the host name: \(detail)"
        case .alertReceived:
            if detail.contains("CERTIFICATE_REQUIRED") {
                return "the server requires a client certificate and none was presented: \(detail)"
            }
            if let alert = Self.certificateAlerts.first(where: { detail.contains($0) }) {
                return "the server rejected our client certificate (\(alert)): \(detail)"
            }
            return "the server sent a TLS alert (rejected our certificate or the handshake): \(detail)"
        case .closedDuringHandshake:
            return "the server closed the connection during the TLS handshake: \(detail)"
        case .other:
            return detail
        }
    }

    /// Alerts with which a server refuses the certificate a client presented.
    private static let certificateAlerts = [
        "ALERT_UNKNOWN_CA", "ALERT_BAD_CERTIFICATE", "ALERT_CERTIFICATE_EXPIRED", "ALERT_CERTIFICATE_UNKNOWN",
        "ALERT_CERTIFICATE_REVOKED", "ALERT_UNSUPPORTED_CERTIFICATE", "ALERT_DECRYPT_ERROR",
    ]

    /// Classifies an error raised by NIOSSL; `nil` when it is not a TLS error.
    public init?(_ error: any Error, caFiles: [String] = []) {
        let caNote = caFiles.isEmpty ? "" : " (trusted CA files: \(caFiles.joined(separator: ", ")))"
        if let extra = error as? NIOSSLExtraError {
            if extra == .failedToValidateHostname || extra == .serverHostnameImpossibleToMatch {
                self.init(kind: .hostnameMismatch, detail: "\(extra)")
            } else {
                self.init(kind: .other, detail: "\(extra)")
            }
            return
        }
        if let boringError = error as? BoringSSLError {
            self.init(boringError: "\(boringError)", caNote: caNote)
            return
        }
        guard let sslError = error as? NIOSSLError else { return nil }
        switch sslError {
        case .handshakeFailed(let boringError):
            self.init(boringError: "\(boringError)", caNote: caNote)
        case .uncleanShutdown:
            self.init(kind: .closedDuringHandshake, detail: "unclean shutdown (no close_notify)")
        default:
            self.init(kind: .other, detail: "\(sslError)")
        }
    }

    /// Classifies a BoringSSL error string (also used for errors after the handshake, e.g. the
    /// TLS 1.3 "certificate required" alert that arrives after the client finished its handshake).
    init(boringError text: String, caNote: String = "") {
        if text.contains("CERTIFICATE_VERIFY_FAILED") {
            self.init(kind: .serverCertificateNotTrusted, detail: text + caNote)
        } else if text.contains("ALERT") {
            self.init(kind: .alertReceived, detail: text)
        } else if text.contains("EOF") || text.contains("eof") {
            self.init(kind: .closedDuringHandshake, detail: text)
        } else {
            self.init(kind: .other, detail: text)
        }
    }
}
