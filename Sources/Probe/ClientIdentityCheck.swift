import Foundation
import SwiftASN1
import X509

/// Reads a client identity (certificate chain file and private key file) the way a broker will judge
/// it, before any handshake with it: BoringSSL says "failedToLoadPrivateKey" for a key that is not the
/// certificate's, and brokers answer "unknown CA" both for a chain without its intermediate and for an
/// identity from another CA. The files alone tell these apart.
public struct ClientIdentityCheck: Sendable {
    /// A finding that makes a handshake with this identity pointless: the key cannot be read or is not
    /// the certificate's, a file is not what it should be, the certificate is expired or not yet valid.
    public var blocking: Diagnosis?
    /// Why the broker would not link the certificate to its CA, as far as the files say: a missing
    /// intermediate, or a chain to another CA. Not blocking (the broker may hold what the files lack);
    /// it explains the broker's refusal when one comes.
    public var chainProblem: Diagnosis?
    /// The device certificate's subject, e.g. `CN=device-1`.
    public var subject: String?

    /// Checks `chainFile` (device certificate first, then intermediates) and `keyFile` against the CA
    /// certificates in `caFiles` at `now`.
    public init(chainFile: String, keyFile: String, caFiles: [String], now: Date = Date()) {
        let chain: [Certificate]
        switch Self.readCertificates(chainFile) {
        case .failure(let diagnosis):
            blocking = diagnosis
            return
        case .success(let certificates):
            chain = certificates
        }
        let leaf = chain[0]
        subject = "\(leaf.subject)"
        if let diagnosis = Self.checkKey(keyFile, against: chain, chainFile: chainFile) {
            blocking = diagnosis
            return
        }
        if leaf.notValidAfter < now {
            blocking = Diagnosis(
                problem: "the certificate in \(chainFile) (\(leaf.subject)) expired on \(ServerChainCheck.stamp(leaf.notValidAfter))",
                hint: "issue a new device certificate (fleet certs issue), or check this machine's clock")
            return
        }
        if leaf.notValidBefore > now {
            blocking = Diagnosis(
                problem: "the certificate in \(chainFile) (\(leaf.subject)) is not valid until \(ServerChainCheck.stamp(leaf.notValidBefore))",
                hint: "this machine's clock may be behind, or the certificate was issued with a future start")
            return
        }
        let roots = caFiles.flatMap { (try? Self.readCertificates($0).get()) ?? [] }
        chainProblem = Self.linkProblem(chain: chain, chainFile: chainFile, roots: roots, caFiles: caFiles)
    }

    // MARK: The key

    /// Nil when the key file holds the private key of the chain's first certificate (or one X509 cannot
    /// read, which BoringSSL then judges); else what the file holds instead.
    static func checkKey(_ keyFile: String, against chain: [Certificate], chainFile: String) -> Diagnosis? {
        guard let data = FileManager.default.contents(atPath: keyFile) else {
            return Diagnosis(problem: "cannot read the private key file \(keyFile)", hint: "check the path given to --key")
        }
        let text = String(decoding: data, as: UTF8.self)
        let labels = text.matches(of: /-----BEGIN ([A-Z0-9 ]+)-----/).map { String($0.output.1) }
        let convert = "convert it: openssl pkey -in \(keyFile) -out key.pem"
        if labels.isEmpty {
            if data.first == 0x30, (try? Certificate.PrivateKey(derBytes: Array(data))) != nil {
                return Diagnosis(problem: "\(keyFile) is a DER (binary) PKCS#8 private key, not PEM",
                                 hint: "convert it: openssl pkey -inform DER -in \(keyFile) -out key.pem")
            }
            if data.first == 0x30 {
                return Diagnosis(problem: "\(keyFile) is DER (binary), not PEM",
                                 hint: "the key must be PEM; if it is a DER key, openssl pkey -inform DER -in \(keyFile) -out key.pem")
            }
            return Diagnosis(problem: "\(keyFile) is not PEM: it has no -----BEGIN line",
                             hint: "give the PEM private key (-----BEGIN PRIVATE KEY-----, EC PRIVATE KEY or RSA PRIVATE KEY)")
        }
        if labels.contains("ENCRYPTED PRIVATE KEY") {
            return Diagnosis(problem: "\(keyFile) holds an encrypted PKCS#8 private key; fleet needs it unencrypted",
                             hint: "\(convert) (asks for the passphrase once)")
        }
        let formats = ["PRIVATE KEY": "PKCS#8", "EC PRIVATE KEY": "SEC1 EC", "RSA PRIVATE KEY": "PKCS#1 RSA"]
        guard let label = labels.first(where: { formats[$0] != nil }), let format = formats[label] else {
            if labels.contains("CERTIFICATE") {
                return Diagnosis(problem: "\(keyFile) holds a certificate, not a private key",
                                 hint: "were --cert and --key swapped? --key takes the device's private key")
            }
            return Diagnosis(problem: "\(keyFile) holds no private key (PEM blocks: \(labels.joined(separator: ", ")))",
                             hint: "--key takes the device's private key (-----BEGIN PRIVATE KEY----- or EC/RSA PRIVATE KEY)")
        }
        if text.contains("Proc-Type: 4,ENCRYPTED") {
            return Diagnosis(problem: "\(keyFile) holds a passphrase-protected \(format) private key; fleet needs it unencrypted",
                             hint: "\(convert) (asks for the passphrase once)")
        }
        let documents = (try? PEMDocument.parseMultiple(pemString: text)) ?? []
        guard let document = documents.first(where: { $0.discriminator == label }) else {
            return Diagnosis(problem: "\(keyFile) has a \(label) block that is not valid PEM (base64)",
                             hint: "the file may be truncated or edited; take the key as it was written")
        }
        // A key X509 cannot read (a curve it does not know) is left to BoringSSL.
        guard let key = try? Certificate.PrivateKey(pemDocument: document) else { return nil }
        let leaf = chain[0]
        if key.publicKey == leaf.publicKey { return nil }
        if let owner = chain.dropFirst().first(where: { $0.publicKey == key.publicKey }) {
            return Diagnosis(
                problem: "the private key in \(keyFile) belongs to \(owner.subject), which is not the first certificate in \(chainFile)",
                hint: "the chain file starts with the device certificate, then its intermediate(s)")
        }
        return Diagnosis(
            problem: "the private key in \(keyFile) (\(format)) does not belong to the certificate in \(chainFile) (certificate's key: \(Self.show(leaf.publicKey)), file's key: \(Self.show(key.publicKey)))",
            hint: "give the key made with this certificate (fleet certs issue writes key.pem beside chain.pem)")
    }

    /// `P-256 …3f9a01c2`: the algorithm and the last bytes of the encoded public key, enough to tell two apart.
    static func show(_ key: Certificate.PublicKey) -> String {
        let name = "\(key)".replacingOccurrences(of: ".PublicKey", with: "")
            .replacingOccurrences(of: "P256", with: "P-256").replacingOccurrences(of: "P384", with: "P-384")
            .replacingOccurrences(of: "P521", with: "P-521")
        var serializer = DER.Serializer()
        guard (try? serializer.serialize(key)) != nil else { return name }
        return name + " …" + serializer.serializedBytes.suffix(4).map { String(format: "%02x", $0) }.joined()
    }

    // MARK: The chain

    /// Walks from the device certificate through the chain file to a CA of `roots`.
    static func linkProblem(chain: [Certificate], chainFile: String, roots: [Certificate], caFiles: [String]) -> Diagnosis? {
        let intermediates = Array(chain.dropFirst())
        let trusted = roots.map { "\($0.subject)" }.joined(separator: "; ")
        let caFileNames = caFiles.map { ($0 as NSString).lastPathComponent }.joined(separator: ", ")
        var current = chain[0]
        for _ in 0...intermediates.count {
            if roots.contains(current) || roots.contains(where: { issued(current, by: $0) }) { return nil }
            guard let next = intermediates.first(where: { $0 != current && issued(current, by: $0) }) else { break }
            current = next
        }
        if isSelfSigned(current) {
            return foreign(root: "\(current.subject)", from: chainFile, trusted: trusted, caFileNames: caFileNames)
        }
        let issuer = "\(current.issuer)"
        if let namesake = (intermediates + roots).first(where: { $0.subject == current.issuer }) {
            let place = roots.contains(namesake) ? "the CA file" : "the chain file"
            return Diagnosis(
                problem: "\(current.subject) was issued by \(issuer), but the \(issuer) in \(place) is another certificate of that name (its key identifier differs)",
                hint: "the PKI was probably made again: take the chain and CA from the same run of fleet certs init / issue")
        }
        let nearby = nearbyCertificate(issuing: current, besides: chainFile)
        if let nearby, isSelfSigned(nearby.certificate), !roots.isEmpty {
            return foreign(root: "\(issuer) (\(nearby.path))", from: chainFile, trusted: trusted, caFileNames: caFileNames)
        }
        if current == chain[0] || nearby != nil {
            let named = current == chain[0] ? "the certificate" : "\(current.subject)"
            let missing = roots.isEmpty
                ? "\(named) was issued by \(issuer), which is not in the chain file \(chainFile)"
                : "\(named) was issued by \(issuer), which is neither in the chain file \(chainFile) nor the CA file (\(caFileNames))"
            guard let nearby else {
                return Diagnosis(problem: missing, hint: "add the intermediate that issued it to \(chainFile), after the device certificate; if \(issuer) is itself a root CA, the identity comes from a CA the broker does not trust")
            }
            return Diagnosis(problem: missing,
                             hint: "add the intermediate to \(chainFile) (\(nearby.path) holds it), after the device certificate: cat \(chainFile) \(nearby.path) > chain.pem")
        }
        return foreign(root: issuer, from: chainFile, trusted: trusted, caFileNames: caFileNames)
    }

    private static func foreign(root: String, from chainFile: String, trusted: String, caFileNames: String) -> Diagnosis {
        guard !trusted.isEmpty else {
            return Diagnosis(problem: "the certificate in \(chainFile) chains to \(root)",
                             hint: "the broker must trust \(root) for clients; pass --ca with the CA to compare against")
        }
        return Diagnosis(
            problem: "the certificate chains to \(root), but the CA file (\(caFileNames)) is \(trusted)",
            hint: "issue the identity under the CA the broker trusts for clients (its cafile), or make the broker trust \(root)")
    }

    /// Whether `parent` issued `child`: names, and key identifiers when both carry them.
    static func issued(_ child: Certificate, by parent: Certificate) -> Bool {
        guard child.issuer == parent.subject else { return false }
        guard let authority = (try? child.extensions.authorityKeyIdentifier)?.keyIdentifier,
              let subjectKey = (try? parent.extensions.subjectKeyIdentifier)?.keyIdentifier else { return true }
        return authority == subjectKey
    }

    static func isSelfSigned(_ certificate: Certificate) -> Bool { issued(certificate, by: certificate) }

    /// The certificate that issued `child`, in the PEM files beside `chainFile` or one folder
    /// up (where `fleet certs` and openssl recipes keep intermediates and roots), for the hint; a file that
    /// is the issuer's own is preferred to a chain holding it.
    static func nearbyCertificate(issuing child: Certificate, besides chainFile: String) -> (path: String, certificate: Certificate)? {
        let folder = URL(fileURLWithPath: chainFile).deletingLastPathComponent()
        var inAChain: (path: String, certificate: Certificate)?
        for directory in [folder, folder.deletingLastPathComponent()] {
            let names = ((try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []).sorted()
            for name in names.prefix(64) where name.hasSuffix(".pem") {
                let path = directory.appendingPathComponent(name).path
                guard path != URL(fileURLWithPath: chainFile).path,
                      let certificates = try? readCertificates(path).get(),
                      let match = certificates.firstIndex(where: { issued(child, by: $0) }) else { continue }
                // The issuer's own file, rather than another device's chain that carries it second.
                if match == 0 { return (path, certificates[0]) }
                if inAChain == nil { inAChain = (path, certificates[match]) }
            }
        }
        return inAChain
    }

    /// The certificates in a PEM file, or what the file holds instead.
    static func readCertificates(_ file: String) -> Result<[Certificate], Diagnosis> {
        guard let data = FileManager.default.contents(atPath: file) else {
            return .failure(Diagnosis(problem: "cannot read the certificate file \(file)", hint: "check the path"))
        }
        let text = String(decoding: data, as: UTF8.self)
        let documents = (try? PEMDocument.parseMultiple(pemString: text)) ?? []
        let certificates = documents.filter { $0.discriminator == "CERTIFICATE" }.compactMap { try? Certificate(pemDocument: $0) }
        if !certificates.isEmpty { return .success(certificates) }
        if data.first == 0x30, (try? Certificate(derEncoded: Array(data))) != nil {
            return .failure(Diagnosis(problem: "\(file) is a DER (binary) certificate, not PEM",
                                      hint: "convert it: openssl x509 -inform DER -in \(file) -out cert.pem"))
        }
        if documents.contains(where: { $0.discriminator.hasSuffix("PRIVATE KEY") }) {
            return .failure(Diagnosis(problem: "\(file) holds a private key, not a certificate",
                                      hint: "were --cert and --key swapped? --cert takes the device certificate and its intermediate"))
        }
        return .failure(Diagnosis(problem: "\(file) holds no PEM certificate",
                                  hint: "give the PEM certificate chain (-----BEGIN CERTIFICATE-----): the device's, then its intermediate"))
    }
}
