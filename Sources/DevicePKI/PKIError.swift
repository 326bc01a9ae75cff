/// Everything that can go wrong while making or loading device identities.
///
/// Every description is a single line that names the problem, so the command line can print it as is.
public enum PKIError: Error, Equatable, Sendable, CustomStringConvertible {
    case unknownKeyAlgorithm(String)
    case invalidCount(Int)
    case invalidStartIndex(Int)
    case invalidValidityDays(Int)
    case invalidPattern(pattern: String, reason: String)
    case patternWithoutIndex(pattern: String, count: Int)
    case invalidClientID(clientID: String, reason: String)
    case duplicateClientID(String)
    case emptyClientIDList(path: String)
    case invalidSubjectField(field: String, reason: String)
    case invalidHost(String)
    case noHosts
    case unknownFault(String)
    case certificateAuthorityExists(path: String)
    case certificateAuthorityMissing(path: String)
    case serverIdentityExists(path: String)
    case identityExists(clientID: String, path: String, others: Int)
    case identityMissing(clientID: String, directory: String)
    case keyDoesNotMatchCertificate(certificatePath: String, keyPath: String)
    case unreadableFile(path: String, reason: String)
    case unwritableDirectory(path: String, reason: String)
    case writeFailed(path: String, reason: String)
    case malformedIndex(path: String, line: Int, reason: String)
    case issuanceFailed(clientID: String, reason: String)

    public var description: String {
        switch self {
        case .unknownKeyAlgorithm(let name):
            return "unknown key type '\(name)'; use one of: \(KeyAlgorithm.allCases.map(\.rawValue).joined(separator: ", "))"
        case .invalidCount(let count):
            return "count must be at least 1, got \(count)"
        case .invalidStartIndex(let index):
            return "start index must be 0 or more, got \(index)"
        case .invalidValidityDays(let days):
            return "validity must be at least 1 day, got \(days)"
        case .invalidPattern(let pattern, let reason):
            return "invalid client ID pattern '\(pattern)': \(reason)"
        case .patternWithoutIndex(let pattern, let count):
            return "client ID pattern '\(pattern)' has no {index} placeholder, so \(count) devices would share one ID"
        case .invalidClientID(let clientID, let reason):
            return "client ID '\(clientID.escapedForMessage)' cannot be used: \(reason)"
        case .duplicateClientID(let clientID):
            return "client ID '\(clientID.escapedForMessage)' is listed more than once"
        case .emptyClientIDList(let path):
            return "no client IDs in \(path)"
        case .invalidSubjectField(let field, let reason):
            return "invalid \(field): \(reason)"
        case .invalidHost(let host):
            return "invalid host '\(host.escapedForMessage)': expected a DNS name or an IP address"
        case .noHosts:
            return "a server certificate needs at least one --host"
        case .unknownFault(let name):
            return "unknown fault '\(name)'; use one of: \(IdentityFault.allCases.map(\.rawValue).joined(separator: ", "))"
        case .certificateAuthorityExists(let path):
            return "a CA already exists at \(path); pass --force to replace it"
        case .certificateAuthorityMissing(let path):
            return "no CA at \(path); run 'fleet certs init' first"
        case .serverIdentityExists(let path):
            return "a server certificate already exists at \(path); pass --force to replace it"
        case .identityExists(let clientID, let path, let others):
            let more = others > 0 ? " (and \(others) more)" : ""
            return "an identity for '\(clientID)' already exists at \(path)\(more); pass --force to replace"
        case .identityMissing(let clientID, let directory):
            return "no identity for client ID '\(clientID.escapedForMessage)' in \(directory); issue one with 'fleet certs issue'"
        case .keyDoesNotMatchCertificate(let certificatePath, let keyPath):
            return "the key \(keyPath) does not belong to the certificate \(certificatePath)"
        case .unreadableFile(let path, let reason):
            return "cannot read \(path): \(reason)"
        case .unwritableDirectory(let path, let reason):
            return "cannot write to \(path): \(reason)"
        case .writeFailed(let path, let reason):
            return "writing \(path) failed: \(reason)"
        case .malformedIndex(let path, let line, let reason):
            return "\(path):\(line): \(reason)"
        case .issuanceFailed(let clientID, let reason):
            return "issuing the identity for '\(clientID)' failed: \(reason)"
        }
    }
}

extension String {
    /// Control characters made visible, so an error about a bad client ID stays on one line.
    var escapedForMessage: String {
        var result = ""
        for scalar in unicodeScalars {
            if scalar.properties.generalCategory == .control {
                result += "\\u{\(String(scalar.value, radix: 16))}"
            } else {
                result.unicodeScalars.append(scalar)
            }
        }
        return result
    }
}
