import Foundation

#if canImport(Darwin)
import Darwin
#elseif canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// One issued device identity as the index records it: enough to register the device with a broker
/// (CN or thumbprint) and to find its files.
public struct IdentityIndexEntry: Sendable, Hashable {
    public var clientID: String
    public var commonName: String
    /// Paths relative to the PKI directory.
    public var certificatePath: String
    public var chainPath: String
    public var keyPath: String
    /// ISO 8601 UTC, second precision, as written to the index.
    public var notBefore: String
    public var notAfter: String
    /// The serial number, uppercase hex.
    public var serialNumber: String
    public var sha1Thumbprint: String
    public var sha256Fingerprint: String
    public var keyAlgorithm: String
    /// Empty for a healthy identity, otherwise an `IdentityFault` raw value.
    public var fault: String

    static let csvColumns = [
        "client_id", "common_name", "cert_path", "chain_path", "key_path", "not_before", "not_after",
        "serial", "sha1_thumbprint", "sha256_fingerprint", "key_type", "fault",
    ]
    static let jsonKeys = [
        "clientId", "commonName", "certPath", "chainPath", "keyPath", "notBefore", "notAfter",
        "serial", "sha1Thumbprint", "sha256Fingerprint", "keyType", "fault",
    ]
    static let csvHeader = csvColumns.joined(separator: ",")

    var fields: [String] {
        [clientID, commonName, certificatePath, chainPath, keyPath, notBefore, notAfter,
         serialNumber, sha1Thumbprint, sha256Fingerprint, keyAlgorithm, fault]
    }

    init(fields: [String]) {
        clientID = fields[0]
        commonName = fields[1]
        certificatePath = fields[2]
        chainPath = fields[3]
        keyPath = fields[4]
        notBefore = fields[5]
        notAfter = fields[6]
        serialNumber = fields[7]
        sha1Thumbprint = fields[8]
        sha256Fingerprint = fields[9]
        keyAlgorithm = fields[10]
        fault = fields[11]
    }

    /// The entry as one CSV line (RFC 4180 quoting), without the line break.
    var csvLine: String { fields.map(CSV.quote).joined(separator: ",") }
}

/// Just enough CSV for the index: one record per line (client IDs hold no line breaks), quoted fields.
enum CSV {
    static func quote(_ field: String) -> String {
        guard field.contains(where: { $0 == "," || $0 == "\"" || $0 == "\r" || $0 == "\n" }) else { return field }
        return "\"" + field.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }

    /// Splits one line into fields; nil when a quote is left open.
    static func split(_ line: Substring) -> [String]? {
        if !line.utf8.contains(UInt8(ascii: "\"")) {
            // The common case (nothing quoted): split the bytes without walking characters.
            return line.utf8.split(separator: UInt8(ascii: ","), omittingEmptySubsequences: false).map {
                String(Substring($0))
            }
        }
        var fields: [String] = []
        var field = ""
        var quoted = false
        var index = line.startIndex
        while index < line.endIndex {
            let character = line[index]
            if quoted {
                if character == "\"" {
                    let next = line.index(after: index)
                    if next < line.endIndex && line[next] == "\"" {
                        field.append("\"")
                        index = next
                    } else {
                        quoted = false
                    }
                } else {
                    field.append(character)
                }
            } else if character == "\"" {
                quoted = true
            } else if character == "," {
                fields.append(field)
                field = ""
            } else {
                field.append(character)
            }
            index = line.index(after: index)
        }
        guard !quoted else { return nil }
        fields.append(field)
        return fields
    }
}

/// UTC timestamps for the index, without a shared formatter object.
enum Timestamp {
    static func iso8601(_ date: Date) -> String {
        var seconds = time_t(date.timeIntervalSince1970.rounded(.down))
        var parts = tm()
        gmtime_r(&seconds, &parts)
        func pad(_ value: Int32, _ width: Int) -> String {
            let digits = String(value)
            return digits.count >= width ? digits : String(repeating: "0", count: width - digits.count) + digits
        }
        return "\(pad(parts.tm_year + 1900, 4))-\(pad(parts.tm_mon + 1, 2))-\(pad(parts.tm_mday, 2))T"
            + "\(pad(parts.tm_hour, 2)):\(pad(parts.tm_min, 2)):\(pad(parts.tm_sec, 2))Z"
    }
}
