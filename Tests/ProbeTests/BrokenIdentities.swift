import Foundation

/// Broken client identities made with openssl in a fresh folder, as users break them: a key from
/// another identity, a chain without its intermediate, an identity from a CA the broker does not know,
/// and keys in formats fleet cannot use.
struct BrokenIdentities {
    /// `<temp>/identities/`: its parent holds nothing else, so that the probe's look beside the chain
    /// file for a missing intermediate finds only what a test put there.
    let folder: URL

    init() throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("fleet-probe-\(UUID().uuidString)")
        folder = root.appendingPathComponent("identities")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    }

    func remove() { try? FileManager.default.removeItem(at: folder.deletingLastPathComponent()) }

    func path(_ name: String) -> String { folder.appendingPathComponent(name).path }

    /// Runs openssl in the folder; fails the test with its output when it fails.
    func openssl(_ arguments: String...) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["openssl"] + arguments
        process.currentDirectoryURL = folder
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        process.standardInput = FileHandle.nullDevice
        try process.run()
        let output = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw OpenSSLFailed(description: "openssl \(arguments.joined(separator: " ")): \(String(decoding: output, as: UTF8.self))")
        }
    }

    func concatenate(_ parts: [String], into name: String) throws {
        let text = try parts.map { try String(contentsOfFile: $0, encoding: .utf8) }.joined()
        try text.write(toFile: path(name), atomically: true, encoding: .utf8)
    }

    /// A P-256 key in `name`, SEC1 PEM (what `openssl ecparam -genkey` writes).
    func key(_ name: String) throws {
        try openssl("ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out", name)
    }

    /// A self-signed CA `name`.pem with key `name`.key.
    func rootCA(_ name: String, commonName: String) throws {
        try key("\(name).key")
        try openssl("req", "-x509", "-new", "-key", "\(name).key", "-sha256", "-days", "30", "-subj", "/CN=\(commonName)",
                    "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign",
                    "-out", "\(name).pem")
    }

    /// `name`.pem issued by `issuer`.pem/.key: a CA when `ca`, else a client certificate; key `name`.key.
    func issue(_ name: String, commonName: String, by issuer: String, ca: Bool) throws {
        try key("\(name).key")
        try openssl("req", "-new", "-key", "\(name).key", "-subj", "/CN=\(commonName)", "-out", "\(name).csr")
        let extensions = ca
            ? "basicConstraints=critical,CA:TRUE,pathlen:0\nkeyUsage=critical,keyCertSign,cRLSign\n"
            : "keyUsage=critical,digitalSignature\nextendedKeyUsage=clientAuth\n"
        try extensions.write(toFile: path("\(name).ext"), atomically: true, encoding: .utf8)
        try openssl("x509", "-req", "-in", "\(name).csr", "-CA", "\(issuer).pem", "-CAkey", "\(issuer).key",
                    "-CAcreateserial", "-days", "30", "-sha256", "-extfile", "\(name).ext", "-out", "\(name).pem")
    }

    /// An identity from a CA the test broker does not trust: foreign root → foreign intermediate →
    /// device, chain file `foreign-chain.pem` (device + intermediate, as devices send it), key `foreign-device.key`.
    func foreignIdentity() throws -> (chain: String, key: String) {
        try rootCA("foreign-root", commonName: "probe foreign root")
        try issue("foreign-intermediate", commonName: "probe foreign intermediate", by: "foreign-root", ca: true)
        try issue("foreign-device", commonName: "foreign-device", by: "foreign-intermediate", ca: false)
        try concatenate([path("foreign-device.pem"), path("foreign-intermediate.pem")], into: "foreign-chain.pem")
        // The root is kept elsewhere, as a CA's root is.
        try FileManager.default.removeItem(atPath: path("foreign-root.pem"))
        return (path("foreign-chain.pem"), path("foreign-device.key"))
    }
}

struct OpenSSLFailed: Error, CustomStringConvertible {
    var description: String
}
