import Foundation
import NIOSSL

/// A TLS failure with a diagnosis a person can act on. BoringSSL reports every chain failure (unknown
/// CA, expired, not yet valid) as CERTIFICATE_VERIFY_FAILED without the X.509 reason, so
/// `serverCertificateNotTrusted` names those possibilities and the CA files that were used.
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
    /// What BoringSSL/NIOSSL said, in plain words (`TLSErrorText`): no build paths, no error numbers.
    public var detail: String
    /// BoringSSL's reason codes (`TLSV1_ALERT_UNKNOWN_CA`, …), for matching rather than showing.
    public var reasons: [String]

    public init(kind: Kind, detail: String, reasons: [String] = []) {
        self.kind = kind
        self.detail = detail
        self.reasons = reasons
    }

    public var description: String {
        switch kind {
        case .serverCertificateNotTrusted:
            return "server certificate not trusted (unknown/untrusted CA, expired or not yet valid): \(detail)"
        case .hostnameMismatch:
            return "server certificate does not match the host name: \(detail)"
        case .alertReceived:
            if has("CERTIFICATE_REQUIRED") {
                return "the server requires a client certificate and none was presented: \(detail)"
            }
            if Self.certificateAlerts.contains(where: has) {
                return "the server rejected our client certificate: \(detail)"
            }
            return "the server ended the TLS handshake: \(detail)"
        case .closedDuringHandshake:
            return "the server closed the connection during the TLS handshake (\(detail))"
        case .other:
            return detail
        }
    }

    /// Whether one of BoringSSL's reason codes contains `code` (`UNKNOWN_CA` matches `TLSV1_ALERT_UNKNOWN_CA`).
    public func has(_ code: String) -> Bool { reasons.contains { $0.contains(code) } }

    /// Alerts with which a server refuses the certificate a client presented.
    private static let certificateAlerts = [
        "ALERT_UNKNOWN_CA", "ALERT_BAD_CERTIFICATE", "ALERT_CERTIFICATE_EXPIRED", "ALERT_CERTIFICATE_UNKNOWN",
        "ALERT_CERTIFICATE_REVOKED", "ALERT_UNSUPPORTED_CERTIFICATE", "ALERT_DECRYPT_ERROR",
    ]

    /// Classifies an error raised by NIOSSL; `nil` when it is not a TLS error.
    public init?(_ error: any Error, caFiles: [String] = []) {
        let caNote = caFiles.isEmpty ? "" : " (trusted CA files: \(caFiles.joined(separator: ", ")))"
        if let extra = error as? NIOSSLExtraError {
            let kind: Kind = extra == .failedToValidateHostname || extra == .serverHostnameImpossibleToMatch ? .hostnameMismatch : .other
            self.init(kind: kind, detail: TLSErrorText.plain(extra))
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
            self.init(kind: .closedDuringHandshake, detail: TLSErrorText.plain(sslError))
        default:
            self.init(kind: .other, detail: TLSErrorText.plain(sslError))
        }
    }

    /// Classifies a BoringSSL error string (also used for errors after the handshake, e.g. the
    /// TLS 1.3 "certificate required" alert that arrives after the client finished its handshake).
    init(boringError text: String, caNote: String = "") {
        let reasons = TLSErrorText.reasons(in: text)
        let detail = TLSErrorText.plain(boringText: text)
        if reasons.contains("CERTIFICATE_VERIFY_FAILED") {
            self.init(kind: .serverCertificateNotTrusted, detail: detail + caNote, reasons: reasons)
        } else if reasons.contains(where: { $0.contains("ALERT") }) {
            self.init(kind: .alertReceived, detail: detail, reasons: reasons)
        } else if text.contains("EOF") || text.contains("eof") {
            self.init(kind: .closedDuringHandshake, detail: detail, reasons: reasons)
        } else {
            self.init(kind: .other, detail: detail, reasons: reasons)
        }
    }
}

/// NIOSSL and BoringSSL errors in plain words, for everything that shows a TLS error (the probe, run
/// summaries, reports). Their own descriptions carry error numbers and the BoringSSL source path and
/// line of the checkout that built fleet (`…/checkouts/swift-nio-ssl/…/handshake.cc:320`), which mean
/// nothing to the reader; the reason code is kept in parentheses so it can still be searched for.
public enum TLSErrorText {
    /// `error` in plain words.
    public static func plain(_ error: any Error) -> String {
        if let sslError = error as? NIOSSLError {
            switch sslError {
            case .handshakeFailed(let boringError), .shutdownFailed(let boringError):
                return plain(boringText: "\(boringError)")
            case .uncleanShutdown: return "the connection closed without a TLS close_notify"
            case .failedToLoadCertificate: return "not a certificate BoringSSL can read"
            case .failedToLoadPrivateKey: return "not a private key BoringSSL can read"
            case .noSuchFilesystemObject: return "no such file"
            case .noCertificateToValidate: return "the peer sent no certificate"
            default: return plain(boringText: "\(sslError)")
            }
        }
        if let extra = error as? NIOSSLExtraError {
            // "NIOSSLExtraError.failedToValidateHostname: Couldn't find localhost in certificate from peer"
            let text = "\(extra)"
            guard let colon = text.range(of: ": ") else { return words(text.replacingOccurrences(of: "NIOSSLExtraError.", with: "")) }
            return String(text[colon.upperBound...])
        }
        return plain(boringText: "\(error)")
    }

    /// BoringSSL's reason codes in `text`, in order: what follows `OPENSSL_internal:` in each entry
    /// of an error stack (`error:1000007d:SSL routines:OPENSSL_internal:CERTIFICATE_VERIFY_FAILED`).
    public static func reasons(in text: String) -> [String] {
        text.matches(of: reasonPattern).map { String($0.output.1) }
    }

    /// A BoringSSL error description in plain words: each reason code as a phrase, else the text
    /// without source paths and error numbers.
    public static func plain(boringText text: String) -> String {
        let codes = reasons(in: text)
        if !codes.isEmpty {
            var phrases: [String] = []
            for code in codes where !phrases.contains(phrase(for: code)) { phrases.append(phrase(for: code)) }
            return phrases.joined(separator: "; ")
        }
        var cleaned = text.replacing(sourcePattern, with: "")
        cleaned = cleaned.replacing(numberPattern, with: "")
        if cleaned.contains("EOF during handshake") { return "the connection closed during the TLS handshake" }
        if let bare = cleaned.wholeMatch(of: casePattern) { return words(String(bare.output.1)) }
        return cleaned.trimmingCharacters(in: .whitespaces)
    }

    /// `TLSV1_ALERT_UNKNOWN_CA` → `TLS alert "unknown CA" (TLSV1_ALERT_UNKNOWN_CA)`.
    static func phrase(for code: String) -> String {
        if let known = phrases[code] { return "\(known) (\(code))" }
        for prefix in ["SSLV3_ALERT_", "TLSV13_ALERT_", "TLSV1_ALERT_"] where code.hasPrefix(prefix) {
            return "TLS alert \"\(words(String(code.dropFirst(prefix.count))))\" (\(code))"
        }
        return "\(words(code)) (\(code))"
    }

    /// `UNKNOWN_CA` → `unknown CA`; `failedToLoadPrivateKey` → `failed to load private key`.
    static func words(_ code: String) -> String {
        var spaced = ""
        for character in code {
            if character.isUppercase, let last = spaced.last, last.isLowercase { spaced.append(" ") }
            spaced.append(character == "_" ? " " : character)
        }
        return spaced.split(separator: " ").map { word in
            ["CA", "TLS", "SSL", "ALPN", "SNI", "PEM", "DER", "EC", "RSA"].contains(word.uppercased()) && word == word.uppercased()
                ? String(word) : word.lowercased()
        }.joined(separator: " ")
    }

    private static let phrases: [String: String] = [
        "CERTIFICATE_VERIFY_FAILED": "certificate verify failed",
        "WRONG_VERSION_NUMBER": "the other side does not speak TLS",
        "HTTP_REQUEST": "the other side speaks HTTP, not TLS",
        "NO_SHARED_CIPHER": "no cipher suite in common",
        "NO_CIPHERS_AVAILABLE": "no cipher suite in common",
        "UNSUPPORTED_PROTOCOL": "no TLS version in common",
        "CERTIFICATE_AND_PRIVATE_KEY_MISMATCH": "the private key does not belong to the certificate",
        "KEY_VALUES_MISMATCH": "the private key does not belong to the certificate",
        "NO_START_LINE": "no PEM block in the file",
        "BAD_DECRYPT": "cannot decrypt: wrong or missing passphrase",
        "TLSV13_ALERT_CERTIFICATE_REQUIRED": "TLS alert \"certificate required\"",
    ]

    /// `error:1000007d:SSL routines:OPENSSL_internal:REASON` (the library and function vary).
    private static var reasonPattern: Regex<(Substring, Substring)> { /error:[0-9a-fA-F]+:[^:\]]*:[^:\]]*:([A-Z0-9_]+)/ }
    /// ` at /…/checkouts/swift-nio-ssl/Sources/CNIOBoringSSL/ssl/handshake.cc:320`, or a bare such path.
    private static var sourcePattern: Regex<(Substring, Substring?, Substring)> { /(\s+at\s+)?\S*\/\S+\.(cc|c|h|swift):\d+/ }
    /// `Error: 268435581 ` in front of each stack entry.
    private static var numberPattern: Regex<Substring> { #/Error: \d+ /# }
    /// A bare enum case such as `failedToLoadPrivateKey`.
    private static var casePattern: Regex<(Substring, Substring)> { /([a-zA-Z]+)/ }
}
