import Foundation

#if canImport(Darwin)
import Darwin
#elseif canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// The few file operations the PKI needs, done so that a key is never readable by others and a
/// reader never sees a half-written file.
///
/// Keys are created with mode 0600 by `open(2)` itself (never chmod-ed afterwards); everything that
/// must appear whole is written beside its destination and renamed into place.
enum SecureFiles {
    static let privateMode: mode_t = 0o600
    static let publicMode: mode_t = 0o644
    static let directoryMode: mode_t = 0o755

    /// Creates `path` (which must not exist) with `mode` and writes `contents` into it.
    static func create(_ path: String, contents: String, mode: mode_t) throws {
        let descriptor = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode)
        guard descriptor >= 0 else { throw PKIError.writeFailed(path: path, reason: lastErrorText()) }
        defer { close(descriptor) }
        var utf8 = contents
        try utf8.withUTF8 { buffer in
            var offset = 0
            while offset < buffer.count {
                let written = write(descriptor, buffer.baseAddress! + offset, buffer.count - offset)
                if written < 0 {
                    if errno == EINTR { continue }
                    throw PKIError.writeFailed(path: path, reason: lastErrorText())
                }
                offset += written
            }
        }
    }

    /// Writes `contents` to a temporary file beside `path`, then renames it over `path`.
    static func replaceAtomically(_ path: String, contents: String, mode: mode_t) throws {
        let temporary = temporaryPath(beside: path)
        do {
            try create(temporary, contents: contents, mode: mode)
            try rename(temporary, to: path)
        } catch {
            unlink(temporary)
            throw error
        }
    }

    static func rename(_ source: String, to destination: String) throws {
        guard Foundation.rename(source, destination) == 0 else {
            throw PKIError.writeFailed(path: destination, reason: lastErrorText())
        }
    }

    /// Makes `owner` (and its primary group) the owner of `path`; needs root unless it is us already.
    static func giveOwnership(of path: String, to owner: FileReader) throws {
        guard chown(path, uid_t(owner.userID), gid_t(owner.primaryGroupID)) == 0 else {
            throw PKIError.writeFailed(path: path, reason: "cannot give it to user \(owner.name): \(lastErrorText())")
        }
    }

    static func makeDirectory(_ path: String, mode: mode_t = directoryMode) throws {
        guard mkdir(path, mode) == 0 else { throw PKIError.writeFailed(path: path, reason: lastErrorText()) }
    }

    /// `mkdir -p`.
    static func makeDirectories(_ path: String) throws {
        do {
            try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        } catch {
            throw PKIError.unwritableDirectory(path: path, reason: "cannot create it")
        }
    }

    static func exists(_ path: String) -> Bool {
        var info = stat()
        return lstat(path, &info) == 0
    }

    static func isDirectory(_ path: String) -> Bool {
        var info = stat()
        return stat(path, &info) == 0 && (info.st_mode & S_IFMT) == S_IFDIR
    }

    static func removeTree(_ path: String) {
        try? FileManager.default.removeItem(atPath: path)
    }

    static func read(_ path: String) throws -> String {
        do {
            return try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw PKIError.unreadableFile(path: path, reason: exists(path) ? "not a readable UTF-8 file" : "no such file")
        }
    }

    /// Throws unless files can be created in `path` or, if it does not exist yet, in its nearest existing ancestor.
    static func checkWritable(_ path: String) throws {
        var candidate = URL(fileURLWithPath: path).standardizedFileURL.path
        while !exists(candidate) {
            let parent = (candidate as NSString).deletingLastPathComponent
            if parent == candidate || parent.isEmpty { break }
            candidate = parent
        }
        guard isDirectory(candidate) else {
            throw PKIError.unwritableDirectory(path: path, reason: "\(candidate) is not a directory")
        }
        guard access(candidate, W_OK | X_OK) == 0 else {
            throw PKIError.unwritableDirectory(path: path, reason: "\(candidate): \(lastErrorText())")
        }
    }

    /// A unique name in the same folder as `path`, hidden, so a rename into place stays on one file system.
    static func temporaryPath(beside path: String, tag: String = "tmp") -> String {
        let directory = (path as NSString).deletingLastPathComponent
        let name = (path as NSString).lastPathComponent
        let unique = UInt64.random(in: 0...UInt64.max)
        let file = ".\(name).\(tag)-\(String(unique, radix: 36))"
        return directory.isEmpty ? file : directory + "/" + file
    }

    static func lastErrorText() -> String {
        String(cString: strerror(errno))
    }
}
